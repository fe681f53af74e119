// Presigned S3 URLs for the dashboard's object actions: the browser then talks S3 to this
// same gateway (path-style, relative URL) — uploads stream with progress, downloads stream,
// and every object action goes through the S3 path with its rules, signed by the bucket's
// own credential, which never leaves the server.
import type { Credential } from '@s3o/config';
import {
  ALGORITHM, amzDateOf, canonicalQuery, canonicalRequest, credentialScope, deriveSigningKey, signatureHex, stringToSign,
  UNSIGNED_PAYLOAD, uriEncode,
} from '@s3o/s3';

/** Long enough for a large upload to start; the URL is for one action the operator just asked for. */
const EXPIRES_SECONDS = 15 * 60;
const REGION = 'us-east-1';

export interface PresignRequest {
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  bucket: string;
  key: string;
  /** the Host header the browser sends (the URL is relative, so it is this gateway's) */
  host: string;
  /** extra query parameters, e.g. response-content-disposition */
  query?: Record<string, string>;
}

/** The path and query of a presigned request, to be used relative to the gateway's origin. */
export function presign(credential: Credential, r: PresignRequest, now = new Date()): string {
  const amzDate = amzDateOf(now);
  const scope = credentialScope(amzDate.slice(0, 8), REGION, 's3');
  const path = `/${uriEncode(r.bucket)}/${uriEncode(r.key, true)}`;
  const pairs: Array<[string, string]> = [
    ...Object.entries(r.query ?? {}),
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${credential.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(EXPIRES_SECONDS)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const canonical = canonicalRequest({
    method: r.method, canonicalUri: path, canonicalQuery: canonicalQuery(pairs), headers: { host: r.host }, signedHeaders: ['host'], payloadHash: UNSIGNED_PAYLOAD,
  });
  const signature = signatureHex(deriveSigningKey(credential.secretAccessKey, amzDate.slice(0, 8), REGION, 's3'), stringToSign(amzDate, scope, canonical));
  return `${path}?${canonicalQuery([...pairs, ['X-Amz-Signature', signature]])}`;
}
