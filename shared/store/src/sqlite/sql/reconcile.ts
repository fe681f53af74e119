// Lost objects: objects with a copy marked missing and no ok copy. The partial index on
// missing copies (migration 0005) finds the few candidates without scanning every object.
// And whether a storage key is held by any record: the tables findHoldings pages (each
// served by its (backend_name, storage_key) index) — keep the two lists alike.
import type { ReconcileReads } from '../../reconcile-types.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawLost {
  object_key: string;
  write_id: string;
  size: bigint;
  etag: string;
  created_at: bigint;
}

const HELD_IN = ['object_locations', 'pending_objects', 'cleanup_queue', 'cleanup_dlq', 'multipart_uploads'];

const HELD = `SELECT ${HELD_IN.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE backend_name = @backendName AND storage_key = @storageKey)`).join('\n    OR ')} AS held`;

const LOST = `o.object_key IN (SELECT m.object_key FROM object_locations m WHERE m.state = 'missing')
  AND NOT EXISTS (SELECT 1 FROM object_locations k WHERE k.object_key = o.object_key AND k.state = 'ok')`;

export function reconcileReads(c: SqliteConnection): ReconcileReads {
  return {
    async listLostObjects(after, limit) {
      const rows = c.all<RawLost>(
        `SELECT o.object_key, o.write_id, o.size, o.etag, o.created_at FROM objects o
          WHERE ${LOST} AND (@after IS NULL OR o.object_key > @after)
          ORDER BY o.object_key LIMIT @limit`,
        { after, limit },
      );
      return rows.map((r) => ({
        objectKey: r.object_key, writeId: r.write_id, size: int(r.size), etag: r.etag, createdAt: int(r.created_at),
      }));
    },

    async countLostObjects() {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM objects o WHERE ${LOST}`)!.n);
    },

    async isStorageKeyHeld(backendName, storageKey) {
      return int(c.get<{ held: bigint }>(HELD, { backendName, storageKey })!.held) === 1;
    },
  };
}
