// Lost objects: objects with a copy marked missing and no ok copy. The partial index on
// missing copies (migration 0005) finds the few candidates without scanning every object.
// And whether a storage key is held by any record: the tables findHoldings pages (each
// served by its (backend_name, storage_key) index) — keep the two lists alike.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReconcileReads } from '../../reconcile-types.js';
import { int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const lostRow = z
  .object({ object_key: z.string(), write_id: z.string(), size: int8, etag: z.string(), created_at: int8 })
  .transform((r) => ({ objectKey: r.object_key, writeId: r.write_id, size: r.size, etag: r.etag, createdAt: r.created_at }));

const HELD_IN = ['object_locations', 'pending_objects', 'cleanup_queue', 'cleanup_dlq', 'multipart_uploads'];

const LOST = sql.fragment`o.object_key IN (SELECT m.object_key FROM object_locations m WHERE m.state = 'missing')
  AND NOT EXISTS (SELECT 1 FROM object_locations k WHERE k.object_key = o.object_key AND k.state = 'ok')`;

export function reconcileReads(db: Queries): ReconcileReads {
  return {
    async listLostObjects(after, limit) {
      // Stored keys never contain U+0000, so a stored key as the bound compares exactly.
      const resume = after === null ? sql.fragment`TRUE` : sql.fragment`o.object_key > ${after}`;
      return [
        ...(await db.any(sql.type(lostRow)`
          SELECT o.object_key, o.write_id, o.size, o.etag, o.created_at FROM objects o
           WHERE ${LOST} AND ${resume}
           ORDER BY o.object_key LIMIT ${limit}`)),
      ];
    },

    async countLostObjects() {
      const row = await db.one(sql.type(z.object({ n: int8 }))`SELECT COUNT(*) AS n FROM objects o WHERE ${LOST}`);
      return row.n;
    },

    async isStorageKeyHeld(backendName, storageKey) {
      const held = sql.join(
        HELD_IN.map((t) => sql.fragment`EXISTS (SELECT 1 FROM ${sql.identifier([t])} WHERE backend_name = ${backendName} AND storage_key = ${storageKey})`),
        sql.fragment` OR `,
      );
      const row = await db.one(sql.type(z.object({ held: z.boolean() }))`SELECT ${held} AS held`);
      return row.held;
    },
  };
}
