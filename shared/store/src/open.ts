// Opening a ledger from configuration: pick the engine, prepare it (directory, migrations)
// and put the core rules on top of its adapter.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createLedger } from './core/index.js';
import type { Ledger } from './ledger.js';
import type { PostgresAdapterOptions } from './postgres/adapter.js';
import { openSqliteAdapter } from './sqlite/adapter.js';
import { defaultMigrationsDir } from './sqlite/migrate.js';

export interface SqliteLedgerOptions {
  driver: 'sqlite';
  /** database file (its directory is created); `:memory:` for a private in-memory database */
  path: string;
  /** `source` of the events this process appends (service + instance) */
  source: string;
  /** default: migrations/sqlite of this checkout or install */
  migrationsDir?: string;
  busyTimeoutMs?: number;
  /** epoch milliseconds; default Date.now */
  clock?: () => number;
  /** the caller's W3C traceparent, stamped on appended events (LedgerOptions.traceparent) */
  traceparent?: () => string | null;
}

/**
 * Where the database is: `url`, or host/port/user/password/name (`database.*`), not both;
 * `sslMode` as libpq's sslmode; the pool from max/min conns and the connection lifetime.
 * Migrations run first, under an advisory lock.
 */
export interface PostgresLedgerOptions extends Omit<PostgresAdapterOptions, 'migrationsDir'> {
  driver: 'postgres';
  /** `source` of the events this process appends (service + instance) */
  source: string;
  /** default: migrations/postgres of this checkout or install */
  migrationsDir?: string;
  /** epoch milliseconds; default Date.now */
  clock?: () => number;
  /** the caller's W3C traceparent, stamped on appended events (LedgerOptions.traceparent) */
  traceparent?: () => string | null;
}

export type OpenLedgerOptions = SqliteLedgerOptions | PostgresLedgerOptions;

export async function openLedger(options: OpenLedgerOptions): Promise<Ledger> {
  switch (options.driver) {
    case 'sqlite': {
      if (options.path !== ':memory:') await mkdir(dirname(options.path), { recursive: true });
      const adapter = await openSqliteAdapter({
        path: options.path,
        migrationsDir: options.migrationsDir ?? defaultMigrationsDir(),
        busyTimeoutMs: options.busyTimeoutMs,
      });
      return createLedger(adapter, { source: options.source, clock: options.clock, traceparent: options.traceparent });
    }
    case 'postgres': {
      // Loaded on demand: slonik and pg cost ~450 ms and memory that SQLite mode never needs.
      const { openPostgresAdapter } = await import('./postgres/adapter.js');
      const { defaultMigrationsDir: defaultPostgresMigrationsDir } = await import('./postgres/migrate.js');
      const { driver: _, source, clock, traceparent, migrationsDir, ...connection } = options;
      const adapter = await openPostgresAdapter({
        ...connection,
        migrationsDir: migrationsDir ?? defaultPostgresMigrationsDir(),
      });
      return createLedger(adapter, { source, clock, traceparent });
    }
    default:
      // Unreachable for typed callers; guards configuration that was not validated.
      throw new Error(`unsupported database driver: ${String((options as { driver: unknown }).driver)}`);
  }
}
