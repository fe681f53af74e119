// The periodic reconcile job of the placement service: every `reconcile.interval` it tries
// the `reconcile` leader lock (SQLite: a process mutex; Postgres: an advisory lock on a
// connection of its own) and runs one pass only when it got it, so one process in the
// cluster reconciles at a time. A pass stops early when leadership is lost or the service
// stops; the first pass starts with the service.
import type { ReconcileCounts, ReconcileDeps } from './deps.js';
import { Reconciler } from './reconcile-pass.js';

export const RECONCILE_LOCK = 'reconcile';

export class ReconcileJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileCounts | null> | null = null;
  private readonly stopping = new AbortController();
  private readonly reconciler: Reconciler;

  constructor(private readonly deps: ReconcileDeps) {
    this.reconciler = new Reconciler(deps);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.config.reconcile.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** One pass now if this process can lead; null when it did not run. Never throws. */
  tick(): Promise<ReconcileCounts | null> {
    if (this.stopping.signal.aborted || this.running) return Promise.resolve(null);
    this.running = this.lead().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async lead(): Promise<ReconcileCounts | null> {
    const { ledger, logger } = this.deps;
    try {
      const lock = await ledger.tryLeaderLock(RECONCILE_LOCK);
      if (!lock) {
        logger.debug('another process reconciles; skipped');
        return null;
      }
      try {
        const signal = lock.lost ? AbortSignal.any([lock.lost, this.stopping.signal]) : this.stopping.signal;
        const started = Date.now();
        const counts = await this.reconciler.pass(signal);
        const busy = counts.copiesMissing + counts.objectsLost + counts.imported + counts.leftoversOwed + counts.unknownBucket
          + counts.conflicts + counts.failed + counts.backendsFailed > 0;
        logger[busy ? 'info' : 'debug']({ ...counts, durationMs: Date.now() - started }, 'reconcile pass done');
        return counts;
      } finally {
        await lock.release();
      }
    } catch (err) {
      if (!this.stopping.signal.aborted) logger.error({ err }, 'reconcile pass failed; retrying at the next interval');
      return null;
    }
  }

  /** Stops ticking; a pass in progress is told to stop and waited for. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort(new Error('the placement service is stopping'));
    await this.running;
  }
}
