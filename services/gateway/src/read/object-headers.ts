// The headers GET and HEAD answer with, from the ledger's identity of the object.
import type { FastifyReply } from 'fastify';
import type { ObjectRow } from '@s3o/store';

const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

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
  for (const [name, value] of Object.entries(obj.userMetadata)) reply.header(`x-amz-meta-${name}`, value);
  for (const [param, headerName] of OVERRIDES) {
    const v = query.get(param);
    if (v !== null) reply.header(headerName, v);
  }
}
