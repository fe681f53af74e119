// Authenticating incoming S3 requests: AWS Signature Version 4 in the Authorization
// header or in a presigned query string. The result says how the body is protected,
// because SigV4 lets the client choose (a hash, nothing, or per-chunk signatures) and
// the gateway must then check the body the same way while streaming it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { s3Error, type S3Error } from './errors.js';
import {
  ALGORITHM,
  UNSIGNED_PAYLOAD,
  amzDateOf,
  canonicalQuery,
  canonicalRequest,
  credentialScope,
  deriveSigningKey,
  signatureHex,
  stringToSign,
  uriEncode,
} from './sigv4-core.js';

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;

export const STREAMING_SIGNED_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_PAYLOAD_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_PAYLOAD_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

export interface IncomingRequestParts {
  method: string;
  /** The path exactly as received: still percent-encoded, without the query. */
  rawPath: string;
  /** Everything after '?', undefined when the URL has none. */
  rawQuery: string | undefined;
  /** Node's lower-cased request headers. */
  headers: IncomingHttpHeaders;
}

/** The secret of an access key, or undefined when the key is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** How the client protected the body; the gateway must check it accordingly while streaming. */
export type PayloadAuth =
  /** The signed hex SHA-256 of the body: verify it at the end (BodyVerifier). */
  | { mode: 'sha256'; hash: string }
  | { mode: 'unsigned' }
  /** aws-chunked body with per-chunk signatures chained from `seedSignature`. */
  | { mode: 'streaming-signed'; seedSignature: string; signingKey: Buffer; amzDate: string; scope: string; trailer: boolean }
  /** aws-chunked body without signatures, ending in a trailer (normally a checksum). */
  | { mode: 'streaming-unsigned-trailer' };

export interface VerifiedRequest {
  accessKeyId: string;
  region: string;
  authType: 'header' | 'presigned';
  payload: PayloadAuth;
  /**
   * Presigned URLs carry request headers as x-amz-* query parameters (x-amz-meta-*,
   * x-amz-checksum-*, …); here they are, lower-cased, for the gateway to treat as
   * headers. Empty for header auth.
   */
  queryHeaders: Record<string, string>;
}

// An unknown access key is verified against this secret, so it costs the same work as a
// known one and timing does not tell which keys exist.
const DECOY_SECRET = randomBytes(30).toString('base64');

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const PRESIGN_AUTH_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
]);

/**
 * Decodes a raw query string into (name, value) pairs in order. '+' stays '+'
 * (RFC 3986, as SigV4 canonicalises it; SDKs send spaces as %20). The gateway should
 * read its query parameters through this too, so what it acts on is what was signed.
 */
export function parseQuery(rawQuery: string | undefined): Array<[string, string]> {
  if (!rawQuery) return [];
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decodeComponent(name), decodeComponent(value)]);
  }
  return pairs;
}

function decodeComponent(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw s3Error('InvalidURI');
  }
}

/**
 * S3's canonical URI: the decoded path with each segment URI-encoded once. S3 does not
 * normalise paths ('//', '.', '..' are part of keys), so nothing else is touched.
 */
export function canonicalUriOf(rawPath: string): string {
  return uriEncode(decodeComponent(rawPath), true);
}

const MAX_CLAIMED_KEY_CHARS = 128;

/**
 * The access key id a request names (Authorization's Credential=, or X-Amz-Credential),
 * whether or not its signature holds: for audit lines of refused requests. Null when it
 * names none; cut to 128 characters, since it is whatever the client wrote.
 */
export function claimedAccessKeyId(headers: IncomingHttpHeaders, rawQuery: string | undefined): string | null {
  const authorization = headerValue(headers, 'authorization');
  let credential: string | undefined;
  if (authorization !== undefined) {
    credential = /Credential=([^,\s]*)/.exec(authorization)?.[1];
  } else if (rawQuery !== undefined) {
    try {
      credential = parseQuery(rawQuery).find(([k]) => k === 'X-Amz-Credential')?.[1];
    } catch {
      return null; // a query that is not even decodable names nothing
    }
  }
  if (credential === undefined) return null;
  const slash = credential.indexOf('/');
  const id = slash === -1 ? credential : credential.slice(0, slash);
  return id === '' ? null : id.slice(0, MAX_CLAIMED_KEY_CHARS);
}

/**
 * Authenticates a request or throws the S3Error AWS would answer with.
 * Anonymous requests are refused (AccessDenied): every virtual bucket has credentials.
 */
export function verifySigV4(req: IncomingRequestParts, lookupSecret: SecretLookup, now: Date = new Date()): VerifiedRequest {
  const authorization = req.headers.authorization;
  const query = parseQuery(req.rawQuery);
  const presigned = query.some(([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Credential' || k === 'X-Amz-Signature');
  if (authorization !== undefined && presigned) {
    throw s3Error('InvalidArgument', {
      message:
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      extra: { ArgumentName: 'Authorization', ArgumentValue: authorization },
    });
  }
  if (authorization !== undefined) return verifyHeaderAuth(req, authorization, query, lookupSecret, now);
  if (presigned) return verifyPresigned(req, query, lookupSecret, now);
  if (query.some(([k]) => k === 'AWSAccessKeyId') && query.some(([k]) => k === 'Signature')) throw sigV2NotSupported();
  throw s3Error('AccessDenied');
}

function sigV2NotSupported(): S3Error {
  return s3Error('InvalidRequest', {
    message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
  });
}

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
}

/** `AKID/YYYYMMDD/REGION/s3/aws4_request`; `fail(detail)` builds the error of the auth style. */
function parseCredential(value: string, fail: (detail: string) => S3Error): Credential {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '') || !/^\d{8}$/.test(parts[1]!)) {
    throw fail('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  if (service !== 's3') throw fail(`incorrect service "${service}". This endpoint belongs to "s3".`);
  if (terminal !== 'aws4_request') throw fail(`incorrect terminal "${terminal}". This endpoint uses "aws4_request".`);
  return { accessKeyId, date, region };
}

/** Milliseconds since epoch of a `YYYYMMDDTHHMMSSZ` stamp, or NaN when it is not one. */
function parseAmzDate(value: string): number {
  const m = AMZ_DATE.exec(value);
  if (!m) return NaN;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  // Date.UTC rolls over (month 13 → next year); a real stamp survives the round trip.
  return amzDateOf(new Date(ms)) === value ? ms : NaN;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Headers that must be covered by the signature but are not: host (SigV4 requires it)
 * and every x-amz-* header actually sent, as AWS enforces.
 */
function requireSigned(headers: IncomingHttpHeaders, signed: ReadonlySet<string>): void {
  const missing: string[] = [];
  if (!signed.has('host')) missing.push('host');
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-amz-') && !signed.has(name)) missing.push(name);
  }
  if (missing.length > 0) {
    throw s3Error('AccessDenied', {
      message: 'There were headers present in the request which were not signed',
      extra: { HeadersNotSigned: missing.join(', ') },
    });
  }
}

function parseSignedHeaders(value: string, fail: (detail: string) => S3Error): string[] {
  const names = value.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase())) throw fail('the SignedHeaders list is mal-formed.');
  return names;
}

function payloadFromHeader(value: string | undefined): PayloadAuth | 'streaming' {
  if (value === undefined) {
    throw s3Error('InvalidRequest', { message: 'Missing required header for this request: x-amz-content-sha256' });
  }
  if (HEX_SHA256.test(value)) return { mode: 'sha256', hash: value };
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { mode: 'unsigned' };
    case STREAMING_UNSIGNED_PAYLOAD_TRAILER:
      return { mode: 'streaming-unsigned-trailer' };
    case STREAMING_SIGNED_PAYLOAD:
    case STREAMING_SIGNED_PAYLOAD_TRAILER:
      return 'streaming'; // completed once the seed signature is known
  }
  throw s3Error('InvalidArgument', {
    message: `x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD}, ${STREAMING_UNSIGNED_PAYLOAD_TRAILER}, ${STREAMING_SIGNED_PAYLOAD}, ${STREAMING_SIGNED_PAYLOAD_TRAILER} or a valid sha256 value.`,
    extra: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
  });
}

function verifyHeaderAuth(
  req: IncomingRequestParts,
  authorization: string,
  query: Array<[string, string]>,
  lookupSecret: SecretLookup,
  now: Date,
): VerifiedRequest {
  const malformed = (detail: string) =>
    s3Error('AuthorizationHeaderMalformed', { message: `The authorization header is malformed; ${detail}` });

  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm === 'AWS') throw sigV2NotSupported();
  if (algorithm !== ALGORITHM) {
    throw malformed(`the authorization mechanism "${algorithm}" is not supported. Please use ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const item of authorization.slice(space + 1).split(',')) {
    const eq = item.indexOf('=');
    if (eq !== -1) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credentialText === undefined || signedHeadersText === undefined || signature === undefined) {
    throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const credential = parseCredential(credentialText, malformed);
  const signedHeaders = parseSignedHeaders(signedHeadersText, malformed);

  // x-amz-date wins; a client may sign with Date instead.
  const xAmzDate = headerValue(req.headers, 'x-amz-date');
  let amzDate: string;
  let requestTime: number;
  if (xAmzDate !== undefined) {
    amzDate = xAmzDate;
    requestTime = parseAmzDate(xAmzDate);
  } else {
    const date = headerValue(req.headers, 'date');
    requestTime = date === undefined ? NaN : Date.parse(date);
    amzDate = Number.isNaN(requestTime) ? '' : amzDateOf(new Date(requestTime));
  }
  if (Number.isNaN(requestTime)) {
    throw s3Error('AccessDenied', { message: 'AWS authentication requires a valid Date or x-amz-date header' });
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    throw malformed('Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  if (Math.abs(now.getTime() - requestTime) > MAX_CLOCK_SKEW_MS) {
    throw s3Error('RequestTimeTooSkewed', {
      extra: {
        RequestTime: xAmzDate ?? headerValue(req.headers, 'date') ?? '',
        ServerTime: now.toISOString(),
        MaxAllowedSkewMilliseconds: String(MAX_CLOCK_SKEW_MS),
      },
    });
  }
  const contentSha256 = headerValue(req.headers, 'x-amz-content-sha256');
  const declaredPayload = payloadFromHeader(contentSha256);
  const signedSet = new Set(signedHeaders);
  if (!signedSet.has('x-amz-content-sha256')) {
    throw s3Error('InvalidRequest', { message: "header 'x-amz-content-sha256' must be included in signature" });
  }
  requireSigned(req.headers, signedSet);

  const scope = credentialScope(credential.date, credential.region, 's3');
  const signingKey = checkSignature({
    req,
    query,
    signedHeaders,
    payloadHash: contentSha256!,
    amzDate,
    scope,
    credential,
    signature,
    lookupSecret,
  });
  const payload: PayloadAuth =
    declaredPayload === 'streaming'
      ? {
          mode: 'streaming-signed',
          seedSignature: signature,
          signingKey,
          amzDate,
          scope,
          trailer: contentSha256 === STREAMING_SIGNED_PAYLOAD_TRAILER,
        }
      : declaredPayload;
  return { accessKeyId: credential.accessKeyId, region: credential.region, authType: 'header', payload, queryHeaders: {} };
}

function verifyPresigned(
  req: IncomingRequestParts,
  query: Array<[string, string]>,
  lookupSecret: SecretLookup,
  now: Date,
): VerifiedRequest {
  const fail = (message?: string) =>
    s3Error('AuthorizationQueryParametersError', message === undefined ? undefined : { message });
  const params = new Map<string, string>();
  for (const [k, v] of query) if (PRESIGN_AUTH_PARAMS.has(k)) params.set(k, v);
  const algorithm = params.get('X-Amz-Algorithm');
  const credentialText = params.get('X-Amz-Credential');
  const amzDate = params.get('X-Amz-Date');
  const expiresText = params.get('X-Amz-Expires');
  const signedHeadersText = params.get('X-Amz-SignedHeaders');
  const signature = params.get('X-Amz-Signature');
  if (!algorithm || !credentialText || !amzDate || !expiresText || !signedHeadersText || !signature) throw fail();
  if (algorithm !== ALGORITHM) throw fail(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const credential = parseCredential(credentialText, (detail) => fail(`Error parsing the X-Amz-Credential parameter; ${detail}`));
  const requestTime = parseAmzDate(amzDate);
  if (Number.isNaN(requestTime)) throw fail(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  if (credential.date !== amzDate.slice(0, 8)) {
    throw fail(
      `Error parsing the X-Amz-Credential parameter; Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  // A negative lifetime is a URL that expired before it was made: AWS answers it as expired.
  if (!/^-?\d{1,10}$/.test(expiresText)) throw fail('X-Amz-Expires should be a number');
  const expires = Number(expiresText);
  if (expires > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw fail('X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds');
  }
  const signedHeaders = parseSignedHeaders(signedHeadersText, (detail) => fail(`X-Amz-SignedHeaders: ${detail}`));
  if (requestTime - now.getTime() > MAX_CLOCK_SKEW_MS) throw s3Error('AccessDenied', { message: 'Request is not valid yet' });
  if (now.getTime() > requestTime + expires * 1000) {
    throw s3Error('AccessDenied', {
      message: 'Request has expired',
      extra: {
        'X-Amz-Expires': expiresText,
        Expires: new Date(requestTime + expires * 1000).toISOString(),
        ServerTime: now.toISOString(),
      },
    });
  }
  // The body is unsigned unless the presigner fixed its hash in the URL (or a signed header).
  const payloadHash = params.get('X-Amz-Content-Sha256') ?? headerValue(req.headers, 'x-amz-content-sha256') ?? UNSIGNED_PAYLOAD;
  let payload: PayloadAuth;
  if (payloadHash === UNSIGNED_PAYLOAD) payload = { mode: 'unsigned' };
  else if (HEX_SHA256.test(payloadHash)) payload = { mode: 'sha256', hash: payloadHash };
  else {
    throw s3Error('InvalidArgument', {
      message: `x-amz-content-sha256 must be ${UNSIGNED_PAYLOAD} or a valid sha256 value for a presigned request.`,
      extra: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash },
    });
  }
  requireSigned(req.headers, new Set(signedHeaders));

  checkSignature({
    req,
    query: query.filter(([k]) => k !== 'X-Amz-Signature'),
    signedHeaders,
    payloadHash,
    amzDate,
    scope: credentialScope(credential.date, credential.region, 's3'),
    credential,
    signature,
    lookupSecret,
  });
  const queryHeaders: Record<string, string> = {};
  for (const [k, v] of query) {
    const name = k.toLowerCase();
    if (name.startsWith('x-amz-') && !PRESIGN_AUTH_PARAMS.has(k)) queryHeaders[name] = v;
  }
  return { accessKeyId: credential.accessKeyId, region: credential.region, authType: 'presigned', payload, queryHeaders };
}

interface SignatureCheck {
  req: IncomingRequestParts;
  /** The pairs the signature covers (presigned: all but X-Amz-Signature). */
  query: Array<[string, string]>;
  signedHeaders: string[];
  payloadHash: string;
  amzDate: string;
  scope: string;
  credential: Credential;
  signature: string;
  lookupSecret: SecretLookup;
}

/** Recomputes the signature; returns the signing key (the seed of chunk signatures). */
function checkSignature(c: SignatureCheck): Buffer {
  const secret = c.lookupSecret(c.credential.accessKeyId);
  const canonical = canonicalRequest({
    method: c.req.method,
    canonicalUri: canonicalUriOf(c.req.rawPath),
    canonicalQuery: canonicalQuery(c.query),
    headers: c.req.headers as Record<string, string | string[]>,
    signedHeaders: c.signedHeaders,
    payloadHash: c.payloadHash,
  });
  const toSign = stringToSign(c.amzDate, c.scope, canonical);
  const signingKey = deriveSigningKey(secret ?? DECOY_SECRET, c.credential.date, c.credential.region, 's3');
  const matches = signaturesEqual(signatureHex(signingKey, toSign), c.signature);
  if (secret === undefined) {
    throw s3Error('InvalidAccessKeyId', { extra: { AWSAccessKeyId: c.credential.accessKeyId } });
  }
  if (!matches) {
    throw s3Error('SignatureDoesNotMatch', {
      extra: {
        AWSAccessKeyId: c.credential.accessKeyId,
        StringToSign: toSign,
        SignatureProvided: c.signature,
        CanonicalRequest: canonical,
      },
    });
  }
  return signingKey;
}

/** Constant-time comparison of two hex signatures (a length mismatch still does the work). */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(provided, 'latin1');
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
