// cleanup_queue and cleanup_dlq: byte deletions owed to backends.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { CleanupRow, DeadLetterRow } from '../../types.js';
import { int4, int8 } from '../columns.js';
import type { Queries } from '../queries.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

/** The columns a debt has in both tables (queue and DLQ). */
const debtColumns = {
  id: int8,
  kind: z.enum(['object', 'multipart_upload']),
  backend_name: z.string(),
  storage_key: z.string(),
  backend_upload_id: z.string().nullable(),
  object_key: z.string().nullable(),
  reason: z.string(),
  size_bytes: int8,
  attempts: int4,
  last_error: z.string().nullable(),
  created_at: int8,
  marker_backend: z.string().nullable(),
};

type RawDebt = z.infer<z.ZodObject<typeof debtColumns>>;

function debtFields(r: RawDebt): Omit<CleanupRow, 'nextRetry' | 'inDoubt'> {
  return {
    id: r.id,
    kind: r.kind,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    backendUploadId: r.backend_upload_id,
    objectKey: r.object_key,
    reason: r.reason,
    sizeBytes: r.size_bytes,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    markerBackend: r.marker_backend,
  };
}

const cleanupRow = z
  .object({ ...debtColumns, next_retry: int8, in_doubt: z.boolean() })
  .transform((r): CleanupRow => ({ ...debtFields(r), nextRetry: r.next_retry, inDoubt: r.in_doubt }));

const CLEANUP_COLUMNS = sql.fragment`id, kind, backend_name, storage_key, backend_upload_id, object_key, reason,
  size_bytes, attempts, next_retry, last_error, created_at, in_doubt, marker_backend`;

const deadLetterRow = z
  .object({ ...debtColumns, moved_at: int8 })
  .transform((r): DeadLetterRow => ({ ...debtFields(r), movedAt: r.moved_at }));

const DEAD_LETTER_COLUMNS = sql.fragment`id, kind, backend_name, storage_key, backend_upload_id, object_key, reason,
  size_bytes, attempts, last_error, created_at, moved_at, marker_backend`;

const CLEANUP_HOLDINGS: HoldingTable = {
  kind: 'debt', table: 'cleanup_queue', rowColumn: 'id', numericRow: true,
  objectKey: sql.fragment`t.object_key`, size: sql.fragment`t.size_bytes`,
};
const DEAD_LETTER_HOLDINGS: HoldingTable = { ...CLEANUP_HOLDINGS, kind: 'dead_letter', table: 'cleanup_dlq' };

type CleanupReads = Pick<
  ReadStatements,
  'countCleanup' | 'listCleanup' | 'listDeadLetters' | 'countDeadLetters' | 'listCleanupHoldings' | 'listDeadLetterHoldings'
>;

export function cleanupReads(db: Queries): CleanupReads {
  return {
    async countCleanup() {
      return (await db.one(sql.type(z.object({ n: int8 }))`SELECT COUNT(*) AS n FROM cleanup_queue`)).n;
    },

    async listCleanup(afterId, limit) {
      return [
        ...(await db.any(sql.type(cleanupRow)`
          SELECT ${CLEANUP_COLUMNS} FROM cleanup_queue WHERE id > ${afterId ?? -1} ORDER BY id LIMIT ${limit}`)),
      ];
    },

    async listDeadLetters(afterId, limit) {
      return [
        ...(await db.any(sql.type(deadLetterRow)`
          SELECT ${DEAD_LETTER_COLUMNS} FROM cleanup_dlq WHERE id > ${afterId ?? -1} ORDER BY id LIMIT ${limit}`)),
      ];
    },

    async countDeadLetters() {
      return (await db.one(sql.type(z.object({ n: int8 }))`SELECT COUNT(*) AS n FROM cleanup_dlq`)).n;
    },

    async listCleanupHoldings(backendName, page) {
      return listHoldings(db, CLEANUP_HOLDINGS, backendName, page);
    },

    async listDeadLetterHoldings(backendName, page) {
      return listHoldings(db, DEAD_LETTER_HOLDINGS, backendName, page);
    },
  };
}

type CleanupWrites = Pick<
  TxStatements,
  | 'insertCleanup' | 'claimDueCleanup' | 'takeCleanup' | 'recordCleanupFailure' | 'clearCleanupDoubt' | 'insertCleanupDeadLetter'
  | 'takeDeadLetters' | 'reinsertCleanup'
>;

export function cleanupWrites(db: Queries): CleanupWrites {
  return {
    async insertCleanup(debt, now) {
      const row = await db.one(sql.type(z.object({ id: int8 }))`
        INSERT INTO cleanup_queue
          (kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry, created_at, in_doubt,
           marker_backend)
        VALUES (${debt.kind}, ${debt.backendName}, ${debt.storageKey}, ${debt.backendUploadId ?? null},
                ${debt.objectKey ?? null}, ${debt.reason}, ${debt.sizeBytes}, 0, ${now}, ${now}, ${debt.inDoubt ?? false},
                ${debt.markerBackend ?? null})
        RETURNING id`);
      return row.id;
    },

    // SKIP LOCKED: rows another worker is leasing right now are passed over instead of
    // waited for, so concurrent workers lease disjoint rows and none blocks on another.
    async claimDueCleanup(now, claimedUntil, limit) {
      const rows = await db.any(sql.type(cleanupRow)`
        UPDATE cleanup_queue q SET claimed_until = ${claimedUntil}
          FROM (SELECT id FROM cleanup_queue
                 WHERE next_retry <= ${now} AND (claimed_until IS NULL OR claimed_until <= ${now})
                 ORDER BY next_retry, id LIMIT ${limit}
                 FOR UPDATE SKIP LOCKED) due
         WHERE q.id = due.id
        RETURNING ${sql.fragment`q.id, q.kind, q.backend_name, q.storage_key, q.backend_upload_id, q.object_key, q.reason,
          q.size_bytes, q.attempts, q.next_retry, q.last_error, q.created_at, q.in_doubt, q.marker_backend`}`);
      return [...rows].sort((a, b) => a.nextRetry - b.nextRetry || a.id - b.id);
    },

    async takeCleanup(id) {
      return db.maybeOne(sql.type(cleanupRow)`DELETE FROM cleanup_queue WHERE id = ${id} RETURNING ${CLEANUP_COLUMNS}`);
    },

    async clearCleanupDoubt(id, note, nextRetry) {
      const result = await db.query(sql.unsafe`
        UPDATE cleanup_queue SET in_doubt = false, last_error = ${note}, next_retry = ${nextRetry}, claimed_until = NULL
         WHERE id = ${id}`);
      return result.rowCount === 1;
    },

    async recordCleanupFailure(id, error, nextRetry) {
      const result = await db.query(sql.unsafe`
        UPDATE cleanup_queue
           SET attempts = attempts + 1, last_error = ${error}, next_retry = ${nextRetry}, claimed_until = NULL
         WHERE id = ${id}`);
      return result.rowCount === 1;
    },

    async insertCleanupDeadLetter(row, now) {
      await db.query(sql.unsafe`
        INSERT INTO cleanup_dlq
          (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, last_error,
           created_at, moved_at, marker_backend)
        VALUES (${row.id}, ${row.kind}, ${row.backendName}, ${row.storageKey}, ${row.backendUploadId}, ${row.objectKey},
                ${row.reason}, ${row.sizeBytes}, ${row.attempts}, ${row.lastError}, ${row.createdAt}, ${now}, ${row.markerBackend})`);
    },

    async takeDeadLetters(ids, limit) {
      const only = ids === null ? sql.fragment`TRUE` : sql.fragment`id = ANY(${sql.array(ids, 'int8')})`;
      const rows = await db.any(sql.type(deadLetterRow)`
        DELETE FROM cleanup_dlq
         WHERE id IN (SELECT id FROM cleanup_dlq WHERE ${only} ORDER BY id LIMIT ${limit} FOR UPDATE)
        RETURNING ${DEAD_LETTER_COLUMNS}`);
      return [...rows].sort((a, b) => a.id - b.id);
    },

    // The id is the one the row always had: the identity sequence never hands it out again.
    async reinsertCleanup(row, now) {
      await db.query(sql.unsafe`
        INSERT INTO cleanup_queue
          (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry,
           last_error, created_at, marker_backend)
        VALUES (${row.id}, ${row.kind}, ${row.backendName}, ${row.storageKey}, ${row.backendUploadId}, ${row.objectKey},
                ${row.reason}, ${row.sizeBytes}, 0, ${now}, ${row.lastError}, ${row.createdAt}, ${row.markerBackend})`);
    },
  };
}
