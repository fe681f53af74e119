// Moving copies between backends (DESIGN §2 placement): drains started through the admin API
// and, when rebalance.enabled, the periodic rebalancer. Both move with CopyMover.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import { CopyMover } from './copy-mover.js';
import type { RelocationDeps } from './deps.js';
import { DrainWorker } from './drain-worker.js';
import { Rebalancer } from './rebalancer.js';

export type { RelocationDeps, RelocationLedger } from './deps.js';
export { CopyMover, type RelocateRequest, type RelocateResult } from './copy-mover.js';
export { DrainWorker, DRAIN_LOCK, MAX_IDLE_PASSES } from './drain-worker.js';
export { Rebalancer, REBALANCE_LOCK, type RebalanceCounts } from './rebalancer.js';

/** How often the drain worker looks for drains to resume (a new one wakes it at once through its event). */
const DRAIN_POLL_MS = 5_000;
/** Pause between passes of a drain that is waiting for open uploads or intents. */
const DRAIN_PASS_PAUSE_MS = 1_000;

export interface Relocation {
  drains: DrainWorker;
  rebalancer: Rebalancer | null;
  stop(): Promise<void>;
}

export function startRelocation(deps: RelocationDeps & { bus: EventBus }): Relocation {
  const { bus, ...own } = deps;
  const mover = new CopyMover(own);
  // Drains move `rebalance.concurrency` copies at once, like the rebalancer.
  const drains = new DrainWorker(own, mover, { pollMs: DRAIN_POLL_MS, passPauseMs: DRAIN_PASS_PAUSE_MS, concurrency: own.config.rebalance.concurrency });
  bus.subscribe({
    consumer: 'drains',
    types: [EventType.BackendDrainStarted],
    handler: async () => {
      void drains.tick();
    },
  });
  drains.start();
  const rebalancer = own.config.rebalance.enabled ? new Rebalancer(own, mover) : null;
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
