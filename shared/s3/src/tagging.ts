// Object tags as S3 speaks them: the `x-amz-tagging` header (URL query encoding), the
// `<Tagging>` document of Put/GetObjectTagging, and AWS's limits — at most 10 tags, a key of
// 1 to 128 and a value of at most 256 UTF-16 code units, letters, digits, spaces and
// `_ . : / = + - @` only, no `aws:` prefix, no key twice.
import { s3Error } from './errors.js';
import { escapeXml, S3_XMLNS, XML_DECLARATION } from './xml.js';
import { parseXml, type XmlLimits, type XmlNode, type XmlValue } from './xml-parse.js';

export type TagSet = Record<string, string>;

export const MAX_TAGS = 10;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** `<Tagging>` with 10 tags of 128 + 256 characters, even written as references, fits these. */
export const TAGGING_XML_LIMITS: XmlLimits = { maxDepth: 6, maxElements: 4 * MAX_TAGS + 8, maxTokenChars: 8 * 1024 };
export const MAX_TAGGING_BODY_BYTES = 64 * 1024;

const invalidTag = (message: string) => s3Error('InvalidTag', { message });

function checkTag(key: string, value: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw invalidTag(key.length === 0 ? 'The TagKey you have provided is invalid' : 'The TagKey you have provided is too long, max 128');
  if (value.length > MAX_VALUE_LENGTH) throw invalidTag('The TagValue you have provided is too long, max 256');
  if (!ALLOWED.test(key)) throw invalidTag('The TagKey you have provided is invalid');
  if (!ALLOWED.test(value)) throw invalidTag('The TagValue you have provided is invalid');
  if (key.toLowerCase().startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:');
}

function checkCount(count: number): void {
  if (count > MAX_TAGS) throw s3Error('BadRequest', { message: 'Object tags cannot be greater than 10' });
}

/** The `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded); absent or empty = no tags. */
export function parseTaggingHeader(value: string | undefined): TagSet {
  if (value === undefined || value === '') return {};
  const tags: TagSet = {};
  const pairs = new URLSearchParams(value);
  let count = 0;
  for (const [key, tagValue] of pairs) {
    if (Object.hasOwn(tags, key)) {
      throw s3Error('InvalidArgument', {
        message: "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
        extra: { ArgumentName: 'x-amz-tagging', ArgumentValue: value },
      });
    }
    checkTag(key, tagValue);
    tags[key] = tagValue;
    count++;
  }
  checkCount(count);
  return tags;
}

function isNode(v: XmlValue | undefined): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(parent: XmlNode, name: string, required: boolean): string | undefined {
  const v = parent[name];
  if (v === undefined) {
    if (required) throw s3Error('MalformedXML');
    return undefined;
  }
  if (typeof v !== 'string') throw s3Error('MalformedXML');
  return v;
}

/** The `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` body of PutObjectTagging. */
export function parseTaggingXml(input: string | XmlNode): TagSet {
  const doc = typeof input === 'string' ? parseXml(input, TAGGING_XML_LIMITS) : input;
  const root = doc['Tagging'];
  if (!isNode(root)) throw s3Error('MalformedXML');
  const set = root['TagSet'];
  if (set === undefined) throw s3Error('MalformedXML');
  if (set === '') return {};
  if (!isNode(set)) throw s3Error('MalformedXML');
  const list = set['Tag'] ?? [];
  if (!Array.isArray(list) || !list.every(isNode)) throw s3Error('MalformedXML');
  checkCount(list.length);
  const tags: TagSet = {};
  for (const tag of list as XmlNode[]) {
    const key = text(tag, 'Key', true)!;
    const value = text(tag, 'Value', false) ?? '';
    if (Object.hasOwn(tags, key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    checkTag(key, value);
    tags[key] = value;
  }
  return tags;
}

/** The GetObjectTagging answer. */
export function taggingXml(tags: TagSet): string {
  const inner = Object.entries(tags)
    .map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`)
    .join('');
  return `${XML_DECLARATION}<Tagging xmlns="${S3_XMLNS}"><TagSet>${inner}</TagSet></Tagging>`;
}

/** `x-amz-tagging-count` on GET/HEAD: present only when the object has tags. */
export function tagCount(tags: TagSet | undefined): number {
  return tags === undefined ? 0 : Object.keys(tags).length;
}
