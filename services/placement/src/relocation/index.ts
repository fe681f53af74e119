// Moving copies between backends (docs/architecture.md §2 placement): drains started through the admin API
// and, when rebalance.enabled, the periodic rebalancer. Both move with CopyMover; each runs on
// a PeriodicWorker (@s3o/workers).
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import { PeriodicWorker } from '@s3o/workers';
import { PLACEMENT_WORKERS } from '../worker-names.js';
import { CopyMover } from './copy-mover.js';
import type { RelocationDeps } from './deps.js';
import { DrainWorker, type DrainRunCounts } from './drain-worker.js';
import { Rebalancer, type RebalanceCounts } from './rebalancer.js';

export type { RelocationDeps, RelocationLedger } from './deps.js';
export { CopyMover, type RelocateRequest, type RelocateResult } from './copy-mover.js';
export { DrainWorker, MAX_IDLE_PASSES, type DrainRunCounts } from './drain-worker.js';
export { Rebalancer, type RebalanceCounts } from './rebalancer.js';

/** How often the drain worker looks for drains to resume (a new one wakes it at once through its event). */
const DRAIN_POLL_MS = 5_000;
/** Pause between passes of a drain that is waiting for open uploads or intents. */
const DRAIN_PASS_PAUSE_MS = 1_000;

export interface Relocation {
  drains: PeriodicWorker<DrainRunCounts>;
  rebalancer: PeriodicWorker<RebalanceCounts> | null;
  stop(): Promise<void>;
}

export function startRelocation(deps: RelocationDeps & { bus: EventBus }): Relocation {
  const { bus, ...own } = deps;
  const { ledger, logger } = own;
  const mover = new CopyMover(own);
  // Drains move `rebalance.concurrency` copies at once, like the rebalancer.
  const drainWork = new DrainWorker(own, mover, { passPauseMs: DRAIN_PASS_PAUSE_MS, concurrency: own.config.rebalance.concurrency });
  // The lock is held, not taken per run: the process that works a drain keeps it (and its
  // count of idle passes) until it stops or loses the lock.
  const drains = new PeriodicWorker({
    name: PLACEMENT_WORKERS.drains, lock: 'held', locks: ledger, intervalMs: DRAIN_POLL_MS, logger,
    run: (signal) => drainWork.run(signal),
  });
  bus.subscribe({
    consumer: 'drains',
    types: [EventType.BackendDrainStarted],
    handler: async () => drains.wake(),
  });
  drains.start();
  const rebalance = own.config.rebalance.enabled ? new Rebalancer(own, mover) : null;
  const rebalancer = rebalance && new PeriodicWorker({
    name: PLACEMENT_WORKERS.rebalance, lock: 'per-run', locks: ledger, intervalMs: own.config.rebalance.intervalMs, logger,
    run: (signal) => rebalance.run(signal),
  });
  rebalancer?.start();
  return {
    drains,
    rebalancer,
    stop: async () => {
      await rebalancer?.stop();
      await drains.stop();
    },
  };
}
