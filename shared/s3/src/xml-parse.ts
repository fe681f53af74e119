// Parsing the XML bodies clients send (and S3 responses backends send) safely:
// fast-xml-parser validates well-formedness; entity handling is ours, so nothing
// beyond XML's five predefined entities and character references is ever expanded.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isS3Error, s3Error } from './errors.js';
import { escapeXml } from './xml.js';
import type { ChecksumAlgorithm } from './checksum.js';

/** A parsed element: a string for a text-only element, an object for one with children. */
export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

// Elements S3 repeats inside their parent: always arrays, even when one is present,
// so consumers never have to guess.
const REPEATED = new Set(['Part', 'Object', 'Upload', 'Contents', 'CommonPrefixes', 'Deleted', 'Version', 'DeleteMarker']);
const REPEATED_PATHS = new Set(['DeleteResult.Error', 'ListAllMyBucketsResult.Buckets.Bucket']);

const ENTITY = /&(?:#x([0-9a-fA-F]{1,6});|#([0-9]{1,7});|(amp|lt|gt|quot|apos);)?/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
    if (named !== undefined) return PREDEFINED[named]!;
    if (hex === undefined && dec === undefined) {
      throw s3Error('MalformedXML', { message: `Unknown or malformed entity reference near "${whole}"` });
    }
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
    // NUL, surrogates and values beyond Unicode cannot be characters of a key.
    if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
      throw s3Error('MalformedXML', { message: 'Invalid character reference' });
    }
    return String.fromCodePoint(code);
  });
}

// CDATA content is literal text; rewriting each section as escaped text lets one entity
// decoder handle every text node without mistaking "&amp;" inside CDATA for an entity.
// Comments are matched too so a "<![CDATA[" inside a comment is left alone.
const CDATA_OR_COMMENT = /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>/g;

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // keys like "0123" or "true" must stay strings
  trimValues: false, // leading/trailing spaces are part of a key
  processEntities: false,
  tagValueProcessor: (_name, value) => decodeEntities(value),
  isArray: (name, jPath) => REPEATED.has(name) || REPEATED_PATHS.has(String(jPath)),
});

/** Parses an XML document; anything not well-formed, or carrying a DTD, is `MalformedXML`. */
export function parseXml(text: string): XmlNode {
  // A DTD is the door to entity-expansion attacks and S3 never needs one.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw s3Error('MalformedXML');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw s3Error('MalformedXML');
  const prepared = text.includes('<!') ? text.replace(CDATA_OR_COMMENT, (m, cdata: string | undefined) => (cdata === undefined ? m : escapeXml(cdata))) : text;
  try {
    return parser.parse(prepared) as XmlNode;
  } catch (err) {
    if (isS3Error(err)) throw err;
    throw s3Error('MalformedXML', { cause: err });
  }
}

function isNode(v: XmlValue | undefined): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The document's root element by name; an empty root (`<Delete/>`) counts as absent children. */
function rootOf(text: string, name: string): XmlNode {
  const doc = parseXml(text);
  const root = doc[name];
  if (root === '') return {};
  if (!isNode(root)) throw s3Error('MalformedXML');
  return root;
}

function nodes(parent: XmlNode, name: string): XmlNode[] {
  const list = parent[name];
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every(isNode)) throw s3Error('MalformedXML');
  return list as XmlNode[];
}

function optionalText(parent: XmlNode, name: string): string | undefined {
  const v = parent[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw s3Error('MalformedXML');
  return v;
}

function requiredText(parent: XmlNode, name: string): string {
  const v = optionalText(parent, name);
  if (v === undefined) throw s3Error('MalformedXML');
  return v;
}

export const MAX_PART_NUMBER = 10000;
export const MAX_DELETE_KEYS = 1000;

export interface CompletedPart {
  partNumber: number;
  /** The client's ETag without the surrounding quotes. */
  etag: string;
  /** Per-part checksums the client listed (base64, as sent). */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
}

const PART_CHECKSUM_ELEMENTS: ReadonlyArray<[string, ChecksumAlgorithm]> = [
  ['ChecksumCRC32', 'crc32'],
  ['ChecksumCRC32C', 'crc32c'],
  ['ChecksumCRC64NVME', 'crc64nvme'],
  ['ChecksumSHA1', 'sha1'],
  ['ChecksumSHA256', 'sha256'],
];

/**
 * The body of CompleteMultipartUpload. Parts must be listed in strictly ascending
 * part-number order (`InvalidPartOrder`), numbers within 1..10000 (`InvalidArgument`).
 */
export function parseCompleteMultipartUpload(text: string): CompletedPart[] {
  const root = rootOf(text, 'CompleteMultipartUpload');
  const parts = nodes(root, 'Part');
  if (parts.length === 0) throw s3Error('MalformedXML');
  const out: CompletedPart[] = [];
  let previous = 0;
  for (const part of parts) {
    const numberText = requiredText(part, 'PartNumber').trim();
    if (!/^\d{1,9}$/.test(numberText)) throw s3Error('MalformedXML');
    const partNumber = Number(numberText);
    if (partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw s3Error('InvalidArgument', {
        message: 'Part number must be an integer between 1 and 10000, inclusive',
        extra: { ArgumentName: 'partNumber', ArgumentValue: numberText },
      });
    }
    if (partNumber <= previous) throw s3Error('InvalidPartOrder');
    previous = partNumber;
    const etag = requiredText(part, 'ETag').trim().replace(/^"(.*)"$/, '$1');
    if (etag === '') throw s3Error('InvalidPart');
    const entry: CompletedPart = { partNumber, etag };
    for (const [elementName, algorithm] of PART_CHECKSUM_ELEMENTS) {
      const value = optionalText(part, elementName);
      if (value !== undefined) (entry.checksums ??= {})[algorithm] = value.trim();
    }
    out.push(entry);
  }
  return out;
}

export interface DeleteObjectsRequest {
  quiet: boolean;
  keys: Array<{ key: string; versionId?: string }>;
}

/** The body of DeleteObjects: 1 to 1000 `<Object><Key>` entries, optional `<Quiet>`. */
export function parseDeleteObjects(text: string): DeleteObjectsRequest {
  const root = rootOf(text, 'Delete');
  const objects = nodes(root, 'Object');
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw s3Error('MalformedXML');
  const quietText = optionalText(root, 'Quiet')?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw s3Error('MalformedXML');
  const keys = objects.map((o) => {
    const key = requiredText(o, 'Key');
    const versionId = optionalText(o, 'VersionId')?.trim();
    return versionId === undefined ? { key } : { key, versionId };
  });
  return { quiet: quietText === 'true', keys };
}
