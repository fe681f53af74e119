// Importing keys found on a backend that no ledger record accounts for and that are not of
// our own form, in two steps: inspect each one (HEAD: identity, x-amz-meta-s3o-bucket; then
// name it), and take the candidates into the ledger in batches — one transaction per batch,
// which itself refuses a storage key that became accounted for meanwhile and never
// overwrites a live object.
import type { BackendClient } from '@s3o/backends';
import type { HoldingsLedger, ImportLedger, ImportObjectRequest, ReadLedger } from '@s3o/store';
import { objectImported } from './events.js';
import type { ImportTarget } from './import-target.js';
import { storedBucket, storedIdentity } from './stored-identity.js';

/** Candidates taken into the ledger per transaction. */
export const IMPORT_BATCH = 100;

export type Inspection =
  /** it disappeared before it could be looked at */
  | { outcome: 'gone' }
  /** nothing names an object key (a folder marker such as `photos/`): left alone */
  | { outcome: 'unnamed' }
  /** it names a bucket that is not configured: left alone, reported */
  | { outcome: 'unknown-bucket'; bucket: string }
  | { outcome: 'candidate'; request: ImportObjectRequest };

export async function inspectKey(
  client: BackendClient,
  storageKey: string,
  /** names the object from the key and the bucket its metadata names, if any */
  targetOf: (bucketMetadata: string | undefined) => ImportTarget,
  signal?: AbortSignal,
): Promise<Inspection> {
  const found = await client.headObject(storageKey, { signal });
  if (!found) return { outcome: 'gone' };
  const target = targetOf(storedBucket(found));
  if ('unknownBucket' in target) return { outcome: 'unknown-bucket', bucket: target.unknownBucket };
  if ('unnamed' in target) return { outcome: 'unnamed' };
  return {
    outcome: 'candidate',
    request: {
      objectKey: `${target.bucket}/${target.key}`,
      backendName: client.name,
      storageKey,
      identity: storedIdentity(found),
      events: (commit) => [objectImported(commit)],
    },
  };
}

export interface ImportResult {
  request: ImportObjectRequest;
  /** imported (with dryRun: would be); known: a ledger record accounts for the storage key; exists: the object key has an object */
  outcome: 'imported' | 'known' | 'exists';
}

/** Imports the candidates in batches of IMPORT_BATCH; with dryRun only says what would happen. */
export async function importCandidates(ledger: ImportLedger & HoldingsLedger & ReadLedger, requests: ImportObjectRequest[], dryRun: boolean): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  for (let i = 0; i < requests.length; i += IMPORT_BATCH) {
    const batch = requests.slice(i, i + IMPORT_BATCH);
    if (dryRun) {
      for (const request of batch) {
        const known = (await ledger.findHoldings(request.backendName, request.storageKey)).length > 0;
        const exists = !known && (await ledger.getObject(request.objectKey)) !== null;
        results.push({ request, outcome: known ? 'known' : exists ? 'exists' : 'imported' });
      }
      continue;
    }
    const outcomes = await ledger.importObjects(batch);
    outcomes.forEach((o, n) => results.push({ request: batch[n]!, outcome: o.outcome === 'held' ? 'known' : o.outcome }));
  }
  return results;
}
