// Moving copies between backends (docs/architecture.md §2 placement): drains started through the admin API
// and, when rebalance.enabled, the periodic rebalancer. Both move with CopyMover; each runs on
// a PeriodicWorker (@s3o/workers).
import type { Config } from '@s3o/config';
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
  /** null while rebalance.enabled is false */
  readonly rebalancer: PeriodicWorker<RebalanceCounts> | null;
  /**
   * A reloaded configuration: rebalance.* from the next pass on — the rebalancer starts when
   * enabled, and when disabled stops after the pass in progress (never cut short).
   */
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

export function startRelocation(deps: RelocationDeps & { bus: EventBus }): Relocation {
  // `own` is what the mover, the drains and the rebalancer read their settings from, per pass: reconfigure() swaps its config.
  const { bus, ...own } = deps;
  const { ledger, logger } = own;
  const mover = new CopyMover(own);
  // Drains move `rebalance.concurrency` copies at once, like the rebalancer.
  const drainWork = new DrainWorker(own, mover, { passPauseMs: DRAIN_PASS_PAUSE_MS, concurrency: () => own.config.rebalance.concurrency });
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
  const rebalance = new Rebalancer(own, mover);
  const startRebalancer = (): PeriodicWorker<RebalanceCounts> => {
    const worker = new PeriodicWorker<RebalanceCounts>({
      name: PLACEMENT_WORKERS.rebalance, lock: 'per-run', locks: ledger, intervalMs: own.config.rebalance.intervalMs, logger,
      run: (signal, progress) => rebalance.run(signal, progress),
    });
    worker.start();
    return worker;
  };
  let rebalancer = own.config.rebalance.enabled ? startRebalancer() : null;
  /** rebalancers turned off by a reload, finishing their pass (a stop cuts it short) */
  const retiring = new Set<PeriodicWorker<RebalanceCounts>>();
  return {
    drains,
    get rebalancer() {
      return rebalancer;
    },
    reconfigure: (next) => {
      own.config = next;
      const settings = next.rebalance;
      if (settings.enabled && rebalancer) rebalancer.reschedule(settings.intervalMs);
      else if (settings.enabled) rebalancer = startRebalancer();
      else if (rebalancer) {
        const old = rebalancer;
        retiring.add(old);
        void old.retire().finally(() => retiring.delete(old));
        rebalancer = null;
      }
    },
    stop: async () => {
      await Promise.all([rebalancer?.stop(), ...[...retiring].map((w) => w.stop())]);
      await drains.stop();
    },
  };
}
