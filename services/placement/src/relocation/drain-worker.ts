// Working drains down (docs/architecture.md §4 backend_drains): one process at a time walks every copy on
// each draining backend — dropping it when other backends already hold enough ok copies,
// otherwise moving it (CopyMover) — page by page, recording progress in the drain row. That
// process holds the `backend-drains` leader lock, which its PeriodicWorker keeps between runs
// (see ./index.ts), so the same process keeps working a drain and counting its idle passes.
// All state is in the ledger, so a restarted worker simply resumes. A drain ends
// `drained` once the backend holds no copies, intents or open uploads (debts are cleanup's
// business), or `failed` when passes stop making progress. Open multipart uploads are left
// alone: they complete (their copy is then moved) or are swept as stale.
import { backendDrainEvent, EventType } from '@s3o/events';
import type { DrainRow, LocationRow } from '@s3o/store';
import { gauge } from '@s3o/telemetry';
import type { CopyMover } from './copy-mover.js';
import type { RelocationDeps } from './deps.js';

/** Passes in a row that move nothing while copies remain before a drain fails. */
export const MAX_IDLE_PASSES = 3;

const drainRemaining = gauge({
  name: 's3o_drain_remaining_copies',
  help: 'Copies still on a draining backend, as of the last drain pass',
  labelNames: ['backend'],
});

export interface DrainWorkerOptions {
  /** pause between passes of a drain that is not done yet (e.g. waiting for open uploads) */
  passPauseMs: number;
  /** copies moved at once (rebalance.concurrency as it is now: a reload may change it); read once per pass */
  concurrency: () => number;
}

/** What one run of the drain worker did. */
export interface DrainRunCounts {
  /** walks over a draining backend's copies */
  passes: number;
  /** drains that ended drained */
  drained: number;
  /** drains that ended failed */
  failed: number;
}

export class DrainWorker {
  /** passes in a row without progress, per drain id (a restart starts counting afresh) */
  private readonly idlePasses = new Map<number, number>();

  constructor(
    private readonly deps: RelocationDeps,
    private readonly mover: CopyMover,
    private readonly options: DrainWorkerOptions,
  ) {}

  /** Works every drain in progress until none is left (or `signal` fires), pausing between passes. */
  async run(signal: AbortSignal): Promise<DrainRunCounts> {
    const counts: DrainRunCounts = { passes: 0, drained: 0, failed: 0 };
    for (;;) {
      const drains = await this.deps.ledger.drains.listActiveDrains();
      if (drains.length === 0 || signal.aborted) return counts;
      for (const drain of drains) {
        const ended = await this.pass(drain, signal);
        counts.passes++;
        if (ended) counts[ended]++;
      }
      await sleep(this.options.passPauseMs, signal);
    }
  }

  /** One walk over the backend's copies, then a check whether the drain is done. */
  private async pass(drain: DrainRow, signal: AbortSignal): Promise<'drained' | 'failed' | null> {
    const { ledger, logger } = this.deps;
    const backend = drain.backendName;
    const concurrency = this.options.concurrency();
    const pageSize = Math.max(16, concurrency * 4);
    let after: string | null = null;
    let progressed = false;
    for (;;) {
      if (signal.aborted || !(await this.stillDraining(drain))) return null;
      const page = await ledger.drains.listBackendCopies(backend, after, pageSize);
      if (page.length === 0) break;
      const results = await mapLimited(page, concurrency, (copy) => this.relocate(drain, copy, signal));
      if (results.some((r) => r === 'progress')) progressed = true;
      if (page.length < pageSize) break;
      after = page.at(-1)!.storageKey;
    }
    if (signal.aborted) return null;

    const holds = await ledger.drains.countBackendRecords(backend);
    drainRemaining.set({ backend }, holds.copies);
    if (holds.copies === 0 && holds.intents === 0 && holds.uploads === 0) {
      const done = await ledger.drains.finishDrain(drain.id, 'drained', null, (d) => [backendDrainEvent(EventType.BackendDrainCompleted, d)]);
      if (done) {
        logger.info({ backend, moved: done.objectsMoved, bytes: done.bytesMoved }, 'drain completed');
      }
      this.idlePasses.delete(drain.id);
      return done ? 'drained' : null;
    }
    if (holds.copies === 0 || progressed) {
      // Only intents and uploads left (they finish or are reaped), or still moving.
      this.idlePasses.delete(drain.id);
      return null;
    }
    const idle = (this.idlePasses.get(drain.id) ?? 0) + 1;
    this.idlePasses.set(drain.id, idle);
    if (idle < MAX_IDLE_PASSES) return null;
    const latest = await ledger.drains.getDrain(backend);
    const reason = `${holds.copies} copies could not be moved after ${idle} passes${latest?.lastError ? `; last error: ${latest.lastError}` : ''}`;
    const failed = await ledger.drains.finishDrain(drain.id, 'failed', reason, (d) => [backendDrainEvent(EventType.BackendDrainFailed, d)]);
    this.idlePasses.delete(drain.id);
    if (!failed) return null;
    logger.error({ backend, reason }, 'drain failed');
    return 'failed';
  }

  private async stillDraining(drain: DrainRow): Promise<boolean> {
    const latest = await this.deps.ledger.drains.getDrain(drain.backendName);
    return latest?.id === drain.id && latest.state === 'draining';
  }

  /**
   * Moves or drops one copy while the drain is still in progress (checked before each copy, so
   * a cancel stops it at once but for the copies already moving), and counts it: a move in its
   * own transaction, a drop or an error right after. 'progress' when the copy left the backend.
   */
  private async relocate(drain: DrainRow, copy: LocationRow, signal: AbortSignal): Promise<'progress' | 'none'> {
    const { ledger, logger } = this.deps;
    if (signal.aborted || !(await this.stillDraining(drain))) return 'none';
    let error: string | null = null;
    try {
      const r = await this.mover.relocate({
        copy, reason: 'drain', targets: null, dropWhenReplicated: true, leaving: new Set([copy.backendName]), drainId: drain.id, signal,
      });
      if (r.outcome === 'moved') return 'progress';
      if (r.outcome === 'dropped') {
        await ledger.drains.recordDrainProgress(drain.id, { objects: 1, bytes: 0 });
        return 'progress';
      }
      if (r.outcome === 'no-target') error = `no backend can take a copy of ${copy.objectKey} (${copy.sizeBytes} bytes)`;
    } catch (err) {
      if (signal.aborted) return 'none';
      logger.warn({ err, key: copy.objectKey, backend: copy.backendName }, 'moving a copy off a draining backend failed');
      error = `${copy.objectKey}: ${(err as Error).message}`;
    }
    if (error) await ledger.drains.recordDrainProgress(drain.id, { objects: 0, bytes: 0, error });
    return 'none';
  }
}

/** `fn` over `items` with at most `limit` running at once, results in item order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
