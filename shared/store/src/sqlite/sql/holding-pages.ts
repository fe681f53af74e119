// Pages of "what the ledger accounts for on one backend" (verify): each table family that
// holds storage keys (copies, intents, debts, dead letters, uploads) describes its columns
// here and gets the same keyset paging — by (storage_key, row id), strictly after a cursor,
// optionally only one storage key — served by its (backend_name, storage_key) index.
import type { HoldingPage } from '../../tx-adapter.js';
import type { BackendHolding, HoldingKind } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';

export interface HoldingTable {
  kind: HoldingKind;
  table: string;
  /** the column that tells apart rows with one storage key (BackendHolding.rowId) */
  rowColumn: string;
  /** the row column is an INTEGER: the cursor's row id is compared as a number */
  numericRow: boolean;
  /** expression of the object key (may be NULL); the table's alias is `t` */
  objectKey: string;
  /** expression of the bytes the row accounts for; the table's alias is `t` */
  size: string;
}

interface RawHolding {
  storage_key: string;
  row_id: string | bigint;
  object_key: string | null;
  size_bytes: bigint;
}

export function listHoldings(c: SqliteConnection, spec: HoldingTable, backendName: string, page: HoldingPage): BackendHolding[] {
  const only = page.storageKey === undefined ? '' : 'AND t.storage_key = @storageKey';
  const resume = page.after === null
    ? ''
    : `AND (t.storage_key > @afterKey OR (t.storage_key = @afterKey AND t.${spec.rowColumn} > @afterRow))`;
  const afterRow = page.after === null ? null : spec.numericRow ? Number(page.after.rowId) : page.after.rowId;
  const rows = c.all<RawHolding>(
    `SELECT t.storage_key, t.${spec.rowColumn} AS row_id, ${spec.objectKey} AS object_key, ${spec.size} AS size_bytes
       FROM ${spec.table} t
      WHERE t.backend_name = @backendName ${only} ${resume}
      ORDER BY t.storage_key, t.${spec.rowColumn} LIMIT @limit`,
    { backendName, storageKey: page.storageKey ?? null, afterKey: page.after?.storageKey ?? null, afterRow, limit: page.limit },
  );
  return rows.map((r) => ({
    kind: spec.kind,
    storageKey: r.storage_key,
    rowId: String(r.row_id),
    objectKey: r.object_key,
    sizeBytes: int(r.size_bytes),
  }));
}
