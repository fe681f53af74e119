// The placement service: where copies live over time (DESIGN §2) — replication to the
// factor (replication/), and the other placement jobs beside it.
import type { EventBus } from '@s3o/bus';
import { startReplication, type ReplicationDeps, type ReplicationLedger } from './replication/index.js';
import { ReconcileJob, type ReconcileLedger } from './reconcile/index.js';
import type { BackendBreakers } from '@s3o/backends';
import { HealthProber } from './health/index.js';
import { startRelocation, type RelocationDeps, type RelocationLedger } from './relocation/index.js';

export type { BackendHealthView, ReplicationDeps, ReplicationLedger } from './replication/index.js';
export { ReconcileJob, RECONCILE_LOCK, Reconciler, syncBackend, SYNC_PROGRESS_EVERY, leftoverGraceMs, ownWriteId } from './reconcile/index.js';
export type { ReconcileCounts, ReconcileDeps, ReconcileLedger, SyncCounts, SyncRequest } from './reconcile/index.js';

export interface PlacementService {
  stop(): Promise<void>;
}

/** The ledger roles of every placement job (the health prober's are among them). */
export type PlacementServiceLedger = ReplicationLedger & RelocationLedger & ReconcileLedger;

export type PlacementDeps = Omit<ReplicationDeps, 'ledger'> & Pick<RelocationDeps, 'admission'> & {
  ledger: PlacementServiceLedger;
  bus: EventBus;
  /** the process's breakers: the prober keeps them fresh and announces their changes (health/) */
  breakers?: BackendBreakers | null;
};

export { DrainWorker, DRAIN_LOCK, Rebalancer, REBALANCE_LOCK, CopyMover } from './relocation/index.js';
export type { RebalanceCounts, RelocationDeps, RelocationLedger } from './relocation/index.js';
export { HealthProber, HEALTH_LOCK } from './health/index.js';

/** The slowest a closed backend is probed for health (faster when open_timeout is shorter). */
const MAX_HEALTH_PROBE_INTERVAL_MS = 30_000;

export function startPlacementService(deps: PlacementDeps): PlacementService {
  const replication = startReplication(deps);
  // reconcile/: ledger vs backends every reconcile.interval, one process at a time.
  const reconcile = deps.config.reconcile.enabled
    ? new ReconcileJob(deps)
    : null;
  reconcile?.start();
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
    stop: async () => {
      await prober?.stop();
      await relocation.stop();
      await reconcile?.stop();
      await replication.stop();
    },
  };
}
