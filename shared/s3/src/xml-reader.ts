// A small, bounded, incremental XML reader for the documents clients send (DeleteObjects,
// CompleteMultipartUpload). It is fed the body piece by piece as it arrives, so each piece
// costs work in proportion to its size and no single body can hold the event loop; and it
// stops at the first limit a document passes — depth, element count, length of one text or
// tag — so a hostile body is refused after a bounded amount of work, not parsed in full.
//
// It checks well-formedness (one root, tags that match, attributes that are quoted, no text
// outside the root) and refuses what S3 never needs: a DTD (the door to entity expansion),
// and any entity beyond XML's five and character references. Namespace prefixes are
// dropped, attributes ignored. The result has the shape the readers in xml-parse.ts walk:
// a text-only element is its text, an element with children an object of them, and a
// name that repeats (or is listed as repeated) an array.
import { StringDecoder } from 'node:string_decoder';
import { s3Error } from './errors.js';

export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

export interface XmlLimits {
  /** deepest nesting of elements */
  maxDepth: number;
  /** elements in the whole document */
  maxElements: number;
  /** characters of one text node (as written, before entities are decoded), and of one tag */
  maxTokenChars: number;
}

/** Generous for any S3 request body (10,000 parts of CompleteMultipartUpload, 1,000 keys of DeleteObjects). */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 16, maxElements: 120_000, maxTokenChars: 64 * 1024 };

export interface XmlShape {
  /** element names that are always arrays */
  repeated: ReadonlySet<string>;
  /** dotted paths (root.child…) that are always arrays */
  repeatedPaths: ReadonlySet<string>;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*$/;
const ATTRIBUTES = /^(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*$/;
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6});|#([0-9]{1,7});|(amp|lt|gt|quot|apos);)?/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function malformed(message?: string): Error {
  return s3Error('MalformedXML', message === undefined ? undefined : { message });
}

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
    if (named !== undefined) return PREDEFINED[named]!;
    if (hex === undefined && dec === undefined) throw malformed(`Unknown or malformed entity reference near "${whole}"`);
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
    // NUL, surrogates and values beyond Unicode cannot be characters of a key.
    if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) throw malformed('Invalid character reference');
    return String.fromCodePoint(code);
  });
}

interface Frame {
  name: string;
  path: string;
  node: XmlNode;
  text: string;
  hasChildren: boolean;
}

export class XmlReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private readonly stack: Frame[] = [];
  private readonly document: XmlNode = {};
  private rootSeen = false;
  private rootClosed = false;
  private elements = 0;

  constructor(private readonly shape: XmlShape, private readonly limits: XmlLimits = DEFAULT_XML_LIMITS) {}

  /** Reads as much of the document as has arrived; throws MalformedXML at the first fault. */
  write(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    this.drain(false);
  }

  /** The whole document; throws MalformedXML when it is incomplete. */
  end(): XmlNode {
    this.pending += this.decoder.end();
    this.drain(true);
    if (!this.rootClosed || this.stack.length > 0) throw malformed();
    return this.document;
  }

  private drain(final: boolean): void {
    let pos = 0;
    const text = this.pending;
    while (pos < text.length) {
      const lt = text.indexOf('<', pos);
      if (lt !== pos) {
        // Text up to the next tag (or the end of what has arrived).
        const end = lt === -1 ? text.length : lt;
        if (lt === -1 && !final) {
          if (end - pos > this.limits.maxTokenChars) throw malformed('A text node is too long.');
          break;
        }
        this.onText(text.slice(pos, end));
        pos = end;
        continue;
      }
      const consumed = this.markup(text, pos);
      if (consumed === -1) {
        if (text.length - pos > this.limits.maxTokenChars) throw malformed('A tag is too long.');
        if (final) throw malformed();
        break;
      }
      pos = consumed;
    }
    this.pending = text.slice(pos);
  }

  /** Reads the markup at `pos`; returns where it ends, or -1 when it has not fully arrived. */
  private markup(text: string, pos: number): number {
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos + 4);
      return end === -1 ? -1 : end + 3;
    }
    if (text.startsWith('<![CDATA[', pos)) {
      const end = text.indexOf(']]>', pos + 9);
      if (end === -1) return -1;
      this.onText(text.slice(pos + 9, end), true);
      return end + 3;
    }
    if (text.startsWith('<!', pos)) {
      // A DTD (or anything else after "<!") is refused; a beginning of "<!--" or "<![CDATA[" waits for the rest.
      const head = text.slice(pos, pos + 9);
      if ('<!--'.startsWith(head) || '<![CDATA['.startsWith(head)) return -1;
      throw malformed();
    }
    if (text.startsWith('<?', pos)) {
      if (this.rootSeen) throw malformed();
      const end = text.indexOf('?>', pos + 2);
      return end === -1 ? -1 : end + 2;
    }
    const end = text.indexOf('>', pos + 1);
    if (end === -1) return -1;
    const inner = text.slice(pos + 1, end);
    if (inner.startsWith('/')) this.onEnd(inner.slice(1).trim());
    else this.onStart(inner);
    return end + 1;
  }

  private onText(raw: string, literal = false): void {
    if (raw.length > this.limits.maxTokenChars) throw malformed('A text node is too long.');
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (literal || raw.trim() !== '') throw malformed();
      return;
    }
    if (!literal && raw.includes('<')) throw malformed();
    const add = literal ? raw : decodeEntities(raw);
    if (top.text.length + add.length > this.limits.maxTokenChars) throw malformed('A text node is too long.');
    top.text += add;
  }

  private onStart(inner: string): void {
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const space = body.search(/\s/);
    const name = space === -1 ? body : body.slice(0, space);
    if (!NAME.test(name) || !ATTRIBUTES.test(space === -1 ? '' : body.slice(space))) throw malformed();
    if (this.rootClosed || (this.stack.length === 0 && this.rootSeen)) throw malformed();
    if (++this.elements > this.limits.maxElements) throw malformed('The document has too many elements.');
    if (this.stack.length + 1 > this.limits.maxDepth) throw malformed('The document is nested too deeply.');
    this.rootSeen = true;
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    // Names of Object.prototype's members would reach into the prototype of the plain objects built here.
    if (local === '' || local in Object.prototype) throw malformed();
    const parent = this.stack[this.stack.length - 1];
    const frame: Frame = { name, path: parent ? `${parent.path}.${local}` : local, node: {}, text: '', hasChildren: false };
    if (parent) parent.hasChildren = true;
    this.stack.push(frame);
    if (selfClosing) this.close(frame);
  }

  private onEnd(name: string): void {
    const top = this.stack[this.stack.length - 1];
    if (!top || top.name !== name) throw malformed();
    this.close(top);
  }

  private close(frame: Frame): void {
    this.stack.pop();
    // An element with children is an object (whitespace between them is not content); else its text.
    const value: XmlValue = frame.hasChildren ? frame.node : frame.text;
    const local = frame.path.slice(frame.path.lastIndexOf('.') + 1);
    const parent = this.stack[this.stack.length - 1];
    const target = parent ? parent.node : this.document;
    const existing = target[local];
    if (this.shape.repeated.has(local) || this.shape.repeatedPaths.has(frame.path)) {
      if (existing === undefined) target[local] = [value];
      else (existing as XmlValue[]).push(value);
    } else if (existing === undefined) {
      target[local] = value;
    } else if (Array.isArray(existing)) {
      existing.push(value);
    } else {
      target[local] = [existing, value];
    }
    if (!parent) this.rootClosed = true;
  }
}
