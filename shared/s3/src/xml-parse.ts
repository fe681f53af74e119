// Reading the XML bodies clients send: the bounded incremental reader (xml-reader.ts)
// builds the document, fed whole (parseXml) or piece by piece as the body arrives
// (readXmlStream); the readers below turn it into requests or S3's errors.
import type { Readable } from 'node:stream';
import { s3Error } from './errors.js';
import { XmlReader, type XmlLimits, type XmlNode, type XmlValue } from './xml-reader.js';
import type { ChecksumAlgorithm } from './checksum.js';

export type { XmlLimits, XmlNode, XmlValue } from './xml-reader.js';

// Elements S3 repeats inside their parent: always arrays, even when one is present,
// so consumers never have to guess.
const SHAPE = {
  repeated: new Set(['Part', 'Object', 'Upload', 'Contents', 'CommonPrefixes', 'Deleted', 'Version', 'DeleteMarker', 'Tag']),
  repeatedPaths: new Set(['DeleteResult.Error', 'ListAllMyBucketsResult.Buckets.Bucket']),
};

/** Parses an XML document; anything not well-formed, carrying a DTD or past a limit is `MalformedXML`. */
export function parseXml(text: string, limits?: XmlLimits): XmlNode {
  const reader = new XmlReader(SHAPE, limits);
  reader.write(text);
  return reader.end();
}

/**
 * Reads an XML document from a stream as it arrives: each piece is read when it comes, so a
 * large or hostile body never holds the event loop, and a fault stops it at once.
 */
export async function readXmlStream(stream: Readable, limits?: XmlLimits): Promise<XmlNode> {
  const reader = new XmlReader(SHAPE, limits);
  for await (const chunk of stream) reader.write(chunk as Buffer);
  return reader.end();
}

function isNode(v: XmlValue | undefined): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The document's root element by name; an empty root (`<Delete/>`) counts as absent children. */
function rootOf(input: string | XmlNode, name: string): XmlNode {
  const doc = typeof input === 'string' ? parseXml(input) : input;
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

// Per-document limits: a body past them is refused while it arrives. A key is at most 1,024
// bytes, and even written as character references fits in 16 Ki characters.
/** `<Delete>`, up to 1,000 `<Object>`s of `<Key>` and `<VersionId>`, and `<Quiet>`. */
export const DELETE_OBJECTS_XML_LIMITS: XmlLimits = { maxDepth: 8, maxElements: 4 * MAX_DELETE_KEYS + 8, maxTokenChars: 16 * 1024 };
/** `<CompleteMultipartUpload>`, up to 10,000 `<Part>`s of number, ETag and up to five checksums. */
export const COMPLETE_MULTIPART_XML_LIMITS: XmlLimits = { maxDepth: 8, maxElements: 8 * MAX_PART_NUMBER + 8, maxTokenChars: 16 * 1024 };

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
/** `input`: the body's text, or its document as readXmlStream read it. */
export function parseCompleteMultipartUpload(input: string | XmlNode): CompletedPart[] {
  const root = rootOf(input, 'CompleteMultipartUpload');
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
export function parseDeleteObjects(input: string | XmlNode): DeleteObjectsRequest {
  const root = rootOf(input, 'Delete');
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
