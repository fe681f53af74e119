// The headers GET and HEAD answer with, from the ledger's identity of the object.
//
// Whatever a header cannot carry must never reach writeHead (it would throw after the
// answer was chosen): user metadata a header cannot hold as is (text beyond Latin-1 or
// control characters, e.g. set through a presigned URL's query) is sent RFC 2047-encoded,
// `=?UTF-8?B?…?=`, as AWS does; a name that is not a header name is left out and counted in
// `x-amz-missing-meta`, as AWS does; `response-*` overrides a header cannot carry are
// refused before anything is looked up (checkResponseOverrides).
import type { FastifyReply } from 'fastify';
import { S3Error, tagCount } from '@s3o/s3';
import type { ObjectRow } from '@s3o/store';
import { setChecksumHeaders } from '../write/checksum.js';

const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** What a header value may hold as is: tab, printable ASCII and the rest of Latin-1 (Node's rule). */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A metadata value as a header can carry it: as is, or RFC 2047 (`=?UTF-8?B?…?=`). */
export function headerSafeValue(value: string): string {
  return HEADER_SAFE.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Refuses `response-*` overrides no header can carry, as a 400 before the object is looked up. */
export function checkResponseOverrides(query: URLSearchParams): void {
  for (const [param] of OVERRIDES) {
    const v = query.get(param);
    if (v !== null && !HEADER_SAFE.test(v)) {
      throw new S3Error('InvalidArgument', { message: `Header value for ${param} contains characters that are not allowed.`, extra: { ArgumentName: param, ArgumentValue: '' } });
    }
  }
}

/**
 * `x-amz-checksum-mode: ENABLED` on a GET/HEAD of the whole object: its checksum, as AWS
 * answers it (not for a range or a part: the value covers the whole object).
 */
export function setChecksumAnswer(reply: FastifyReply, obj: ObjectRow, mode: string | undefined, whole: boolean): void {
  if (!whole || mode?.toUpperCase() !== 'ENABLED') return;
  setChecksumHeaders(reply, obj.checksum);
}

export function setObjectHeaders(reply: FastifyReply, obj: ObjectRow, query: URLSearchParams): void {
  reply.header('etag', `"${obj.etag}"`);
  reply.header('last-modified', new Date(obj.createdAt).toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('content-type', obj.contentType);
  const h = obj.headers;
  if (h.cacheControl) reply.header('cache-control', h.cacheControl);
  if (h.contentDisposition) reply.header('content-disposition', h.contentDisposition);
  if (h.contentEncoding) reply.header('content-encoding', h.contentEncoding);
  if (h.contentLanguage) reply.header('content-language', h.contentLanguage);
  if (h.expires) reply.header('expires', h.expires);
  let missing = 0;
  for (const [name, value] of Object.entries(obj.userMetadata)) {
    if (HEADER_NAME.test(name)) reply.header(`x-amz-meta-${name}`, headerSafeValue(value));
    else missing++;
  }
  if (missing > 0) reply.header('x-amz-missing-meta', String(missing));
  const tags = tagCount(obj.tags);
  if (tags > 0) reply.header('x-amz-tagging-count', String(tags));
  for (const [param, headerName] of OVERRIDES) {
    const v = query.get(param);
    if (v !== null) reply.header(headerName, v);
  }
}
