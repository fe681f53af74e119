// The cleanup service (DESIGN §2): deletes the bytes the system owes and resolves what
// failures left behind. The queue worker is woken by `cleanup.enqueued` events and ticks for
// retries that come due; the reaper, the stale-multipart sweep and lifecycle expiry run
// periodically, each under its own leader lock so one process runs it.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import type { CleanupDeps } from './deps.js';
import { LeaderSweep } from './leader-sweep.js';
import { LifecycleExpiry } from './lifecycle.js';
import { StaleMultipartSweep } from './multipart-sweep.js';
import { CleanupQueueWorker } from './queue-worker.js';
import { IntentReaper } from './reaper.js';

export type { CleanupDeps, CleanupServiceLedger } from './deps.js';
export { CleanupQueueWorker } from './queue-worker.js';
export { IntentReaper, type ReapCounts } from './reaper.js';
export { StaleMultipartSweep, type MultipartSweepCounts } from './multipart-sweep.js';
export { LifecycleExpiry, type LifecycleCounts } from './lifecycle.js';
export { LeaderSweep, type LeaderSweepOptions, type TickResult } from './leader-sweep.js';

/** Leader lock names: one process at a time runs each sweep. */
export const SWEEP_NAMES = { reaper: 'reaper', multipart: 'multipart-sweep', lifecycle: 'lifecycle' } as const;

export interface CleanupService {
  worker: CleanupQueueWorker;
  reaper: LeaderSweep;
  multipartSweep: LeaderSweep;
  /** null when no lifecycle rule is configured */
  lifecycle: LeaderSweep | null;
  stop(): Promise<void>;
}

export function startCleanupService(deps: CleanupDeps & { bus: EventBus }): CleanupService {
  const { bus, ...own } = deps;
  const { config, ledger, logger } = own;
  const worker = new CleanupQueueWorker(own);
  bus.subscribe({
    consumer: 'cleanup-queue-wakeup',
    types: [EventType.CleanupEnqueued],
    handler: async () => worker.wake(),
  });

  const reaper = new IntentReaper(own);
  const multipart = new StaleMultipartSweep(own);
  const lifecycle = new LifecycleExpiry(own);
  const sweeps = {
    reaper: new LeaderSweep({
      name: SWEEP_NAMES.reaper, intervalMs: config.writePath.pendingPattern.reaperTickMs, ledger, logger,
      pass: async (signal) => ({ ...(await reaper.pass(signal)) }),
    }),
    multipartSweep: new LeaderSweep({
      // Uploads go stale over hours; looking once per tenth of the timeout is plenty.
      name: SWEEP_NAMES.multipart, intervalMs: Math.max(1000, config.cleanupQueue.multipartStaleTimeoutMs / 10), ledger, logger,
      pass: async (signal) => ({ ...(await multipart.pass(signal)) }),
    }),
    lifecycle: config.lifecycle.rules.length === 0 ? null : new LeaderSweep({
      name: SWEEP_NAMES.lifecycle, intervalMs: config.lifecycle.intervalMs, ledger, logger,
      pass: async (signal) => ({ ...(await lifecycle.pass(signal)) }),
    }),
  };

  worker.start();
  sweeps.reaper.start();
  sweeps.multipartSweep.start();
  sweeps.lifecycle?.start();
  return {
    worker,
    ...sweeps,
    stop: async () => {
      await Promise.all([sweeps.reaper.stop(), sweeps.multipartSweep.stop(), sweeps.lifecycle?.stop()]);
      await worker.stop();
    },
  };
}
