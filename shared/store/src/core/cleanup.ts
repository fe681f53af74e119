// Byte deletions owed (CleanupLedger, CleanupAdminLedger): cleanup_queue is the single source
// of truth for them. A debt's bytes count as orphan on its backend from the moment it is
// recorded until the bytes are gone; a dead-lettered debt keeps them charged (the bytes are
// still there) until it is requeued and completed.
import type { CleanupAdminLedger, CleanupLedger } from '../ledger.js';
import type { CleanupDebt, CleanupRow, DeadLetterRow, NewEvent } from '../types.js';
import type { Core } from './tx-work.js';

/** Dead letters moved back to the queue per transaction, so a large DLQ does not hold the writer long. */
const REQUEUE_BATCH = 500;

export function cleanupOperations(core: Core): CleanupLedger {
  return {
    async enqueueCleanup(debts: CleanupDebt[]): Promise<void> {
      if (debts.length === 0) return;
      await core.withWork(async (work) => {
        for (const debt of debts) await work.owe(debt);
      });
    },

    async claimCleanup(limit: number, now: number, leaseMs: number): Promise<CleanupRow[]> {
      if (limit <= 0) return [];
      return core.withWork(({ tx }) => tx.claimDueCleanup(now, now + leaseMs, limit));
    },

    async completeCleanup(id: number): Promise<void> {
      await core.withWork(async (work) => {
        // Taking the row first makes a repeated completion a no-op: orphan bytes are released once.
        const row = await work.tx.takeCleanup(id);
        if (row) work.releaseOrphan(row.backendName, row.sizeBytes);
      });
    },

    async failCleanup(id: number, error: string, nextRetry: number): Promise<void> {
      await core.withWork(({ tx }) => tx.recordCleanupFailure(id, error, nextRetry));
    },

    async confirmCleanupLater(id: number, note: string, nextRetry: number): Promise<void> {
      await core.withWork(({ tx }) => tx.clearCleanupDoubt(id, note, nextRetry));
    },

    async deadLetterCleanup(id: number, lastError: string, events: NewEvent[]): Promise<void> {
      await core.withWork(async (work) => {
        const row = await work.tx.takeCleanup(id);
        if (!row) return;
        await work.tx.insertCleanupDeadLetter({ ...row, attempts: row.attempts + 1, lastError }, work.now);
        work.append(events);
      });
    },
  };
}

export function cleanupAdminOperations(core: Core): CleanupAdminLedger {
  const requeueBatch = (batch: number[] | null): Promise<number> =>
    core.withWork(async (work) => {
      const rows = await work.tx.takeDeadLetters(batch, REQUEUE_BATCH);
      for (const row of rows) await work.requeue(row);
      return rows.length;
    });

  return {
    async cleanupDepth(): Promise<number> {
      return core.read((q) => q.countCleanup());
    },

    async listCleanup(afterId: number | null, limit: number): Promise<CleanupRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listCleanup(afterId, limit));
    },

    async listDeadLetters(afterId: number | null, limit: number): Promise<DeadLetterRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listDeadLetters(afterId, limit));
    },

    async deadLetterDepth(): Promise<number> {
      return core.read((q) => q.countDeadLetters());
    },

    async requeueDeadLetters(ids: number[] | null): Promise<number> {
      let moved = 0;
      if (ids === null) {
        for (;;) {
          const n = await requeueBatch(null);
          moved += n;
          if (n < REQUEUE_BATCH) return moved;
        }
      }
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += REQUEUE_BATCH) moved += await requeueBatch(unique.slice(i, i + REQUEUE_BATCH));
      return moved;
    },

    async discardDeadLetters(ids: number[]): Promise<number> {
      const unique = [...new Set(ids)];
      let discarded = 0;
      for (let i = 0; i < unique.length; i += REQUEUE_BATCH) {
        discarded += await core.withWork(async (work) => {
          const rows = await work.tx.takeDeadLetters(unique.slice(i, i + REQUEUE_BATCH), REQUEUE_BATCH);
          // The operator settled these bytes outside the orchestrator: they are no longer owed.
          for (const row of rows) work.releaseOrphan(row.backendName, row.sizeBytes);
          return rows.length;
        });
      }
      return discarded;
    },
  };
}
