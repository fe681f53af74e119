// The catch-up sweep (replication.worker_interval): one process at a time (leader lock)
// walks every object below the factor — missed or failed `object.created` work, copies found
// missing, copies on long-unhealthy backends, a raised factor — page by page
// (replication.batch_size) and replicates each through the work queue (at most
// replication.concurrency at once); then every object above the factor is trimmed.
import { gauge, type Logger } from '@s3o/telemetry';
import type { LeaderLocks, PlacementLedger } from '@s3o/store';
import type { Replicator } from './replicator.js';
import type { OverReplicationTrimmer } from './trimmer.js';
import type { KeyedWorkQueue } from './work-queue.js';

const underReplicated = gauge({
  name: 's3o_replication_pending',
  help: 'Objects below the replication factor (or with copies marked missing) found by the latest sweep',
});

/** The leader lock's name: one process at a time runs the sweep. */
export const REPLICATION_SWEEP_LOCK = 'replication-sweep';

export interface SweepCounts {
  /** objects found below the factor (or with missing copies) */
  under: number;
  /** objects found above the factor */
  over: number;
  /** excess copies removed */
  trimmed: number;
}

export interface ReplicationSweepOptions {
  ledger: PlacementLedger & LeaderLocks;
  logger: Logger;
  intervalMs: number;
  batchSize: number;
  factor: number;
  replicator: Replicator;
  trimmer: OverReplicationTrimmer;
  queue: KeyedWorkQueue;
}

export class ReplicationSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepCounts | null> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly o: ReplicationSweepOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** One pass now, if this process gets the leader lock and none is running; null otherwise. Never throws. */
  tick(): Promise<SweepCounts | null> {
    if (this.stopping.signal.aborted) return Promise.resolve(null);
    this.running ??= this.lead().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async lead(): Promise<SweepCounts | null> {
    const { ledger, logger } = this.o;
    try {
      const lock = await ledger.tryLeaderLock(REPLICATION_SWEEP_LOCK);
      if (!lock) return null;
      try {
        const signal = lock.lost ? AbortSignal.any([lock.lost, this.stopping.signal]) : this.stopping.signal;
        const counts = await this.pass(signal);
        const busy = Object.values(counts).some((n) => n > 0);
        logger[busy ? 'info' : 'debug']({ sweep: REPLICATION_SWEEP_LOCK, ...counts }, 'replication sweep done');
        return counts;
      } finally {
        await lock.release();
      }
    } catch (err) {
      logger.error({ err, sweep: REPLICATION_SWEEP_LOCK }, 'replication sweep failed; retrying at the next tick');
      return null;
    }
  }

  async pass(signal: AbortSignal): Promise<SweepCounts> {
    const { ledger, batchSize, factor, replicator, trimmer, queue } = this.o;
    const counts: SweepCounts = { under: 0, over: 0, trimmed: 0 };
    const uncounted = replicator.uncounted();
    for (let after: string | null = null; !signal.aborted;) {
      const page = await ledger.listUnderReplicated({ after, limit: batchSize, factor, uncounted });
      counts.under += page.length;
      await Promise.all(page.map((c) => queue.run(c.objectKey)));
      if (page.length < batchSize) break;
      after = page.at(-1)!.objectKey;
    }

    if (!signal.aborted) underReplicated.set(counts.under);
    const standing = await trimmer.standing();
    for (let after: string | null = null; !signal.aborted;) {
      const page = await ledger.listOverReplicated({ after, limit: batchSize, factor });
      counts.over += page.length;
      for (const c of page) {
        if (signal.aborted) break;
        // A key being replicated right now is trimmed next time, from its settled state.
        if (queue.has(c.objectKey)) continue;
        counts.trimmed += await trimmer.trim(c.objectKey, standing);
      }
      if (page.length < batchSize) break;
      after = page.at(-1)!.objectKey;
    }
    return counts;
  }

  /** Stops ticking; a pass in progress is told to stop and waited for. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort(new Error('the placement service is stopping'));
    await this.running;
  }
}
