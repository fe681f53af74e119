// objects and object_locations. Keys are `COLLATE "C"` columns: ORDER BY and the range
// bounds below follow UTF-8 byte order, and the primary-key index serves the range scan.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { LocationRow, ObjectRow } from '../../types.js';
import { int8, jsonParam, keyBound } from '../columns.js';
import type { Queries } from '../queries.js';
import { IDENTITY_COLUMNS, IDENTITY_FROM_EXCLUDED, identityFromRow, identityShape, identityValues } from './identity-columns.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

const objectRow = z
  .object({
    object_key: z.string(),
    write_id: z.string(),
    size: int8,
    etag: z.string(),
    ...identityShape,
    created_at: int8,
  })
  .transform((r): ObjectRow => ({
    objectKey: r.object_key,
    writeId: r.write_id,
    size: r.size,
    etag: r.etag,
    ...identityFromRow(r),
    createdAt: r.created_at,
  }));

export const locationRow = z
  .object({
    object_key: z.string(),
    backend_name: z.string(),
    storage_key: z.string(),
    write_id: z.string(),
    size_bytes: int8,
    created_at: int8,
    state: z.enum(['ok', 'missing', 'corrupt']),
  })
  .transform((r): LocationRow => ({
    objectKey: r.object_key,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    writeId: r.write_id,
    sizeBytes: r.size_bytes,
    createdAt: r.created_at,
    state: r.state,
  }));

const listEntry = z
  .object({ object_key: z.string(), size: int8, etag: z.string(), created_at: int8 })
  .transform((r) => ({ objectKey: r.object_key, size: r.size, etag: r.etag, createdAt: r.created_at }));

const OBJECT_COLUMNS = sql.fragment`object_key, write_id, size, etag, ${IDENTITY_COLUMNS}, created_at`;
export const LOCATION_COLUMNS = sql.fragment`object_key, backend_name, storage_key, write_id, size_bytes, created_at, state`;

function objectValues(o: ObjectRow) {
  return sql.fragment`${o.objectKey}, ${o.writeId}, ${o.size}, ${o.etag}, ${identityValues(o)}, ${o.createdAt}`;
}

/** RETURNING has no defined order; callers get copies in a stable one (byte order of the name). */
function byBackend(rows: readonly LocationRow[]): LocationRow[] {
  return [...rows].sort((a, b) => Buffer.compare(Buffer.from(a.backendName), Buffer.from(b.backendName)));
}

const LOCATION_HOLDINGS: HoldingTable = {
  kind: 'copy', table: 'object_locations', rowColumn: 'object_key', numericRow: false,
  objectKey: sql.fragment`t.object_key`, size: sql.fragment`t.size_bytes`,
};

type ObjectReads = Pick<ReadStatements, 'selectObject' | 'selectLocations' | 'listObjects' | 'listLocationHoldings'>;

export function objectReads(db: Queries): ObjectReads {
  return {
    async selectObject(objectKey) {
      return db.maybeOne(sql.type(objectRow)`SELECT ${OBJECT_COLUMNS} FROM objects WHERE object_key = ${objectKey}`);
    },

    async selectLocations(objectKey) {
      return [
        ...(await db.any(sql.type(locationRow)`
          SELECT ${LOCATION_COLUMNS} FROM object_locations
           WHERE object_key = ${objectKey} ORDER BY created_at, backend_name`)),
      ];
    },

    async listObjects(from, to, limit) {
      const key = sql.fragment`object_key`;
      const upper = to === null ? sql.fragment`TRUE` : keyBound(key, '<', to);
      return [
        ...(await db.any(sql.type(listEntry)`
          SELECT object_key, size, etag, created_at FROM objects
           WHERE ${keyBound(key, '>=', from)} AND ${upper}
           ORDER BY object_key LIMIT ${limit}`)),
      ];
    },

    async listLocationHoldings(backendName, page) {
      return listHoldings(db, LOCATION_HOLDINGS, backendName, page);
    },
  };
}

type ObjectWrites = Pick<
  TxStatements,
  | 'lockObjectKey' | 'insertObjectIfAbsent' | 'upsertObjectForWrite' | 'upsertObjectIfNewer' | 'deleteObjectRow' | 'updateObjectTags'
  | 'insertLocation' | 'deleteLocationsForKey' | 'deleteLocationsOfOtherWrites'
>;

export function objectWrites(db: Queries): ObjectWrites {
  return {
    async lockObjectKey(objectKey) {
      return db.maybeOne(sql.type(objectRow)`
        SELECT ${OBJECT_COLUMNS} FROM objects WHERE object_key = ${objectKey} FOR UPDATE`);
    },

    // A concurrent inserter of the same key is waited for (the unique index), then this one
    // does nothing; the row it inserted stays locked by this transaction.
    async insertObjectIfAbsent(row) {
      const result = await db.query(sql.unsafe`
        INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${objectValues(row)})
        ON CONFLICT (object_key) DO NOTHING`);
      return result.rowCount === 1;
    },

    // Inserting or updating the row locks it until commit: the per-key lock of a write.
    async upsertObjectForWrite(row) {
      await db.query(sql.unsafe`
        INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${objectValues(row)})
        ON CONFLICT (object_key) DO UPDATE SET
          write_id = EXCLUDED.write_id, size = EXCLUDED.size, etag = EXCLUDED.etag,
          ${IDENTITY_FROM_EXCLUDED}, created_at = EXCLUDED.created_at`);
    },

    // The conflicting row is locked whether or not the WHERE lets the update through, so a
    // concurrent writer of the key is ordered after this transaction either way.
    async upsertObjectIfNewer(row) {
      const result = await db.query(sql.unsafe`
        INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${objectValues(row)})
        ON CONFLICT (object_key) DO UPDATE SET
          write_id = EXCLUDED.write_id, size = EXCLUDED.size, etag = EXCLUDED.etag,
          ${IDENTITY_FROM_EXCLUDED}, created_at = EXCLUDED.created_at
        WHERE objects.write_id < EXCLUDED.write_id`);
      return result.rowCount === 1;
    },

    async deleteObjectRow(objectKey) {
      await db.query(sql.unsafe`DELETE FROM objects WHERE object_key = ${objectKey}`);
    },

    async updateObjectTags(objectKey, tags) {
      await db.query(sql.unsafe`UPDATE objects SET tags = ${jsonParam(tags, 'jsonb')} WHERE object_key = ${objectKey}`);
    },

    async insertLocation(row) {
      await db.query(sql.unsafe`
        INSERT INTO object_locations (${LOCATION_COLUMNS})
        VALUES (${row.objectKey}, ${row.backendName}, ${row.storageKey}, ${row.writeId}, ${row.sizeBytes},
                ${row.createdAt}, ${row.state})`);
    },

    async deleteLocationsForKey(objectKey) {
      return byBackend(await db.any(sql.type(locationRow)`
        DELETE FROM object_locations WHERE object_key = ${objectKey} RETURNING ${LOCATION_COLUMNS}`));
    },

    async deleteLocationsOfOtherWrites(objectKey, writeId) {
      return byBackend(await db.any(sql.type(locationRow)`
        DELETE FROM object_locations WHERE object_key = ${objectKey} AND write_id <> ${writeId}
        RETURNING ${LOCATION_COLUMNS}`));
    },
  };
}
