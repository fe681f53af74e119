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

const objectShape = {
  object_key: z.string(),
  write_id: z.string(),
  size: int8,
  etag: z.string(),
  ...identityShape,
  created_at: int8,
};

function toObject(r: z.infer<z.ZodObject<typeof objectShape>>): ObjectRow {
  return {
    objectKey: r.object_key,
    writeId: r.write_id,
    size: r.size,
    etag: r.etag,
    ...identityFromRow(r),
    createdAt: r.created_at,
  };
}

const objectRow = z.object(objectShape).transform(toObject);

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

/** A row of the object joined with one of its copies; the copy's columns are null when it has none. */
const objectWithLocationRow = z
  .object({
    ...objectShape,
    l_backend_name: z.string().nullable(),
    l_storage_key: z.string().nullable(),
    l_write_id: z.string().nullable(),
    l_size_bytes: int8.nullable(),
    l_created_at: int8.nullable(),
    l_state: z.enum(['ok', 'missing', 'corrupt']).nullable(),
  })
  .transform((r): { object: ObjectRow; location: LocationRow | null } => ({
    object: toObject(r),
    location: r.l_backend_name === null ? null : {
      objectKey: r.object_key,
      backendName: r.l_backend_name,
      storageKey: r.l_storage_key!,
      writeId: r.l_write_id!,
      sizeBytes: r.l_size_bytes!,
      createdAt: r.l_created_at!,
      state: r.l_state!,
    },
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

type ObjectReads = Pick<ReadStatements, 'selectObject' | 'selectLocations' | 'selectObjectWithLocations' | 'listObjects' | 'listLocationHoldings'>;

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

    // The object once per copy (or once, with null copy columns): a copy has no columns worth
    // a second statement's round trip, and the join's plan is kept (statement-cache.ts).
    async selectObjectWithLocations(objectKey) {
      const rows = await db.any(sql.type(objectWithLocationRow)`
        SELECT o.*, l.backend_name AS l_backend_name, l.storage_key AS l_storage_key, l.write_id AS l_write_id,
               l.size_bytes AS l_size_bytes, l.created_at AS l_created_at, l.state AS l_state
          FROM (SELECT ${OBJECT_COLUMNS} FROM objects WHERE object_key = ${objectKey}) o
          LEFT JOIN object_locations l ON l.object_key = o.object_key
         ORDER BY l.created_at, l.backend_name`);
      if (rows.length === 0) return null;
      const locations: LocationRow[] = [];
      for (const row of rows) if (row.location) locations.push(row.location);
      return { object: rows[0]!.object, locations };
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
