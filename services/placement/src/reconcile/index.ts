// Reconcile and sync (DESIGN §2 placement): the periodic comparison of ledger and backends,
// and the one-off import the CLI's `sync` runs.
export { ReconcileJob, RECONCILE_LOCK } from './reconcile-job.js';
export { Reconciler } from './reconcile-pass.js';
export type { ReconcileCounts, ReconcileDeps, ReconcileLedger } from './deps.js';
export { syncBackend, SYNC_PROGRESS_EVERY, type SyncCounts, type SyncRequest } from './sync.js';
export { leftoverGraceMs, ownWriteId } from './own-keys.js';
