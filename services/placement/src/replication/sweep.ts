// The catch-up sweep (replication.worker_interval): one process at a time (a PeriodicWorker
// under the `replication-sweep` leader lock, see ./index.ts) walks every object below the factor — missed or failed `object.created` work, copies found
// missing, copies on long-unhealthy backends, a raised factor — page by page
// (replication.batch_size) and replicates each through the work queue (at most
// replication.concurrency at once); then every object above the factor is trimmed.
import { gauge } from '@s3o/telemetry';
import type { PlacementLedger } from '@s3o/store';
import type { Replicator } from './replicator.js';
import type { OverReplicationTrimmer } from './trimmer.js';
import type { KeyedWorkQueue } from './work-queue.js';

const underReplicated = gauge({
  name: 's3o_replication_pending',
  help: 'Objects below the replication factor (or with copies marked missing) found by the latest sweep',
});

export interface SweepCounts {
  /** objects found below the factor (or with missing copies) */
  under: number;
  /** objects found above the factor */
  over: number;
  /** excess copies removed */
  trimmed: number;
  /** of the objects below the factor, those whose replication turn has ended (copied, or nothing could be done) */
  replicated: number;
}

export interface ReplicationSweepOptions {
  ledger: PlacementLedger;
  /** replication.batch_size and .factor as they are now (a reload may change them); read once per pass */
  settings: () => { batchSize: number; factor: number };
  replicator: Replicator;
  trimmer: OverReplicationTrimmer;
  queue: KeyedWorkQueue;
}

/**
 * The share of the event loop a sweep takes while it runs. With SQLite a page is a
 * synchronous statement (~10 ms per 1,000 objects examined), and a million-object sweep is
 * two thousand of them: back to back they held the loop that every S3 request of a
 * single-process gateway needs for 20 s and more per pass (docs/performance.md, "Scale").
 * After a page that took t, the sweep rests t × (1 − share) / share before the next; a
 * bucket of a few pages is swept as fast as before.
 */
export const SWEEP_LOOP_SHARE = 0.25;

/** Rests after a page that took `pageMs` so the sweep keeps to SWEEP_LOOP_SHARE of the loop. */
function restAfterPage(pageMs: number): Promise<void> {
  const restMs = (pageMs * (1 - SWEEP_LOOP_SHARE)) / SWEEP_LOOP_SHARE;
  return new Promise((resolve) => (restMs < 1 ? setImmediate(resolve) : setTimeout(resolve, restMs)));
}

export class ReplicationSweep {
  constructor(private readonly o: ReplicationSweepOptions) {}

  /** One pass over the objects below, then above, the factor; stops between pages when `signal` fires. */
  async pass(signal: AbortSignal, progress?: (counts: SweepCounts) => void): Promise<SweepCounts> {
    const { ledger, replicator, trimmer, queue } = this.o;
    const { batchSize, factor } = this.o.settings();
    const counts: SweepCounts = { under: 0, over: 0, trimmed: 0, replicated: 0 };
    // Updated page by page and key by key: an operator's pass streams it.
    progress?.(counts);
    const uncounted = replicator.uncounted();
    for (let after: string | null = null; !signal.aborted;) {
      const started = performance.now();
      const page = await ledger.listUnderReplicated({ after, limit: batchSize, factor, uncounted });
      const pageMs = performance.now() - started;
      counts.under += page.candidates.length;
      await Promise.all(page.candidates.map((c) => queue.run(c.objectKey).then(() => void counts.replicated++)));
      if (page.next === null) break;
      after = page.next;
      await restAfterPage(pageMs);
    }

    if (!signal.aborted) underReplicated.set(counts.under);
    const standing = await trimmer.standing();
    for (let after: string | null = null; !signal.aborted;) {
      const started = performance.now();
      const page = await ledger.listOverReplicated({ after, limit: batchSize, factor });
      const pageMs = performance.now() - started;
      counts.over += page.candidates.length;
      for (const c of page.candidates) {
        if (signal.aborted) break;
        // A key being replicated right now is trimmed next time, from its settled state.
        if (queue.has(c.objectKey)) continue;
        counts.trimmed += await trimmer.trim(c.objectKey, standing);
      }
      if (page.next === null) break;
      after = page.next;
      await restAfterPage(pageMs);
    }
    return counts;
  }
}
