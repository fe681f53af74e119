// cleanup_queue and cleanup_dlq: byte deletions owed to backends.
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { CleanupKind, CleanupRow, DeadLetterRow } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

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
  in_doubt: bigint;
  marker_backend: string | null;
}

/** The columns a debt has in both tables (queue and DLQ). */
function debtFields(r: Omit<RawCleanup, 'next_retry' | 'in_doubt'>): Omit<CleanupRow, 'nextRetry' | 'inDoubt'> {
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
    lastError: r.last_error,
    createdAt: int(r.created_at),
    markerBackend: r.marker_backend,
  };
}

function cleanupFromRow(r: RawCleanup): CleanupRow {
  return { ...debtFields(r), nextRetry: int(r.next_retry), inDoubt: r.in_doubt !== 0n };
}

interface RawDeadLetter extends Omit<RawCleanup, 'next_retry' | 'in_doubt'> {
  moved_at: bigint;
}

function deadLetterFromRow(r: RawDeadLetter): DeadLetterRow {
  return { ...debtFields(r), movedAt: int(r.moved_at) };
}

const CLEANUP_HOLDINGS: HoldingTable = {
  kind: 'debt', table: 'cleanup_queue', rowColumn: 'id', numericRow: true, objectKey: 't.object_key', size: 't.size_bytes',
};
const DEAD_LETTER_HOLDINGS: HoldingTable = { ...CLEANUP_HOLDINGS, kind: 'dead_letter', table: 'cleanup_dlq' };

type CleanupReads = Pick<
  ReadStatements,
  'countCleanup' | 'listCleanup' | 'listDeadLetters' | 'countDeadLetters' | 'listCleanupHoldings' | 'listDeadLetterHoldings'
>;

export function cleanupReads(c: SqliteConnection): CleanupReads {
  return {
    async countCleanup() {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM cleanup_queue`)!.n);
    },

    async listCleanup(afterId, limit) {
      return c
        .all<RawCleanup>(`SELECT * FROM cleanup_queue WHERE id > @afterId ORDER BY id LIMIT @limit`, { afterId: afterId ?? -1, limit })
        .map(cleanupFromRow);
    },

    async listDeadLetters(afterId, limit) {
      return c
        .all<RawDeadLetter>(`SELECT * FROM cleanup_dlq WHERE id > @afterId ORDER BY id LIMIT @limit`, { afterId: afterId ?? -1, limit })
        .map(deadLetterFromRow);
    },

    async countDeadLetters() {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM cleanup_dlq`)!.n);
    },

    async listCleanupHoldings(backendName, page) {
      return listHoldings(c, CLEANUP_HOLDINGS, backendName, page);
    },

    async listDeadLetterHoldings(backendName, page) {
      return listHoldings(c, DEAD_LETTER_HOLDINGS, backendName, page);
    },
  };
}

type CleanupWrites = Pick<
  TxStatements,
  | 'insertCleanup' | 'claimDueCleanup' | 'takeCleanup' | 'recordCleanupFailure' | 'clearCleanupDoubt' | 'insertCleanupDeadLetter'
  | 'takeDeadLetters' | 'reinsertCleanup'
>;

export function cleanupWrites(c: SqliteConnection): CleanupWrites {
  return {
    async insertCleanup(debt, now) {
      const r = c.get<{ id: bigint }>(
        `INSERT INTO cleanup_queue
           (kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry, created_at, in_doubt, marker_backend)
         VALUES (@kind, @backendName, @storageKey, @backendUploadId, @objectKey, @reason, @sizeBytes, 0, @now, @now, @inDoubt, @markerBackend)
         RETURNING id`,
        {
          kind: debt.kind,
          backendName: debt.backendName,
          storageKey: debt.storageKey,
          backendUploadId: debt.backendUploadId ?? null,
          objectKey: debt.objectKey ?? null,
          reason: debt.reason,
          sizeBytes: debt.sizeBytes,
          inDoubt: debt.inDoubt ? 1 : 0,
          markerBackend: debt.markerBackend ?? null,
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

    async clearCleanupDoubt(id, note, nextRetry) {
      return (
        c.run(
          `UPDATE cleanup_queue SET in_doubt = 0, last_error = @note, next_retry = @nextRetry, claimed_until = NULL WHERE id = @id`,
          { id, note, nextRetry },
        ) === 1
      );
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
           (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, last_error, created_at, moved_at, marker_backend)
         VALUES (@id, @kind, @backendName, @storageKey, @backendUploadId, @objectKey, @reason, @sizeBytes, @attempts, @lastError, @createdAt, @now, @markerBackend)`,
        {
          id: row.id, kind: row.kind, backendName: row.backendName, storageKey: row.storageKey, backendUploadId: row.backendUploadId,
          objectKey: row.objectKey, reason: row.reason, sizeBytes: row.sizeBytes, attempts: row.attempts, lastError: row.lastError,
          createdAt: row.createdAt, markerBackend: row.markerBackend, now,
        },
      );
    },

    // The id list travels as one JSON array parameter.
    async takeDeadLetters(ids, limit) {
      const only = ids === null ? '' : 'WHERE id IN (SELECT value FROM json_each(@ids))';
      const rows = c.all<RawDeadLetter>(
        `DELETE FROM cleanup_dlq WHERE id IN (SELECT id FROM cleanup_dlq ${only} ORDER BY id LIMIT @limit) RETURNING *`,
        { ids: ids === null ? null : JSON.stringify(ids), limit },
      );
      return rows.map(deadLetterFromRow).sort((a, b) => a.id - b.id);
    },

    async reinsertCleanup(row, now) {
      c.run(
        `INSERT INTO cleanup_queue
           (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry, last_error, created_at, marker_backend)
         VALUES (@id, @kind, @backendName, @storageKey, @backendUploadId, @objectKey, @reason, @sizeBytes, 0, @now, @lastError, @createdAt, @markerBackend)`,
        {
          id: row.id, kind: row.kind, backendName: row.backendName, storageKey: row.storageKey,
          backendUploadId: row.backendUploadId, objectKey: row.objectKey, reason: row.reason, sizeBytes: row.sizeBytes,
          lastError: row.lastError, createdAt: row.createdAt, markerBackend: row.markerBackend, now,
        },
      );
    },
  };
}
