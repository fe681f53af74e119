// Delete markers (docs/architecture.md §4 "Deletes do not come back"): before the ledger
// forgets an object, the gateway writes a small marker beside each of its copies, on the
// copy's backend; cleanup deletes the marker only after it deleted the copy's bytes. So at
// every moment either the ledger records the object, or a marker names each of its copies
// whose bytes are still there — and a rebuild of the ledger from the backends never brings a
// deleted object back.
//
// A marker's key is derived from the copy's storage key alone, so cleanup (which knows only
// the debt's storage key) and rebuild (which sees only listings) find it without a record:
// `{storage key}!deleted`, or `{bucket}/!d/{sha256(storage key)}` when that would pass S3's
// 1024-byte key limit (rebuild hashes every listed key to match those).
import { createHash } from 'node:crypto';

const MAX_KEY_BYTES = 1024;

/** The debt reason of a deleted object's copies: cleanup removes their delete markers after their bytes. */
export const DELETED_REASON = 'deleted';
/** How debts recorded before `cleanup_queue.marker_backend` (migration 0025) named a fallback marker's backend. */
const LEGACY_ELSEWHERE = /^deleted \(marker on (.+)\)$/;

/**
 * Where the delete marker of a debt's copy is (cleanup deletes it after the bytes); null for a
 * debt of another kind. The debt's `markerBackend` says it; a debt recorded before that column
 * existed said it in its reason (`deleted`: beside the bytes; `deleted (marker on B)`: on B).
 */
export function markerBackendOf(debt: { reason: string; backendName: string; markerBackend?: string | null }): string | null {
  if (debt.markerBackend) return debt.markerBackend;
  if (debt.reason === DELETED_REASON) return debt.backendName;
  return LEGACY_ELSEWHERE.exec(debt.reason)?.[1] ?? null;
}
const SUFFIX = '!deleted';
const HASHED = /^[^/]+\/!d\/([0-9a-f]{64})$/;

export function deleteMarkerKey(storageKey: string): string {
  const plain = `${storageKey}${SUFFIX}`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_KEY_BYTES) return plain;
  const slash = storageKey.indexOf('/');
  const bucket = slash > 0 ? storageKey.slice(0, slash) : '_';
  return `${bucket}/!d/${storageKeyHash(storageKey)}`;
}

export function storageKeyHash(storageKey: string): string {
  return createHash('sha256').update(storageKey, 'utf8').digest('hex');
}

/** What a backend key that is a delete marker marks: the storage key itself, or its hash (long keys); null for any other key. */
export function markedBy(backendKey: string): { storageKey: string } | { hash: string } | null {
  if (backendKey.endsWith(SUFFIX)) return { storageKey: backendKey.slice(0, -SUFFIX.length) };
  const hashed = HASHED.exec(backendKey);
  return hashed ? { hash: hashed[1]! } : null;
}

export function isDeleteMarker(backendKey: string): boolean {
  return markedBy(backendKey) !== null;
}
