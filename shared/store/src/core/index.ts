// The ledger's business rules (docs/architecture.md, "The ledger"): the only place that knows
// which statements make up a claim, a commit, a delete, a multipart completion or a cleanup,
// and in which order. Each multi-step change runs in ONE adapter transaction with its TxWork
// (tx-work.ts), so a crash leaves either all of it or none of it: bytes are never charged
// twice, and no debt is ever lost. One module per operation family; this one puts them together.
import type { BackendQuotaConfig, Ledger } from '../ledger.js';
import type { LeaderLock, TxAdapter } from '../tx-adapter.js';
import { cleanupAdminOperations, cleanupOperations } from './cleanup.js';
import { backendDrains } from './drains.js';
import { eventLogOperations, eventOperations } from './events.js';
import { holdingOperations } from './holdings.js';
import { identityOperations } from './identity.js';
import { importOperations, lostObjectOperations, rebuildOperations } from './import.js';
import { multipartOperations } from './multipart.js';
import { notificationOutbox } from './notifications.js';
import { missingCopyOperations, placementOperations, scrubOperations } from './placement.js';
import { readOperations } from './reads.js';
import { reaperOperations } from './reaper.js';
import { taggingOperations } from './tagging.js';
import { TxRunner } from './tx-work.js';
import { usageOperations } from './usage.js';
import { fleetOperations } from './fleet.js';
import { encryptionOperations } from './encryption.js';
import { intentOperations, writeOperations } from './writes.js';

export { sequencerOf, type TxWork } from './tx-work.js';

export interface LedgerOptions {
  /** `source` of every event this ledger appends (service + instance). */
  source: string;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  /**
   * The W3C traceparent of the caller's active span (tracing): stamped on every event an
   * operation appends without one of its own, so consumers continue the caller's trace.
   */
  traceparent?: () => string | null;
}

const NO_TRACE = (): null => null;

export function createLedger(adapter: TxAdapter, options: LedgerOptions): Ledger {
  const core = new TxRunner(adapter, options.source, options.clock ?? Date.now, options.traceparent ?? NO_TRACE);
  return {
    async syncBackends(backends: BackendQuotaConfig[]): Promise<void> {
      await core.withWork(async ({ tx, now }) => {
        for (const b of backends) await tx.upsertBackendQuota(b.name, b.quotaBytes, now);
      });
    },
    close: () => adapter.close(),
    tryLeaderLock: (name: string): Promise<LeaderLock | null> => adapter.tryLeaderLock(name),
    ...intentOperations(core),
    ...writeOperations(core),
    ...taggingOperations(core),
    ...readOperations(core),
    ...reaperOperations(core),
    ...multipartOperations(core),
    ...cleanupOperations(core),
    ...cleanupAdminOperations(core),
    ...holdingOperations(core),
    ...importOperations(core),
    ...rebuildOperations(core),
    ...lostObjectOperations(core),
    ...placementOperations(core),
    ...missingCopyOperations(core),
    ...scrubOperations(core),
    ...usageOperations(core),
    ...fleetOperations(core),
    ...eventOperations(core),
    ...eventLogOperations(core, core.eventsAppended),
    ...encryptionOperations(core),
    drains: backendDrains(core),
    notifications: notificationOutbox(core),
    identity: identityOperations(core),
  };
}
