// Pages of "what the ledger accounts for on one backend" (verify): each table family that
// holds storage keys (copies, intents, debts, dead letters, uploads) describes its columns
// here and gets the same keyset paging — by (storage_key, row id), strictly after a cursor,
// optionally only one storage key — served by its (backend_name, storage_key) index.
// Keys are COLLATE "C" columns, so the order is byte order, the same as SQLite's.
import { sql } from 'slonik';
import { z } from 'zod';
import type { HoldingPage } from '../../tx-adapter.js';
import type { BackendHolding, HoldingKind } from '../../types.js';
import { int8, type Fragment } from '../columns.js';
import type { Queries } from '../queries.js';

export interface HoldingTable {
  kind: HoldingKind;
  table: string;
  /** the column that tells apart rows with one storage key (BackendHolding.rowId) */
  rowColumn: string;
  /** the row column is a BIGINT: the cursor's row id is compared as a number */
  numericRow: boolean;
  /** expression of the object key (may be NULL); the table's alias is `t` */
  objectKey: Fragment;
  /** BIGINT expression of the bytes the row accounts for; the table's alias is `t` */
  size: Fragment;
}

const holdingRow = z.object({
  storage_key: z.string(),
  row_id: z.string(),
  object_key: z.string().nullable(),
  size_bytes: int8,
});

export async function listHoldings(db: Queries, spec: HoldingTable, backendName: string, page: HoldingPage): Promise<BackendHolding[]> {
  const row = sql.identifier(['t', spec.rowColumn]);
  const only = page.storageKey === undefined ? sql.fragment`TRUE` : sql.fragment`t.storage_key = ${page.storageKey}`;
  let resume = sql.fragment`TRUE`;
  if (page.after !== null) {
    const afterRow = spec.numericRow ? sql.fragment`${Number(page.after.rowId)}::bigint` : sql.fragment`${page.after.rowId}`;
    resume = sql.fragment`(t.storage_key > ${page.after.storageKey}
                           OR (t.storage_key = ${page.after.storageKey} AND ${row} > ${afterRow}))`;
  }
  const rows = await db.any(sql.type(holdingRow)`
    SELECT t.storage_key, ${row}::text AS row_id, ${spec.objectKey} AS object_key, ${spec.size} AS size_bytes
      FROM ${sql.identifier([spec.table])} t
     WHERE t.backend_name = ${backendName} AND ${only} AND ${resume}
     ORDER BY t.storage_key, ${row} LIMIT ${page.limit}`);
  return rows.map((r) => ({
    kind: spec.kind,
    storageKey: r.storage_key,
    rowId: r.row_id,
    objectKey: r.object_key,
    sizeBytes: r.size_bytes,
  }));
}
