// The cleanup service (docs/architecture.md §2): deletes the bytes the system owes and resolves what
// failures left behind. Every part is a PeriodicWorker (@s3o/workers): the queue worker runs
// in every cleanup process, woken by `cleanup.enqueued` events and ticking for retries that
// come due; the reaper, the stale-multipart sweep and lifecycle expiry each run under their
// own leader lock, so one process runs each, and so does pruning of the event log.
import type { Config } from '@s3o/config';
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
  /** null while no lifecycle rule is configured */
  readonly lifecycle: PeriodicWorker<LifecycleCounts> | null;
  eventPrune: PeriodicWorker<EventPruneCounts>;
  /**
   * A reloaded configuration: lifecycle.* from the next pass on — the expiry job starts when
   * the first rule appears, and stops after its pass in progress when the last one goes.
   */
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

export function startCleanupService(deps: CleanupDeps & { bus: EventBus }): CleanupService {
  // `own` is what the jobs read their settings from, per pass: reconfigure() swaps its config.
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
    eventPrune: new PeriodicWorker({
      name: CLEANUP_WORKERS.eventPrune, lock: 'per-run', locks: ledger, intervalMs: config.bus.pruneIntervalMs, logger,
      run: (signal) => eventPrune.pass(signal),
    }),
  };

  const startLifecycle = (): PeriodicWorker<LifecycleCounts> => {
    const expiry = new PeriodicWorker<LifecycleCounts>({
      name: CLEANUP_WORKERS.lifecycle, lock: 'per-run', locks: ledger, intervalMs: own.config.lifecycle.intervalMs, logger,
      run: (signal, progress) => lifecycle.pass(signal, progress),
    });
    expiry.start();
    return expiry;
  };
  let expiry = config.lifecycle.rules.length === 0 ? null : startLifecycle();
  /** expiry jobs a reload turned off, finishing their pass (a stop cuts it short) */
  const retiring = new Set<PeriodicWorker<LifecycleCounts>>();

  worker.start();
  sweeps.reaper.start();
  sweeps.multipartSweep.start();
  sweeps.eventPrune.start();
  return {
    worker,
    ...sweeps,
    get lifecycle() {
      return expiry;
    },
    reconfigure: (next) => {
      own.config = next;
      const settings = next.lifecycle;
      if (settings.rules.length > 0 && expiry) expiry.reschedule(settings.intervalMs);
      else if (settings.rules.length > 0) expiry = startLifecycle();
      else if (expiry) {
        const old = expiry;
        retiring.add(old);
        void old.retire().finally(() => retiring.delete(old));
        expiry = null;
      }
    },
    stop: async () => {
      await Promise.all([sweeps.reaper.stop(), sweeps.multipartSweep.stop(), expiry?.stop(), sweeps.eventPrune.stop(), ...[...retiring].map((w) => w.stop())]);
      await worker.stop();
    },
  };
}
