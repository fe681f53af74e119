// Plain SQL on a ledger's database, for the scale benchmark's bulk seeding and size figures
// only: the gateway never goes through here. One interface over both engines, so the seeding
// and the bytes-per-object figure are computed the same way on SQLite and Postgres.
import Database from 'better-sqlite3';
import pg from 'pg';

export type ScaleEngine = 'sqlite' | 'postgres';
export const SCALE_ENGINES: readonly ScaleEngine[] = ['sqlite', 'postgres'];

export interface Column {
  name: string;
  /** the engine's type name (Postgres: `format_type`, used to cast bound values) */
  type: string;
}

export interface RawLedger {
  readonly engine: ScaleEngine;
  /** the table's columns, in order */
  columns(table: string): Promise<Column[]>;
  /** `$1`, `$2` … are the positional parameters on both engines */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** one statement in a transaction of its own */
  run(sql: string, params?: unknown[]): Promise<void>;
  /** bytes the ledger's tables and indexes take (SQLite: used pages, after a WAL checkpoint) */
  bytes(): Promise<number>;
  /** after a bulk load: what the engine's own maintenance would do to a ledger grown by PUTs */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

/** better-sqlite3 binds `?` or named parameters: `$n` becomes `@pn`, bound from an object. */
function sqliteParams(sql: string, params: unknown[]): [string, Record<string, unknown>] {
  return [sql.replace(/\$(\d+)/g, '@p$1'), Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]))];
}

export function openRawSqlite(path: string): RawLedger {
  const db = new Database(path, { timeout: 30_000 });
  return {
    engine: 'sqlite',
    async columns(table) {
      const rows = db.prepare(`SELECT name, type FROM pragma_table_info(?) ORDER BY cid`).all(table) as Column[];
      return rows;
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const [text, named] = sqliteParams(sql, params);
      return db.prepare(text).all(named) as T[];
    },
    async run(sql, params = []) {
      const [text, named] = sqliteParams(sql, params);
      const stmt = db.prepare(text);
      db.transaction(() => stmt.run(named))();
    },
    async bytes() {
      db.pragma('wal_checkpoint(TRUNCATE)');
      const pages = db.pragma('page_count', { simple: true }) as number;
      const free = db.pragma('freelist_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return (pages - free) * size;
    },
    async analyze() {
      // Nothing: the store never runs ANALYZE on SQLite, so a seeded ledger must not get
      // planner statistics that a ledger grown by PUTs would not have.
    },
    async close() {
      db.close();
    },
  };
}

export async function openRawPostgres(url: string): Promise<RawLedger> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    engine: 'postgres',
    async columns(table) {
      const r = await client.query<Column>(
        `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      );
      return r.rows;
    },
    async query<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    async run(sql, params = []) {
      await client.query(sql, params);
    },
    async bytes() {
      const r = await client.query<{ bytes: string }>(
        `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`,
      );
      return Number(r.rows[0]!.bytes);
    },
    async analyze() {
      // What autovacuum does after a bulk load: statistics for the planner, the visibility map
      // for index-only scans.
      await client.query('VACUUM ANALYZE');
    },
    async close() {
      await client.end();
    },
  };
}
