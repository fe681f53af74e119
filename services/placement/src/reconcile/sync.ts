// `sync`: a one-off import of what one backend holds into one virtual bucket (the CLI's
// `s3-orchestrator sync`). Pages the backend's listing (optionally under a prefix); for each
// key: accounted for by a ledger record (holdings merged with the listing; the import
// transaction checks again) → skipped as known; of our own `…!<id>` form but
// unaccounted → skipped as ours (a leftover of an interrupted write; reconcile owes those,
// sync never deletes); otherwise imported under the name syncTarget gives it. Re-running
// imports nothing new. With dryRun nothing is written: the counts say what would happen.
import type { BackendClient } from '@s3o/backends';
import type { HoldingsLedger, ImportLedger, ImportObjectRequest, ReadLedger } from '@s3o/store';
import { isDeleteMarker } from '@s3o/store';
import { forEachBounded } from './bounded.js';
import { HeldKeys } from './holding-cursor.js';
import { syncTarget } from './import-target.js';
import { importCandidates, inspectKey } from './import-key.js';
import { ownWriteId } from './own-keys.js';

/** Keys looked at (HEAD) at once. */
const SYNC_CONCURRENCY = 16;
const PAGE_SIZE = 1000;
/** Keys between two progress reports. */
export const SYNC_PROGRESS_EVERY = 250;

export interface SyncRequest {
  /** what sync asks of the ledger: whether a key is accounted for, and the import */
  ledger: ImportLedger & HoldingsLedger & ReadLedger;
  client: BackendClient;
  bucket: string;
  /** only backend keys starting with this */
  prefix?: string;
  dryRun: boolean;
  /** called every SYNC_PROGRESS_EVERY keys (and after the last) with the totals so far */
  onProgress?: (counts: SyncCounts) => void;
  /** called for each key that could not be looked at (the run goes on) */
  onError?: (storageKey: string, err: unknown) => void;
  signal?: AbortSignal;
}

export interface SyncCounts {
  listed: number;
  imported: number;
  importedBytes: number;
  /** a ledger record already accounts for the key (imported before, or written by us) */
  skippedKnown: number;
  /** keys of our own form no record accounts for: leftovers of interrupted writes */
  skippedOurs: number;
  /** the object key they would get already has an object */
  skippedExists: number;
  /** nothing to name the object by (a folder marker such as `<bucket>/`) */
  skippedUnnamed: number;
  /** gone before they could be looked at */
  gone: number;
  failed: number;
}

export async function syncBackend(r: SyncRequest): Promise<SyncCounts> {
  const counts: SyncCounts = {
    listed: 0, imported: 0, importedBytes: 0, skippedKnown: 0, skippedOurs: 0, skippedExists: 0, skippedUnnamed: 0, gone: 0, failed: 0,
  };
  const held = new HeldKeys(r.ledger, r.client.name, PAGE_SIZE, r.prefix);
  let token: string | undefined;
  do {
    const page = await r.client.listObjects({ prefix: r.prefix, continuationToken: token, maxKeys: PAGE_SIZE, signal: r.signal });
    for (let i = 0; i < page.keys.length; i += SYNC_PROGRESS_EVERY) {
      const chunk = page.keys.slice(i, i + SYNC_PROGRESS_EVERY);
      // Known keys are told apart by merging the listing with the ledger's holdings, not by
      // a lookup per key; the rest are looked at (HEAD) concurrently.
      const unknown: string[] = [];
      for (const listed of chunk) {
        if (await held.isHeld(listed.key)) counts.skippedKnown++;
        else if (isDeleteMarker(listed.key)) counts.skippedOurs++;
        else if (ownWriteId(listed.key) === null) unknown.push(listed.key);
        // Few and reported as leftovers: confirmed by a lookup of their own.
        else if ((await r.ledger.findHoldings(r.client.name, listed.key)).length > 0) counts.skippedKnown++;
        else counts.skippedOurs++;
      }
      const candidates: ImportObjectRequest[] = [];
      await forEachBounded(unknown, SYNC_CONCURRENCY, async (key) => {
        const candidate = await inspect(r, key, counts);
        if (candidate) candidates.push(candidate);
      }, r.signal);
      r.signal?.throwIfAborted();
      for (const result of await importCandidates(r.ledger, candidates, r.dryRun)) {
        if (result.outcome === 'imported') {
          counts.imported++;
          counts.importedBytes += result.request.identity.size;
        } else if (result.outcome === 'known') {
          counts.skippedKnown++;
        } else {
          counts.skippedExists++;
        }
      }
      counts.listed += chunk.length;
      r.onProgress?.({ ...counts });
    }
    token = page.nextToken;
  } while (token);
  return counts;
}

/** An unaccounted foreign key's import request, or null after counting why it is not imported. */
async function inspect(r: SyncRequest, storageKey: string, counts: SyncCounts): Promise<ImportObjectRequest | null> {
  try {
    const inspection = await inspectKey(r.client, storageKey, () => syncTarget(r.bucket, storageKey), r.signal);
    switch (inspection.outcome) {
      case 'candidate':
        return inspection.request;
      case 'gone':
        counts.gone++;
        return null;
      case 'unnamed':
      case 'unknown-bucket': // syncTarget names no other bucket
        counts.skippedUnnamed++;
        return null;
    }
  } catch (err) {
    if (r.signal?.aborted) throw err;
    counts.failed++;
    r.onError?.(storageKey, err);
    return null;
  }
}
