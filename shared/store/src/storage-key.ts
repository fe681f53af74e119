// Where one write's (or one replica's) bytes live on a backend: a path of its own, so no delete can ever hit
// another write's bytes (docs/architecture.md §4): `{bucket}/{key}!{intent id}`.
//
// Empty path segments (`a//b`, a leading `/`) are refused or collapsed by some S3
// implementations and file-system-backed servers, so in storage keys a '/' that follows
// another '/' (or starts the key) is written `%2F`, and '%' is written `%25` to keep the
// mapping reversible. The client's key itself also travels in `x-amz-meta-s3o-key`.
import { createHash } from 'node:crypto';
import { splitInternalKey } from '@s3o/events';

const MAX_STORAGE_KEY_BYTES = 1024;

export function storagePathOf(key: string): string {
  let out = '';
  let afterSlash = true;
  for (const ch of key) {
    if (ch === '/') {
      out += afterSlash ? '%2F' : '/';
      afterSlash = true;
      continue;
    }
    out += ch === '%' ? '%25' : ch;
    afterSlash = false;
  }
  return out;
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
