// The cleanup service (docs/architecture.md §2): deletes the bytes the system owes and resolves what
// failures left behind. Every part is a PeriodicWorker (@s3o/workers): the queue worker runs
// in every cleanup process, woken by `cleanup.enqueued` events and ticking for retries that
// come due; the reaper, the stale-multipart sweep and lifecycle expiry each run under their
// own leader lock, so one process runs each, and so does pruning of the event log.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import { PeriodicWorker } from '@s3o/workers';
import type { CleanupDeps } from './deps.js';
import { EventLogPrune, type EventPruneCounts } from './event-log-prune.js';
import { LifecycleExpiry, type LifecycleCounts } from './lifecycle.js';
import { StaleMultipartSweep, type MultipartSweepCounts } from './multipart-sweep.js';
import { CleanupQueueWorker, type QueueCounts } from './queue-worker.js';
import { IntentReaper, type ReapCounts } from './reaper.js';

export type { CleanupDeps, CleanupServiceLedger } from './deps.js';
export { CleanupQueueWorker, type QueueCounts } from './queue-worker.js';
export { IntentReaper, type ReapCounts } from './reaper.js';
export { StaleMultipartSweep, type MultipartSweepCounts } from './multipart-sweep.js';
export { LifecycleExpiry, type LifecycleCounts } from './lifecycle.js';
export { EventLogPrune, PRUNE_MARGIN_MS, type EventPruneCounts } from './event-log-prune.js';

/** The workers' names; the leader locks of the sweeps have the same names. */
export const CLEANUP_WORKERS = { queue: 'cleanup-queue', reaper: 'reaper', multipart: 'multipart-sweep', lifecycle: 'lifecycle', eventPrune: 'event-log-prune' } as const;

export interface CleanupService {
  worker: PeriodicWorker<QueueCounts>;
  reaper: PeriodicWorker<ReapCounts>;
  multipartSweep: PeriodicWorker<MultipartSweepCounts>;
  /** null when no lifecycle rule is configured */
  lifecycle: PeriodicWorker<LifecycleCounts> | null;
  eventPrune: PeriodicWorker<EventPruneCounts>;
  stop(): Promise<void>;
}

export function startCleanupService(deps: CleanupDeps & { bus: EventBus }): CleanupService {
  const { bus, ...own } = deps;
  const { config, ledger, logger } = own;
  const queue = new CleanupQueueWorker(own);
  const worker = new PeriodicWorker({
    name: CLEANUP_WORKERS.queue, lock: 'none', intervalMs: config.cleanupQueue.tickMs, logger,
    run: (signal) => queue.drain(signal),
  });
  bus.subscribe({
    consumer: 'cleanup-queue-wakeup',
    types: [EventType.CleanupEnqueued],
    handler: async () => worker.wake(),
  });

  const reaper = new IntentReaper(own);
  const multipart = new StaleMultipartSweep(own);
  const lifecycle = new LifecycleExpiry(own);
  const eventPrune = new EventLogPrune(own);
  const sweeps = {
    reaper: new PeriodicWorker({
      name: CLEANUP_WORKERS.reaper, lock: 'per-run', locks: ledger, intervalMs: config.writePath.pendingPattern.reaperTickMs, logger,
      run: (signal) => reaper.pass(signal),
    }),
    multipartSweep: new PeriodicWorker({
      // Uploads go stale over hours; looking once per tenth of the timeout is plenty.
      name: CLEANUP_WORKERS.multipart, lock: 'per-run', locks: ledger,
      intervalMs: Math.max(1000, config.cleanupQueue.multipartStaleTimeoutMs / 10), logger,
      run: (signal) => multipart.pass(signal),
    }),
    lifecycle: config.lifecycle.rules.length === 0 ? null : new PeriodicWorker({
      name: CLEANUP_WORKERS.lifecycle, lock: 'per-run', locks: ledger, intervalMs: config.lifecycle.intervalMs, logger,
      run: (signal) => lifecycle.pass(signal),
    }),
    eventPrune: new PeriodicWorker({
      name: CLEANUP_WORKERS.eventPrune, lock: 'per-run', locks: ledger, intervalMs: config.bus.pruneIntervalMs, logger,
      run: (signal) => eventPrune.pass(signal),
    }),
  };

  worker.start();
  sweeps.reaper.start();
  sweeps.multipartSweep.start();
  sweeps.lifecycle?.start();
  sweeps.eventPrune.start();
  return {
    worker,
    ...sweeps,
    stop: async () => {
      await Promise.all([sweeps.reaper.stop(), sweeps.multipartSweep.stop(), sweeps.lifecycle?.stop(), sweeps.eventPrune.stop()]);
      await worker.stop();
    },
  };
}
