// Reconcile and sync (docs/architecture.md §2 placement): the periodic comparison of ledger and backends
// (a Reconciler pass every reconcile.interval, on a PeriodicWorker under the `reconcile`
// leader lock: see ../index.ts), and the one-off import the CLI's `sync` runs.
export { Reconciler } from './reconcile-pass.js';
export { reconcileFoundSomething, type ReconcileCounts, type ReconcileDeps, type ReconcileLedger } from './deps.js';
export { syncBackend, SYNC_PROGRESS_EVERY, type SyncCounts, type SyncRequest } from './sync.js';
export { leftoverGraceMs, ownWriteId } from './own-keys.js';
export { MissingBackendsError, rebuildLedger, REBUILD_PROGRESS_EVERY, type RebuildReport, type RebuildRequest } from './rebuild.js';
export { mergeFromBackends, type MergeReport, type MergeRequest } from './merge.js';
