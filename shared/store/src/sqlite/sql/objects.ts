// objects and object_locations.
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { ListEntry, LocationRow, LocationState, ObjectRow } from '../../types.js';
import { int, type Params, type SqliteConnection } from '../connection.js';
import {
  IDENTITY_COLUMNS, IDENTITY_FROM_EXCLUDED, IDENTITY_VALUES, identityFromRow, identityParams,
  type RawIdentityColumns,
} from './identity-columns.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

interface RawObject extends RawIdentityColumns {
  object_key: string;
  write_id: string;
  size: bigint;
  etag: string;
  created_at: bigint;
}

export interface RawLocation {
  object_key: string;
  backend_name: string;
  storage_key: string;
  write_id: string;
  size_bytes: bigint;
  created_at: bigint;
  state: LocationState;
}

const OBJECT_COLUMNS = `object_key, write_id, size, etag, ${IDENTITY_COLUMNS}, created_at`;
const OBJECT_VALUES = `@objectKey, @writeId, @size, @etag, ${IDENTITY_VALUES}, @createdAt`;

function objectFromRow(r: RawObject): ObjectRow {
  return {
    objectKey: r.object_key,
    writeId: r.write_id,
    size: int(r.size),
    etag: r.etag,
    ...identityFromRow(r),
    createdAt: int(r.created_at),
  };
}

function objectParams(o: ObjectRow): Params {
  return { objectKey: o.objectKey, writeId: o.writeId, size: o.size, etag: o.etag, ...identityParams(o), createdAt: o.createdAt };
}

export function locationFromRow(r: RawLocation): LocationRow {
  return {
    objectKey: r.object_key,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    writeId: r.write_id,
    sizeBytes: int(r.size_bytes),
    createdAt: int(r.created_at),
    state: r.state,
  };
}

/** RETURNING has no defined order; callers get copies in a stable one. */
function byBackend(rows: RawLocation[]): LocationRow[] {
  return rows.map(locationFromRow).sort((a, b) => (a.backendName < b.backendName ? -1 : a.backendName > b.backendName ? 1 : 0));
}

const SELECT_OBJECT = `SELECT ${OBJECT_COLUMNS} FROM objects WHERE object_key = @objectKey`;

const LOCATION_HOLDINGS: HoldingTable = {
  kind: 'copy', table: 'object_locations', rowColumn: 'object_key', numericRow: false, objectKey: 't.object_key', size: 't.size_bytes',
};

type ObjectReads = Pick<ReadStatements, 'selectObject' | 'selectLocations' | 'selectObjectWithLocations' | 'listObjects' | 'listLocationHoldings'>;

export function objectReads(c: SqliteConnection): ObjectReads {
  const selectObject = (objectKey: string): ObjectRow | null => {
    const r = c.get<RawObject>(SELECT_OBJECT, { objectKey });
    return r ? objectFromRow(r) : null;
  };
  const selectLocations = (objectKey: string): LocationRow[] =>
    c.all<RawLocation>(`SELECT * FROM object_locations WHERE object_key = @objectKey ORDER BY created_at, backend_name`, { objectKey })
      .map(locationFromRow);
  return {
    selectObject: async (objectKey) => selectObject(objectKey),
    selectLocations: async (objectKey) => selectLocations(objectKey),

    // In-process, two statements cost no round trip; the caller's read keeps them on one snapshot.
    async selectObjectWithLocations(objectKey) {
      const object = selectObject(objectKey);
      return object ? { object, locations: selectLocations(objectKey) } : null;
    },

    // BINARY collation compares the UTF-8 bytes: the order and the range are S3's byte order.
    async listObjects(from, to, limit): Promise<ListEntry[]> {
      const rows =
        to === null
          ? c.all<Pick<RawObject, 'object_key' | 'size' | 'etag' | 'created_at'>>(
              `SELECT object_key, size, etag, created_at FROM objects
                WHERE object_key >= @from ORDER BY object_key LIMIT @limit`,
              { from, limit },
            )
          : c.all<Pick<RawObject, 'object_key' | 'size' | 'etag' | 'created_at'>>(
              `SELECT object_key, size, etag, created_at FROM objects
                WHERE object_key >= @from AND object_key < @to ORDER BY object_key LIMIT @limit`,
              { from, to, limit },
            );
      return rows.map((r) => ({ objectKey: r.object_key, size: int(r.size), etag: r.etag, createdAt: int(r.created_at) }));
    },

    async listLocationHoldings(backendName, page) {
      return listHoldings(c, LOCATION_HOLDINGS, backendName, page);
    },
  };
}

type ObjectWrites = Pick<
  TxStatements,
  | 'lockObjectKey' | 'insertObjectIfAbsent' | 'upsertObjectForWrite' | 'upsertObjectIfNewer' | 'deleteObjectRow' | 'updateObjectTags'
  | 'insertLocation' | 'deleteLocationsForKey' | 'deleteLocationsOfOtherWrites'
>;

export function objectWrites(c: SqliteConnection): ObjectWrites {
  return {
    // The single writer holds the database for the whole transaction: a plain read is a lock.
    async lockObjectKey(objectKey) {
      const r = c.get<RawObject>(SELECT_OBJECT, { objectKey });
      return r ? objectFromRow(r) : null;
    },

    async insertObjectIfAbsent(row) {
      return c.run(`INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${OBJECT_VALUES}) ON CONFLICT (object_key) DO NOTHING`, objectParams(row)) === 1;
    },

    async upsertObjectForWrite(row) {
      c.run(
        `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${OBJECT_VALUES})
         ON CONFLICT (object_key) DO UPDATE SET
           write_id = excluded.write_id, size = excluded.size, etag = excluded.etag,
           ${IDENTITY_FROM_EXCLUDED}, created_at = excluded.created_at`,
        objectParams(row),
      );
    },

    async upsertObjectIfNewer(row) {
      return (
        c.run(
          `INSERT INTO objects (${OBJECT_COLUMNS}) VALUES (${OBJECT_VALUES})
           ON CONFLICT (object_key) DO UPDATE SET
             write_id = excluded.write_id, size = excluded.size, etag = excluded.etag,
             ${IDENTITY_FROM_EXCLUDED}, created_at = excluded.created_at
           WHERE objects.write_id < excluded.write_id`,
          objectParams(row),
        ) === 1
      );
    },

    async deleteObjectRow(objectKey) {
      c.run(`DELETE FROM objects WHERE object_key = @objectKey`, { objectKey });
    },

    async updateObjectTags(objectKey, tags) {
      c.run(`UPDATE objects SET tags = @tags WHERE object_key = @objectKey`, { objectKey, tags: JSON.stringify(tags) });
    },

    async insertLocation(row) {
      c.run(
        `INSERT INTO object_locations (object_key, backend_name, storage_key, write_id, size_bytes, created_at, state)
         VALUES (@objectKey, @backendName, @storageKey, @writeId, @sizeBytes, @createdAt, @state)`,
        { ...row },
      );
    },

    async deleteLocationsForKey(objectKey) {
      return byBackend(c.all<RawLocation>(`DELETE FROM object_locations WHERE object_key = @objectKey RETURNING *`, { objectKey }));
    },

    async deleteLocationsOfOtherWrites(objectKey, writeId) {
      return byBackend(
        c.all<RawLocation>(
          `DELETE FROM object_locations WHERE object_key = @objectKey AND write_id <> @writeId RETURNING *`,
          { objectKey, writeId },
        ),
      );
    },
  };
}
