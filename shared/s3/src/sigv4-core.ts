// The pieces of AWS Signature Version 4 that both sides need: the gateway verifies
// clients' signatures with them, the backend client signs its own requests with them.
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** A signing key is valid for a whole day: remember the recent ones (bounded). */
const signingKeys = new Map<string, Buffer>();
const MAX_CACHED_SIGNING_KEYS = 256;

/** Signing keys held (at most MAX_CACHED_SIGNING_KEYS, whatever regions and keys clients send). */
export function cachedSigningKeyCount(): number {
  return signingKeys.size;
}

/** kSigning = HMAC chain over date, region, service, "aws4_request". */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\n${region}\n${service}\n${secret}`;
  const cached = signingKeys.get(id);
  if (cached) return cached;
  const kDate = hmac('AWS4' + secret, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const key = hmac(kService, 'aws4_request');
  if (signingKeys.size >= MAX_CACHED_SIGNING_KEYS) signingKeys.delete(signingKeys.keys().next().value as string);
  signingKeys.set(id, key);
  return key;
}

/**
 * RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is
 * percent-encoded (upper-case hex); '/' is kept when `keepSlash` (object paths).
 */
export function uriEncode(value: string, keepSlash = false): string {
  let encoded: string;
  try {
    // encodeURIComponent is native and already upper-case; it only leaves ! ' ( ) *
    // unescaped beyond SigV4's unreserved set.
    encoded = encodeURIComponent(value);
  } catch {
    // Lone surrogates: encode the bytes Buffer would produce (U+FFFD), as before.
    return uriEncodeBytes(value, keepSlash);
  }
  if (/[!'()*]/.test(encoded)) encoded = encoded.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash && encoded.includes('%2F') ? encoded.replace(/%2F/g, '/') : encoded;
}

function uriEncodeBytes(value: string, keepSlash: boolean): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
      c === '-' || c === '_' || c === '.' || c === '~' || (keepSlash && c === '/')) {
      out += c;
    } else {
      out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

/** Canonical query string from decoded (name, value) pairs: encode, sort by name then value. */
export function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Header values are trimmed and inner runs of spaces collapsed. */
export function canonicalHeaderValue(value: string | string[]): string {
  const v = Array.isArray(value) ? value.join(',') : value;
  return v.trim().replace(/\s+/g, ' ');
}

export interface CanonicalRequestParts {
  method: string;
  /** Already-encoded canonical URI (S3: each path segment URI-encoded once, '/' kept). */
  canonicalUri: string;
  canonicalQuery: string;
  /** lower-case header name → value, only the signed headers */
  headers: Record<string, string | string[]>;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalRequestParts): string {
  const names = [...p.signedHeaders].sort();
  const headerLines = names.map((n) => `${n}:${canonicalHeaderValue(p.headers[n] ?? '')}\n`).join('');
  return [p.method, p.canonicalUri, p.canonicalQuery, headerLines, names.join(';'), p.payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequestText)].join('\n');
}

export function signatureHex(signingKey: Buffer, toSign: string): string {
  return createHmac('sha256', signingKey).update(toSign, 'utf8').digest('hex');
}

/** `YYYYMMDDTHHMMSSZ` */
export function amzDateOf(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export const STREAMING_PAYLOAD_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';

/** `DATE/REGION/SERVICE/aws4_request` */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

/** What one aws-chunked chunk's signature covers: the previous signature chains the chunks. */
export function chunkStringToSign(amzDate: string, scope: string, previousSignature: string, chunkSha256Hex: string): string {
  return [STREAMING_PAYLOAD_ALGORITHM, amzDate, scope, previousSignature, EMPTY_SHA256, chunkSha256Hex].join('\n');
}

/** What the trailer signature covers; `trailerSha256Hex` hashes the canonical trailer lines ("name:value\n" each). */
export function trailerStringToSign(amzDate: string, scope: string, previousSignature: string, trailerSha256Hex: string): string {
  return [STREAMING_TRAILER_ALGORITHM, amzDate, scope, previousSignature, trailerSha256Hex].join('\n');
}
