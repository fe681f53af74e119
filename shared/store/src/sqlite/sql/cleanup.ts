// cleanup_queue and cleanup_dlq: byte deletions owed to backends.
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { CleanupKind, CleanupRow } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawCleanup {
  id: bigint;
  kind: CleanupKind;
  backend_name: string;
  storage_key: string;
  backend_upload_id: string | null;
  object_key: string | null;
  reason: string;
  size_bytes: bigint;
  attempts: bigint;
  next_retry: bigint;
  last_error: string | null;
  created_at: bigint;
}

function cleanupFromRow(r: RawCleanup): CleanupRow {
  return {
    id: int(r.id),
    kind: r.kind,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    backendUploadId: r.backend_upload_id,
    objectKey: r.object_key,
    reason: r.reason,
    sizeBytes: int(r.size_bytes),
    attempts: int(r.attempts),
    nextRetry: int(r.next_retry),
    lastError: r.last_error,
    createdAt: int(r.created_at),
  };
}

export function cleanupReads(c: SqliteConnection): Pick<ReadStatements, 'countCleanup'> {
  return {
    async countCleanup() {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM cleanup_queue`)!.n);
    },
  };
}

type CleanupWrites = Pick<
  TxStatements,
  'insertCleanup' | 'claimDueCleanup' | 'takeCleanup' | 'recordCleanupFailure' | 'insertCleanupDeadLetter'
>;

export function cleanupWrites(c: SqliteConnection): CleanupWrites {
  return {
    async insertCleanup(debt, now) {
      const r = c.get<{ id: bigint }>(
        `INSERT INTO cleanup_queue
           (kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry, created_at)
         VALUES (@kind, @backendName, @storageKey, @backendUploadId, @objectKey, @reason, @sizeBytes, 0, @now, @now)
         RETURNING id`,
        {
          kind: debt.kind,
          backendName: debt.backendName,
          storageKey: debt.storageKey,
          backendUploadId: debt.backendUploadId ?? null,
          objectKey: debt.objectKey ?? null,
          reason: debt.reason,
          sizeBytes: debt.sizeBytes,
          now,
        },
      );
      return int(r!.id);
    },

    async claimDueCleanup(now, claimedUntil, limit) {
      const rows = c.all<RawCleanup>(
        `UPDATE cleanup_queue SET claimed_until = @claimedUntil
          WHERE id IN (SELECT id FROM cleanup_queue
                        WHERE next_retry <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
                        ORDER BY next_retry, id LIMIT @limit)
         RETURNING *`,
        { now, claimedUntil, limit },
      );
      return rows.map(cleanupFromRow).sort((a, b) => a.nextRetry - b.nextRetry || a.id - b.id);
    },

    async takeCleanup(id) {
      const r = c.get<RawCleanup>(`DELETE FROM cleanup_queue WHERE id = @id RETURNING *`, { id });
      return r ? cleanupFromRow(r) : null;
    },

    async recordCleanupFailure(id, error, nextRetry) {
      return (
        c.run(
          `UPDATE cleanup_queue
              SET attempts = attempts + 1, last_error = @error, next_retry = @nextRetry, claimed_until = NULL
            WHERE id = @id`,
          { id, error, nextRetry },
        ) === 1
      );
    },

    async insertCleanupDeadLetter(row, now) {
      c.run(
        `INSERT INTO cleanup_dlq
           (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, last_error, created_at, moved_at)
         VALUES (@id, @kind, @backendName, @storageKey, @backendUploadId, @objectKey, @reason, @sizeBytes, @attempts, @lastError, @createdAt, @now)`,
        { ...row, now },
      );
    },
  };
}
