// The placement service: where copies live over time (docs/architecture.md §2) — replication to the
// factor (replication/), and the other placement jobs beside it. Every periodic job runs on
// a PeriodicWorker (@s3o/workers) named in worker-names.ts.
import type { Config } from '@s3o/config';
import type { EventBus } from '@s3o/bus';
import { PeriodicWorker } from '@s3o/workers';
import { startReplication, type ReplicationDeps, type ReplicationLedger } from './replication/index.js';
import { Reconciler, reconcileFoundSomething, type ReconcileCounts, type ReconcileLedger } from './reconcile/index.js';
import type { BackendBreakers } from '@s3o/backends';
import { HealthProber } from './health/index.js';
import { startRelocation, type RelocationDeps, type RelocationLedger } from './relocation/index.js';
import { PLACEMENT_WORKERS } from './worker-names.js';
import { Scrubber, scrubFoundSomething, scrubScopeOf, type ScrubberLedger } from './scrub/scrubber.js';
import type { KeySource } from '@s3o/crypto';

export type { BackendHealthView, ReplicationDeps, ReplicationLedger } from './replication/index.js';
export {
  Reconciler, reconcileFoundSomething, syncBackend, SYNC_PROGRESS_EVERY, leftoverGraceMs, ownWriteId, rebuildLedger, MissingBackendsError, REBUILD_PROGRESS_EVERY,
  mergeFromBackends,
} from './reconcile/index.js';
export type { ReconcileCounts, ReconcileDeps, ReconcileLedger, RebuildReport, RebuildRequest, SyncCounts, SyncRequest, MergeReport, MergeRequest } from './reconcile/index.js';
export { PLACEMENT_WORKERS } from './worker-names.js';
export { copyBytes, TargetWriteError } from './copy-bytes.js';

export interface PlacementService {
  /** A reloaded configuration: replication.* and rebalance.* from the next event and pass on (docs/architecture.md §7 "Reloading"). */
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

/** The ledger roles of every placement job (the health prober's are among them). */
export type PlacementServiceLedger = ReplicationLedger & RelocationLedger & ReconcileLedger & ScrubberLedger;

export type PlacementDeps = Omit<ReplicationDeps, 'ledger'> & Pick<RelocationDeps, 'admission'> & {
  ledger: PlacementServiceLedger;
  bus: EventBus;
  /** the process's breakers: the prober keeps them fresh and announces their changes (health/) */
  breakers?: BackendBreakers | null;
  /** the master keys: the scrubber authenticates encrypted copies with them */
  keys?: KeySource | null;
};

export { DrainWorker, Rebalancer, CopyMover } from './relocation/index.js';
export type { DrainRunCounts, RebalanceCounts, RelocationDeps, RelocationLedger } from './relocation/index.js';
export { HealthProber, type ProbeCounts } from './health/index.js';
export { Scrubber, type ScrubCounts, type ScrubberDeps, type ScrubberLedger } from './scrub/scrubber.js';

/** The slowest a closed backend is probed for health (faster when open_timeout is shorter). */
const MAX_HEALTH_PROBE_INTERVAL_MS = 30_000;

export function startPlacementService(deps: PlacementDeps): PlacementService {
  const replication = startReplication(deps);
  // reconcile/: ledger vs backends every reconcile.interval, one process at a time.
  const reconciler = deps.config.reconcile.enabled ? new Reconciler(deps) : null;
  const reconcile = reconciler && new PeriodicWorker<ReconcileCounts>({
    name: PLACEMENT_WORKERS.reconcile, lock: 'per-run', locks: deps.ledger, intervalMs: deps.config.reconcile.intervalMs,
    logger: deps.logger, run: (signal, progress) => reconciler.pass(signal, progress), noteworthy: reconcileFoundSomething,
  });
  reconcile?.start();
  // scrub/: integrity.scrub_* — copies re-read at a bounded rate, one process at a time.
  const scrubber = deps.config.integrity.scrub.enabled ? new Scrubber(deps) : null;
  const scrub = scrubber && new PeriodicWorker({
    name: PLACEMENT_WORKERS.scrub, lock: 'per-run', locks: deps.ledger, intervalMs: deps.config.integrity.scrub.intervalMs,
    logger: deps.logger, run: (signal, progress, params) => scrubber.pass(signal, progress, scrubScopeOf(params)), noteworthy: scrubFoundSomething,
  });
  scrub?.start();
  // relocation/: drains (admin API) and the rebalancer.
  const relocation = startRelocation(deps);
  // health/: the cluster's view of backend health, announced as backend.circuit.* events.
  const prober = deps.breakers
    ? new HealthProber({
      ledger: deps.ledger, backends: deps.backends, breakers: deps.breakers, logger: deps.logger,
      intervalMs: Math.min(deps.config.backendCircuitBreaker.openTimeoutMs, MAX_HEALTH_PROBE_INTERVAL_MS),
    })
    : null;
  prober?.start();
  return {
    reconfigure: (next) => {
      replication.reconfigure(next);
      relocation.reconfigure(next);
    },
    stop: async () => {
      await prober?.stop();
      await relocation.stop();
      await scrub?.stop();
      await reconcile?.stop();
      await replication.stop();
    },
  };
}
