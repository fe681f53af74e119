// What the reconcile job works with.
import type { BackendClient } from '@s3o/backends';
import type { Config } from '@s3o/config';
import type {
  CleanupLedger, EventLedger, HoldingsLedger, IdentityLedger, ImportLedger, LeaderLocks, LostObjectLedger, MissingCopyLedger, ReadLedger,
} from '@s3o/store';
import type { Logger } from '@s3o/telemetry';

/**
 * The ledger roles reconcile uses: what the ledger accounts for on a backend, imports,
 * copies found missing, leftovers owed to cleanup, lost objects and their announcement, and
 * its leader lock.
 */
export type ReconcileLedger = HoldingsLedger & ImportLedger & ReadLedger & MissingCopyLedger & CleanupLedger & LostObjectLedger &
  EventLedger & IdentityLedger & LeaderLocks;

export interface ReconcileDeps {
  config: Config;
  ledger: ReconcileLedger;
  backends: Map<string, BackendClient>;
  logger: Logger;
  /** Epoch milliseconds; defaults to Date.now. The leftover grace period is measured on it. */
  clock?: () => number;
}

/** What one pass found and did, summed over the backends. */
export interface ReconcileCounts {
  /** backends walked to the end */
  backends: number;
  /** backends whose walk failed (listing or ledger error); retried next pass */
  backendsFailed: number;
  keysListed: number;
  /** ledger copies whose backend answered 404: marked missing (replication repairs them) */
  copiesMissing: number;
  /** objects with no ok copy left, reported (object.lost) for the first time by this pass */
  objectsLost: number;
  imported: number;
  importedBytes: number;
  /** unaccounted keys of our own form older than the grace period: now cleanup debts */
  leftoversOwed: number;
  /** unaccounted keys of our own form still inside the grace period: left alone */
  leftoversYoung: number;
  /** foreign keys naming a bucket that is not configured: reported, not imported */
  unknownBucket: number;
  /** foreign keys whose object key already has an object: left alone */
  conflicts: number;
  /** foreign keys that name no object (folder markers): left alone */
  unnamed: number;
  /** keys or copies that could not be looked at (HEAD or ledger error); next pass */
  failed: number;
}

export function zeroCounts(): ReconcileCounts {
  return {
    backends: 0, backendsFailed: 0, keysListed: 0, copiesMissing: 0, objectsLost: 0, imported: 0, importedBytes: 0,
    leftoversOwed: 0, leftoversYoung: 0, unknownBucket: 0, conflicts: 0, unnamed: 0, failed: 0,
  };
}

/** Whether a pass found anything worth an info line (keys listed and backends walked are not news). */
export function reconcileFoundSomething(c: ReconcileCounts): boolean {
  return c.copiesMissing + c.objectsLost + c.imported + c.leftoversOwed + c.unknownBucket + c.conflicts + c.failed + c.backendsFailed > 0;
}
