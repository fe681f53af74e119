// backend_drains, and what the ledger holds on one backend (see drain-statements.ts).
import type { DrainReads, DrainWrites } from '../../drain-statements.js';
import type { DrainRow, DrainState } from '../../drain-types.js';
import { int, intOrNull, type SqliteConnection } from '../connection.js';
import { locationFromRow, type RawLocation } from './objects.js';

interface RawDrain {
  id: bigint;
  backend_name: string;
  state: DrainState;
  objects_total: bigint;
  objects_moved: bigint;
  bytes_moved: bigint;
  last_error: string | null;
  started_at: bigint;
  updated_at: bigint;
  finished_at: bigint | null;
}

const DRAIN_COLUMNS = `id, backend_name, state, objects_total, objects_moved, bytes_moved, last_error, started_at, updated_at, finished_at`;
const LOCATION_COLUMNS = `object_key, backend_name, storage_key, write_id, size_bytes, created_at, state`;

function drainFromRow(r: RawDrain): DrainRow {
  return {
    id: int(r.id),
    backendName: r.backend_name,
    state: r.state,
    objectsTotal: int(r.objects_total),
    objectsMoved: int(r.objects_moved),
    bytesMoved: int(r.bytes_moved),
    lastError: r.last_error,
    startedAt: int(r.started_at),
    updatedAt: int(r.updated_at),
    finishedAt: intOrNull(r.finished_at),
  };
}

export function drainReads(c: SqliteConnection): DrainReads {
  return {
    async selectLatestDrain(backendName) {
      const r = c.get<RawDrain>(
        `SELECT ${DRAIN_COLUMNS} FROM backend_drains WHERE backend_name = @backendName ORDER BY id DESC LIMIT 1`,
        { backendName },
      );
      return r ? drainFromRow(r) : null;
    },

    async selectActiveDrains() {
      return c.all<RawDrain>(`SELECT ${DRAIN_COLUMNS} FROM backend_drains WHERE state = 'draining' ORDER BY id`).map(drainFromRow);
    },

    async countBackendRecords(backendName) {
      const r = c.get<{ copies: bigint; copy_bytes: bigint; intents: bigint; uploads: bigint; debts: bigint }>(
        `SELECT (SELECT COUNT(*) FROM object_locations WHERE backend_name = @b) AS copies,
                (SELECT COALESCE(SUM(size_bytes), 0) FROM object_locations WHERE backend_name = @b) AS copy_bytes,
                (SELECT COUNT(*) FROM pending_objects WHERE backend_name = @b) AS intents,
                (SELECT COUNT(*) FROM multipart_uploads WHERE backend_name = @b) AS uploads,
                (SELECT COUNT(*) FROM cleanup_queue WHERE backend_name = @b)
                  + (SELECT COUNT(*) FROM cleanup_dlq WHERE backend_name = @b) AS debts`,
        { b: backendName },
      )!;
      return { copies: int(r.copies), copyBytes: int(r.copy_bytes), intents: int(r.intents), uploads: int(r.uploads), debts: int(r.debts) };
    },

    async listBackendLocations(backendName, after, limit) {
      return c
        .all<RawLocation>(
          `SELECT ${LOCATION_COLUMNS} FROM object_locations
            WHERE backend_name = @backendName AND (@after IS NULL OR storage_key > @after)
            ORDER BY storage_key LIMIT @limit`,
          { backendName, after, limit },
        )
        .map(locationFromRow);
    },
  };
}

export function drainWrites(c: SqliteConnection): DrainWrites {
  return {
    async insertDrain(backendName, objectsTotal, now) {
      const r = c.get<RawDrain>(
        `INSERT INTO backend_drains (backend_name, state, objects_total, objects_moved, bytes_moved, started_at, updated_at)
         VALUES (@backendName, 'draining', @objectsTotal, 0, 0, @now, @now)
         ON CONFLICT DO NOTHING
         RETURNING ${DRAIN_COLUMNS}`,
        { backendName, objectsTotal, now },
      );
      return r ? drainFromRow(r) : null;
    },

    async addDrainProgress(id, objects, bytes, error, now) {
      c.run(
        `UPDATE backend_drains SET objects_moved = objects_moved + @objects, bytes_moved = bytes_moved + @bytes,
                objects_total = MAX(objects_total, objects_moved + @objects),
                last_error = COALESCE(@error, last_error), updated_at = @now
          WHERE id = @id`,
        { id, objects, bytes, error, now },
      );
    },

    async endDrain(id, state, reason, now) {
      const r = c.get<RawDrain>(
        `UPDATE backend_drains SET state = @state, last_error = COALESCE(@reason, last_error), updated_at = @now, finished_at = @now
          WHERE id = @id AND (state = 'draining' OR (state = 'drained' AND @state = 'cancelled'))
         RETURNING ${DRAIN_COLUMNS}`,
        { id, state, reason, now },
      );
      return r ? drainFromRow(r) : null;
    },

    async takeBackendLocations(backendName, limit) {
      return c
        .all<RawLocation>(
          `DELETE FROM object_locations
            WHERE (object_key, backend_name) IN (
              SELECT object_key, backend_name FROM object_locations WHERE backend_name = @backendName LIMIT @limit)
           RETURNING ${LOCATION_COLUMNS}`,
          { backendName, limit },
        )
        .map(locationFromRow);
    },

    async deleteBackendHoldings(backendName) {
      const b = { backendName };
      c.run(`DELETE FROM pending_objects WHERE backend_name = @backendName`, b);
      c.run(`DELETE FROM multipart_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE backend_name = @backendName)`, b);
      c.run(`DELETE FROM multipart_uploads WHERE backend_name = @backendName`, b);
      c.run(`DELETE FROM cleanup_queue WHERE backend_name = @backendName`, b);
      c.run(`DELETE FROM cleanup_dlq WHERE backend_name = @backendName`, b);
    },

    async deleteBackendRows(backendName) {
      c.run(`DELETE FROM backend_drains WHERE backend_name = @backendName`, { backendName });
      c.run(`DELETE FROM backend_quotas WHERE backend_name = @backendName`, { backendName });
    },
  };
}
