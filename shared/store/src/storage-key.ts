// Where one write's (or one replica's) bytes live on a backend: a path of its own, so no delete can ever hit
// another write's bytes (docs/architecture.md §4): `{bucket}/{key}!{intent id}`.
//
// A storage key must stay inside its bucket's area on every backend, including those that
// store objects as files by path, and must name one client key only. So in storage keys:
//  * empty path segments (`a//b`, a leading `/`), which some S3 implementations and
//    file-system-backed servers refuse or collapse: a '/' that follows another '/' (or
//    starts the key) is written `%2F`;
//  * `.` and `..` segments, which a file-system-backed server resolves (`x/../../other/y`
//    would land under another bucket's prefix, or outside the data root): written `%2E`
//    and `%2E%2E`;
//  * '\', a path separator to servers on Windows file systems (`..\..` is a dot segment
//    there): written `%5C`;
//  * '%' is written `%25`, so every '%' in a storage path starts one of these escapes and
//    the mapping is one-to-one and reversible (keyOfStoragePath).
// Keys written before an escape was added keep their stored names (the ledger records each
// copy's storage key), so nothing is migrated. The client's key itself also travels in
// `x-amz-meta-s3o-key`.
import { createHash } from 'node:crypto';
import { splitInternalKey } from '@s3o/events';

const MAX_STORAGE_KEY_BYTES = 1024;

/** One non-empty segment, escaped. */
function escapeSegment(segment: string): string {
  if (segment === '.') return '%2E';
  if (segment === '..') return '%2E%2E';
  return segment.replace(/[%\\]/g, (c) => (c === '%' ? '%25' : '%5C'));
}

export function storagePathOf(key: string): string {
  const segments = key.split('/');
  let out = '';
  segments.forEach((segment, i) => {
    // The slash before a segment is escaped when it ends an empty segment (or the key starts with it).
    if (i > 0) out += segments[i - 1] === '' ? '%2F' : '/';
    if (segment !== '') out += escapeSegment(segment);
  });
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { '%2F': '/', '%2E': '.', '%5C': '\\', '%25': '%' };

/** The client key a storage path was made from (the inverse of storagePathOf). */
export function keyOfStoragePath(path: string): string {
  return path.replace(/%(2F|2E|5C|25)/g, (escape) => ESCAPES[escape]!);
}

export function storageKeyFor(bucket: string, key: string, intentId: string): string {
  const plain = `${bucket}/${storagePathOf(key)}!${intentId}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_STORAGE_KEY_BYTES) return plain;
  return `${bucket}/!h/${createHash('sha256').update(key, 'utf8').digest('hex')}!${intentId}`;
}

// The split of an internal key lives with the events, whose data names bucket and key.
export { splitInternalKey };

/** A fresh storage key for `objectKey` (an internal key) under `intentId`. */
export function storageKeyForInternal(objectKey: string, intentId: string): string {
  const { bucket, key } = splitInternalKey(objectKey);
  return storageKeyFor(bucket, key, intentId);
}
