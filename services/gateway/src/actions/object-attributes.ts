// GetObjectAttributes (`GET /key?attributes`, `x-amz-object-attributes`): what HeadObject and
// ListParts would tell of an object, from the ledger alone — ETag, checksum, the parts it was
// completed from (sizes, and checksums when its upload chose an algorithm), storage class,
// size. Permissions and the degraded path are GetObject's (authorize.ts, get-object.ts).
import { S3Error, escapeXml } from '@s3o/s3';
import type { ObjectRow } from '@s3o/store';
import { header, type RequestContext } from '../context.js';
import { sendXml } from '../http/respond.js';
import { checksumElement } from '../write/checksum.js';
import { lookupObject } from './get-object.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];
const MAX_PARTS = 1000;

function invalidArgument(message: string, name: string, value: string): S3Error {
  return new S3Error('InvalidArgument', { message, extra: { ArgumentName: name, ArgumentValue: value } });
}

/** The attributes asked for; AWS refuses a missing, empty or unknown one. */
export function parseObjectAttributes(raw: string | undefined): Set<Attribute> {
  const names = (raw ?? '').split(',').map((n) => n.trim());
  const asked = new Set<Attribute>();
  for (const name of names) {
    if (!(ATTRIBUTES as readonly string[]).includes(name)) {
      throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', raw ?? '');
    }
    asked.add(name as Attribute);
  }
  return asked;
}

function nonNegativeHeader(raw: string | undefined, name: string, message: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw.trim())) throw invalidArgument(message, name, raw);
  return Number(raw.trim());
}

/** `<Checksum>`: the object's value (a COMPOSITE one without AWS's `-N` suffix, as AWS answers it here). */
function checksumXml(object: ObjectRow): string {
  const c = object.checksum;
  if (!c?.value) return '';
  const value = c.type === 'COMPOSITE' ? c.value.replace(/-\d+$/, '') : c.value;
  return `<Checksum>${checksumElement(c.algorithm, value)}<ChecksumType>${c.type}</ChecksumType></Checksum>`;
}

/**
 * `<ObjectParts>` (the count as `<PartsCount>`: the element AWS answers for TotalPartsCount), only for an object completed from a multipart upload. As AWS: the parts are
 * listed (after `x-amz-part-number-marker`, at most `x-amz-max-parts`) only when its upload
 * used an additional checksum; otherwise just their count.
 */
function objectPartsXml(object: ObjectRow, marker: number, maxParts: number): string {
  const sizes = object.partSizes;
  if (!sizes) return '';
  const values = object.checksum?.parts;
  if (!values || values.length !== sizes.length) return `<ObjectParts><PartsCount>${sizes.length}</PartsCount></ObjectParts>`;
  const algorithm = object.checksum!.algorithm;
  const numbers = sizes.map((_, i) => i + 1).filter((n) => n > marker);
  const listed = numbers.slice(0, maxParts);
  const truncated = numbers.length > listed.length;
  const next = listed.length > 0 ? listed[listed.length - 1]! : marker;
  const parts = listed.map((n) =>
    `<Part>${checksumElement(algorithm, values[n - 1]!)}<PartNumber>${n}</PartNumber><Size>${sizes[n - 1]}</Size></Part>`).join('');
  return `<ObjectParts><PartsCount>${sizes.length}</PartsCount><PartNumberMarker>${marker}</PartNumberMarker>` +
    `<NextPartNumberMarker>${next}</NextPartNumberMarker><MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${parts}</ObjectParts>`;
}

export async function getObjectAttributes(ctx: RequestContext): Promise<void> {
  // Everything the headers say is checked before the object is looked up.
  const asked = parseObjectAttributes(header(ctx.req, 'x-amz-object-attributes'));
  const maxParts = Math.min(MAX_PARTS, nonNegativeHeader(header(ctx.req, 'x-amz-max-parts'), 'x-amz-max-parts',
    'Argument max-parts must be an integer between 0 and 2147483647') ?? MAX_PARTS);
  const marker = nonNegativeHeader(header(ctx.req, 'x-amz-part-number-marker'), 'x-amz-part-number-marker',
    'Argument part-number-marker must be an integer between 0 and 2147483647') ?? 0;
  const { object } = await lookupObject(ctx);
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><GetObjectAttributesResponse xmlns="${XMLNS}">` +
    // Unquoted here, unlike every other answer's ETag (as AWS).
    (asked.has('ETag') ? `<ETag>${escapeXml(object.etag)}</ETag>` : '') +
    (asked.has('Checksum') ? checksumXml(object) : '') +
    (asked.has('ObjectParts') ? objectPartsXml(object, marker, maxParts) : '') +
    (asked.has('StorageClass') ? '<StorageClass>STANDARD</StorageClass>' : '') +
    (asked.has('ObjectSize') ? `<ObjectSize>${object.size}</ObjectSize>` : '') +
    `</GetObjectAttributesResponse>`;
  ctx.reply.header('last-modified', new Date(object.createdAt).toUTCString());
  sendXml(ctx.reply, 200, xml);
}
