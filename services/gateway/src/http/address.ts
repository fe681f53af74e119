// Where a request points: which virtual bucket and object key, from a path-style URL
// (`/bucket/key`) or a virtual-hosted one (`bucket.<suffix>/key`). The key is taken
// from the raw path so `//`, `+` and any UTF-8 survive exactly as the client sent them.
import { parseQuery } from '@s3o/s3';

export interface S3Address {
  bucket: string | null;
  key: string | null;
  /** path as received (still percent-encoded), without the query */
  rawPath: string;
  rawQuery: string | undefined;
  query: URLSearchParams;
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function parseAddress(rawUrl: string, host: string | undefined, virtualHostSuffix: string | null): S3Address {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? undefined : rawUrl.slice(q + 1);
  // Decoded as SigV4 canonicalises it ('+' stays '+'), so we act on what was signed.
  const query = new URLSearchParams();
  for (const [name, value] of parseQuery(rawQuery)) query.append(name, value);

  const hostBucket = virtualHostSuffix ? bucketFromHost(host, virtualHostSuffix) : null;
  if (hostBucket !== null) {
    const keyPart = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    return { bucket: hostBucket, key: keyPart === '' ? null : decodePath(keyPart), rawPath, rawQuery, query };
  }
  const withoutSlash = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (withoutSlash === '') return { bucket: null, key: null, rawPath, rawQuery, query };
  const slash = withoutSlash.indexOf('/');
  if (slash === -1) return { bucket: decodePath(withoutSlash), key: null, rawPath, rawQuery, query };
  const key = withoutSlash.slice(slash + 1);
  return { bucket: decodePath(withoutSlash.slice(0, slash)), key: key === '' ? null : decodePath(key), rawPath, rawQuery, query };
}

/**
 * Whether a request addresses a bucket by its Host (`bucket.<suffix>`): then its whole path
 * is an object key — `/admin/…` or `/health` there are keys, not the gateway's own routes.
 */
export function isVirtualHosted(host: string | undefined, virtualHostSuffix: string | null): boolean {
  return virtualHostSuffix !== null && bucketFromHost(host, virtualHostSuffix) !== null;
}

/** The URL as the client sent it (fastify's rewriteUrl keeps it there). */
export function sentUrl(req: { url?: string; originalUrl?: string }): string {
  return req.originalUrl ?? req.url ?? '/';
}

function bucketFromHost(host: string | undefined, suffix: string): string | null {
  if (!host) return null;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  const tail = '.' + suffix.toLowerCase();
  if (!name.endsWith(tail)) return null;
  const bucket = name.slice(0, -tail.length);
  return bucket === '' ? null : bucket;
}

/** Internal key: `{bucket}/{key}` — the ledger's name for an object. */
export function internalKey(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}
