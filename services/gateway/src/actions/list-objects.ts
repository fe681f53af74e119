// ListObjects (V1) and ListObjectsV2, answered from the ledger.
import { S3Error, escapeXml } from '@s3o/s3';
import { bucketTarget, type RequestContext } from '../context.js';
import { sendXml } from '../http/respond.js';
import { walkKeys, type WalkResult } from '../read/list-walk.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_KEYS = 1000;

export function parseMaxKeys(raw: string | null, name = 'max-keys'): number {
  if (raw === null || raw === '') return MAX_KEYS;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', { message: `Provided ${name} not an integer or within integer range`, extra: { ArgumentName: name, ArgumentValue: raw } });
  return Math.min(Number(raw), MAX_KEYS);
}

/**
 * `encoding-type=url`: every byte but RFC 3986's unreserved characters and `/` is
 * percent-encoded from UTF-8, a space as `%20` (never `+`: SDKs decode with a plain URI
 * decoder, which would leave a `+` in the key). Without it values go out as sent, only
 * XML-escaped.
 */
export function keyEncoder(query: URLSearchParams): (s: string) => string {
  const type = query.get('encoding-type');
  if (type === null || type === '') return escapeXml;
  if (type !== 'url') throw new S3Error('InvalidArgument', { message: 'Invalid Encoding Method specified in Request', extra: { ArgumentName: 'encoding-type', ArgumentValue: type } });
  return urlEncode;
}

export function urlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

function el(name: string, value: string | number | boolean): string {
  return `<${name}>${value}</${name}>`;
}

function contentsXml(result: WalkResult, enc: (s: string) => string, owner: string | null): string {
  let out = '';
  for (const c of result.contents) {
    out += '<Contents>' + el('Key', enc(c.key)) + el('LastModified', new Date(c.createdAt).toISOString()) +
      el('ETag', `&quot;${c.etag}&quot;`) + el('Size', c.size) + el('StorageClass', 'STANDARD') +
      (owner !== null ? `<Owner><ID>${escapeXml(owner)}</ID><DisplayName>${escapeXml(owner)}</DisplayName></Owner>` : '') +
      '</Contents>';
  }
  for (const p of result.commonPrefixes) out += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  return out;
}

export async function listObjectsV1(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const q = ctx.addr.query;
  const enc = keyEncoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const result = await walkKeys(ctx.deps.ledger, { bucket, prefix, delimiter, after: marker, maxKeys });
  const next = result.truncated && result.last !== null ? el('NextMarker', enc(result.last)) : '';
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${XMLNS}">` +
    el('Name', escapeXml(bucket)) + el('Prefix', enc(prefix)) + el('Marker', enc(marker)) + el('MaxKeys', maxKeys) +
    (delimiter !== '' ? el('Delimiter', enc(delimiter)) : '') +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    el('IsTruncated', result.truncated) + next + contentsXml(result, enc, ctx.auth.accessKeyId) + '</ListBucketResult>');
}

function encodeToken(last: string): string {
  return Buffer.from(last, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeToken(decoded) !== token) {
    throw new S3Error('InvalidArgument', { message: 'The continuation token provided is incorrect', extra: { ArgumentName: 'continuation-token' } });
  }
  return decoded;
}

export async function listObjectsV2(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const q = ctx.addr.query;
  const enc = keyEncoder(q);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const startAfter = q.get('start-after') ?? '';
  // An empty continuation-token is no token, as AWS reads it.
  const token = q.get('continuation-token') || null;
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const fetchOwner = q.get('fetch-owner') === 'true';
  const after = token !== null ? decodeToken(token) : startAfter;
  const result = await walkKeys(ctx.deps.ledger, { bucket, prefix, delimiter, after, maxKeys });
  const keyCount = result.contents.length + result.commonPrefixes.length;
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${XMLNS}">` +
    el('Name', escapeXml(bucket)) + el('Prefix', enc(prefix)) +
    (delimiter !== '' ? el('Delimiter', enc(delimiter)) : '') +
    el('MaxKeys', maxKeys) + el('KeyCount', keyCount) +
    (q.get('encoding-type') ? el('EncodingType', 'url') : '') +
    (token !== null ? el('ContinuationToken', escapeXml(token)) : '') +
    (startAfter !== '' ? el('StartAfter', enc(startAfter)) : '') +
    el('IsTruncated', result.truncated) +
    (result.truncated && result.last !== null ? el('NextContinuationToken', encodeToken(result.last)) : '') +
    contentsXml(result, enc, fetchOwner ? ctx.auth.accessKeyId : null) + '</ListBucketResult>');
}
