// backend_drains, and what the ledger holds on one backend (see drain-statements.ts).
import { sql } from 'slonik';
import { z } from 'zod';
import type { DrainReads, DrainWrites } from '../../drain-statements.js';
import type { DrainRow } from '../../drain-types.js';
import { int8, keyBound } from '../columns.js';
import type { Queries } from '../queries.js';
import { LOCATION_COLUMNS, locationRow } from './objects.js';

const drainRow = z
  .object({
    id: int8,
    backend_name: z.string(),
    state: z.enum(['draining', 'drained', 'failed', 'cancelled']),
    objects_total: int8,
    objects_moved: int8,
    bytes_moved: int8,
    last_error: z.string().nullable(),
    started_at: int8,
    updated_at: int8,
    finished_at: int8.nullable(),
  })
  .transform((r): DrainRow => ({
    id: r.id,
    backendName: r.backend_name,
    state: r.state,
    objectsTotal: r.objects_total,
    objectsMoved: r.objects_moved,
    bytesMoved: r.bytes_moved,
    lastError: r.last_error,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  }));

const DRAIN_COLUMNS = sql.fragment`id, backend_name, state, objects_total, objects_moved, bytes_moved, last_error, started_at, updated_at, finished_at`;

const countsRow = z.object({ copies: int8, copy_bytes: int8, intents: int8, uploads: int8, debts: int8 });

export function drainReads(db: Queries): DrainReads {
  return {
    async selectLatestDrain(backendName) {
      return db.maybeOne(sql.type(drainRow)`
        SELECT ${DRAIN_COLUMNS} FROM backend_drains WHERE backend_name = ${backendName} ORDER BY id DESC LIMIT 1`);
    },

    async selectActiveDrains() {
      return [...(await db.any(sql.type(drainRow)`SELECT ${DRAIN_COLUMNS} FROM backend_drains WHERE state = 'draining' ORDER BY id`))];
    },

    async countBackendRecords(backendName) {
      const r = await db.one(sql.type(countsRow)`
        SELECT (SELECT COUNT(*) FROM object_locations WHERE backend_name = ${backendName}) AS copies,
               (SELECT COALESCE(SUM(size_bytes), 0)::bigint FROM object_locations WHERE backend_name = ${backendName}) AS copy_bytes,
               (SELECT COUNT(*) FROM pending_objects WHERE backend_name = ${backendName}) AS intents,
               (SELECT COUNT(*) FROM multipart_uploads WHERE backend_name = ${backendName}) AS uploads,
               ((SELECT COUNT(*) FROM cleanup_queue WHERE backend_name = ${backendName})
                 + (SELECT COUNT(*) FROM cleanup_dlq WHERE backend_name = ${backendName}))::bigint AS debts`);
      return { copies: r.copies, copyBytes: r.copy_bytes, intents: r.intents, uploads: r.uploads, debts: r.debts };
    },

    async listBackendLocations(backendName, after, limit) {
      const resume = after === null ? sql.fragment`TRUE` : keyBound(sql.fragment`storage_key`, '>', after);
      return [
        ...(await db.any(sql.type(locationRow)`
          SELECT ${LOCATION_COLUMNS} FROM object_locations
           WHERE backend_name = ${backendName} AND ${resume}
           ORDER BY storage_key LIMIT ${limit}`)),
      ];
    },
  };
}

export function drainWrites(db: Queries): DrainWrites {
  return {
    async insertDrain(backendName, objectsTotal, now) {
      return db.maybeOne(sql.type(drainRow)`
        INSERT INTO backend_drains (backend_name, state, objects_total, objects_moved, bytes_moved, started_at, updated_at)
        VALUES (${backendName}, 'draining', ${objectsTotal}, 0, 0, ${now}, ${now})
        ON CONFLICT DO NOTHING
        RETURNING ${DRAIN_COLUMNS}`);
    },

    async addDrainProgress(id, objects, bytes, error, now) {
      await db.query(sql.unsafe`
        UPDATE backend_drains SET objects_moved = objects_moved + ${objects}, bytes_moved = bytes_moved + ${bytes},
               objects_total = GREATEST(objects_total, objects_moved + ${objects}),
               last_error = COALESCE(${error}::text, last_error), updated_at = ${now}
         WHERE id = ${id}`);
    },

    async endDrain(id, state, reason, now) {
      return db.maybeOne(sql.type(drainRow)`
        UPDATE backend_drains SET state = ${state}, last_error = COALESCE(${reason}::text, last_error), updated_at = ${now}, finished_at = ${now}
         WHERE id = ${id} AND (state = 'draining' OR (state = 'drained' AND ${state} = 'cancelled'))
        RETURNING ${DRAIN_COLUMNS}`);
    },

    async takeBackendLocations(backendName, limit) {
      return [
        ...(await db.any(sql.type(locationRow)`
          DELETE FROM object_locations
           WHERE (object_key, backend_name) IN (
             SELECT object_key, backend_name FROM object_locations WHERE backend_name = ${backendName} LIMIT ${limit})
          RETURNING ${LOCATION_COLUMNS}`)),
      ];
    },

    async deleteBackendHoldings(backendName) {
      await db.query(sql.unsafe`DELETE FROM pending_objects WHERE backend_name = ${backendName}`);
      await db.query(sql.unsafe`
        DELETE FROM multipart_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE backend_name = ${backendName})`);
      await db.query(sql.unsafe`DELETE FROM multipart_uploads WHERE backend_name = ${backendName}`);
      await db.query(sql.unsafe`DELETE FROM cleanup_queue WHERE backend_name = ${backendName}`);
      await db.query(sql.unsafe`DELETE FROM cleanup_dlq WHERE backend_name = ${backendName}`);
    },

    async deleteBackendRows(backendName) {
      await db.query(sql.unsafe`DELETE FROM backend_drains WHERE backend_name = ${backendName}`);
      await db.query(sql.unsafe`DELETE FROM backend_quotas WHERE backend_name = ${backendName}`);
      await db.query(sql.unsafe`DELETE FROM backend_quota_stripes WHERE backend_name = ${backendName}`);
    },
  };
}
