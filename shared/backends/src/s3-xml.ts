// The S3 XML documents this client reads (errors, multipart, copy and listing results)
// and the one it writes (CompleteMultipartUpload).
import { XMLParser } from 'fast-xml-parser';
import type { ErrorDetails } from './errors.js';
import { quoteEtag, unquoteEtag } from './etag.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  removeNSPrefix: true,
  // Keys, ETags and tokens are text: "007" must stay "007", " a " must stay " a ".
  parseTagValue: false,
  trimValues: false,
  // Numeric character references (&#13; in keys); S3 emits no named HTML entities.
  htmlEntities: true,
  isArray: (_name, jpath) => jpath === 'ListBucketResult.Contents' || jpath === 'ListMultipartUploadsResult.Upload',
});

type XmlNode = Record<string, unknown>;

/** Parses a document; returns its root element's name and content, or undefined when it is not XML. */
function parseRoot(xml: string): { name: string; node: XmlNode } | undefined {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch {
    return undefined;
  }
  for (const [name, node] of Object.entries(doc)) {
    if (name === '#text') continue;
    return { name, node: typeof node === 'object' && node !== null ? (node as XmlNode) : {} };
  }
  return undefined;
}

function text(node: XmlNode, field: string): string | undefined {
  const value = node[field];
  return typeof value === 'string' ? value : undefined;
}

/** The `<Error>` document's details, or undefined when the body is not one (S3 may send it with a 200). */
export function parseError(xml: string): ErrorDetails | undefined {
  const root = parseRoot(xml);
  if (root?.name !== 'Error') return undefined;
  return { code: text(root.node, 'Code'), message: text(root.node, 'Message'), requestId: text(root.node, 'RequestId') };
}

/** Reads `<Root><field>…</field></Root>` from a success document; undefined when the document is something else. */
export function parseResultField(xml: string, rootName: string, field: string): string | undefined {
  const root = parseRoot(xml);
  return root?.name === rootName ? text(root.node, field) : undefined;
}

export interface ListedObject {
  key: string;
  size: number;
  /** Without quotes. */
  etag: string;
  lastModified: Date;
}

export interface ListPage {
  keys: ListedObject[];
  /** Present when more keys follow; pass it back as `continuationToken`. */
  nextToken?: string;
}

/** ListObjectsV2 result; undefined when the document is not a ListBucketResult. */
export function parseListPage(xml: string): ListPage | undefined {
  const root = parseRoot(xml);
  if (root?.name !== 'ListBucketResult') return undefined;
  // Keys come URL-encoded only when the server honoured encoding-type=url (some S3 clones ignore it).
  const urlEncoded = text(root.node, 'EncodingType') === 'url';
  const contents = (root.node['Contents'] as XmlNode[] | undefined) ?? [];
  const keys = contents.map((entry) => {
    const rawKey = text(entry, 'Key') ?? '';
    return {
      key: urlEncoded ? decodeFormComponent(rawKey) : rawKey,
      size: Number(text(entry, 'Size') ?? 0),
      etag: unquoteEtag(text(entry, 'ETag') ?? ''),
      lastModified: new Date(text(entry, 'LastModified') ?? 0),
    };
  });
  const truncated = text(root.node, 'IsTruncated') === 'true';
  const nextToken = truncated ? text(root.node, 'NextContinuationToken') : undefined;
  return nextToken ? { keys, nextToken } : { keys };
}

/** One open upload of a ListMultipartUploads page. */
export interface ListedUpload {
  key: string;
  uploadId: string;
}

export interface UploadsPage {
  uploads: ListedUpload[];
  /** Present when more uploads follow: pass them back as the markers. */
  next?: { keyMarker: string; uploadIdMarker: string };
}

/** ListMultipartUploads result; undefined when the document is not a ListMultipartUploadsResult. */
export function parseUploadsPage(xml: string): UploadsPage | undefined {
  const root = parseRoot(xml);
  if (root?.name !== 'ListMultipartUploadsResult') return undefined;
  const urlEncoded = text(root.node, 'EncodingType') === 'url';
  const decode = (v: string) => (urlEncoded ? decodeFormComponent(v) : v);
  const uploads = ((root.node['Upload'] as XmlNode[] | undefined) ?? []).map((entry) => ({
    key: decode(text(entry, 'Key') ?? ''),
    uploadId: text(entry, 'UploadId') ?? '',
  }));
  const keyMarker = text(root.node, 'NextKeyMarker');
  const uploadIdMarker = text(root.node, 'NextUploadIdMarker');
  const truncated = text(root.node, 'IsTruncated') === 'true';
  return truncated && keyMarker !== undefined
    ? { uploads, next: { keyMarker: decode(keyMarker), uploadIdMarker: uploadIdMarker ?? '' } }
    : { uploads };
}

/** S3's encoding-type=url form-encodes keys: a space may arrive as '+' and a '+' as '%2B'. */
function decodeFormComponent(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

export function completeMultipartXml(parts: ReadonlyArray<{ partNumber: number; etag: string }>): string {
  const body = parts
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(quoteEtag(p.etag))}</ETag></Part>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</CompleteMultipartUpload>`;
}

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
