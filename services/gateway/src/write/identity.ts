// The identity a write stores (content type, standard headers, user metadata), taken
// from the request's headers and checked before any byte of the body is read.
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error, parseTaggingHeader } from '@s3o/s3';
import type { ObjectIdentity, StandardHeaders } from '@s3o/store';

/** S3 limits user-defined metadata to 2 KB (names + values). */
export const MAX_USER_METADATA_BYTES = 2048;
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

export type IdentityBase = Omit<ObjectIdentity, 'size' | 'etag'>;

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Metadata names of our own (`x-amz-meta-s3o-bucket`, `-s3o-key`, `-s3o-etag` …): stored with
 * the bytes so degraded reads and reconcile can tell whose copy it is, and trusted by them.
 * A client may not set them.
 */
export const RESERVED_METADATA_PREFIX = 's3o-';

/** An HTTP header name (RFC 9110 token): anything else could never be sent back on a GET. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

export function identityFromHeaders(headers: IncomingHttpHeaders): IdentityBase {
  const userMetadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const short = name.slice('x-amz-meta-'.length);
    if (short.startsWith(RESERVED_METADATA_PREFIX)) {
      throw new S3Error('InvalidArgument', {
        message: `Metadata names starting with x-amz-meta-${RESERVED_METADATA_PREFIX} are reserved by the gateway.`,
        extra: { ArgumentName: name },
      });
    }
    // Presigned URLs carry metadata as query parameters, which can name anything.
    if (!TOKEN.test(short)) {
      throw new S3Error('InvalidArgument', { message: 'A metadata name is not a valid HTTP header name.', extra: { ArgumentName: name } });
    }
    const v = one(value) ?? '';
    userMetadata[short] = v;
    metaBytes += Buffer.byteLength(short) + Buffer.byteLength(v);
  }
  if (metaBytes > MAX_USER_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', { extra: { Size: String(metaBytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) } });
  }
  const std: StandardHeaders = {};
  const set = (k: keyof StandardHeaders, h: string) => {
    const v = one(headers[h]);
    if (v !== undefined && v !== '') std[k] = v;
  };
  set('cacheControl', 'cache-control');
  set('contentDisposition', 'content-disposition');
  set('contentLanguage', 'content-language');
  set('expires', 'expires');
  // aws-chunked is transfer framing, not the object's encoding: keep only the rest.
  const enc = one(headers['content-encoding'])
    ?.split(',').map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked').join(', ');
  if (enc) std.contentEncoding = enc;
  const tags = parseTaggingHeader(one(headers['x-amz-tagging']));
  return { contentType: one(headers['content-type']) || DEFAULT_CONTENT_TYPE, userMetadata, headers: std, contentHash: null, tags };
}
