// The slonik pool of a Postgres ledger: sized and recycled from `database.*`, with typed
// results really checked (slonik's `sql.type` does not validate rows by itself).
import {
  createPool, SchemaValidationError,
  type DatabasePool, type DriverFactory, type Interceptor, type QueryResultRow,
} from 'slonik';
import { poolDsn, type ConnectionSettings } from './connection-settings.js';
import { createLedgerDriverFactory } from './driver.js';

export interface PoolLimits {
  /** database.max_conns */
  maxConns: number;
  /** database.min_conns: connections kept open once made */
  minConns: number;
  /** database.max_conn_lifetime: a connection older than this is closed when it is released; null = forever */
  maxConnLifetimeMs: number | null;
  /** database.statement_cache: named prepared statements kept per connection; 0 = none */
  statementCacheSize: number;
}

/**
 * Parses every row of a typed query (`sql.type(schema)`) with its zod schema, so a row of
 * the wrong shape fails loudly and the schema's transforms (bigint → exact number,
 * snake_case → row objects) are what the statements receive.
 */
const resultParser: Interceptor = {
  name: 'result-parser',
  transformRow: (context, query, row) => {
    if (!context.resultParser) return row;
    const parsed = context.resultParser.safeParse(row);
    if (!parsed.success) throw new SchemaValidationError(query, row, parsed.error.issues);
    return parsed.data as QueryResultRow;
  },
};

/**
 * slonik 47's pool has no connection lifetime of its own; this driver closes a connection
 * instead of returning it to the pool once it has lived `maxLifetimeMs` (the pool then opens
 * a fresh one when needed), so connections move to a new server after a failover or a
 * pooler restart.
 */
function recyclingDriver(inner: DriverFactory, maxLifetimeMs: number): DriverFactory {
  return async (setup) => {
    const driver = await inner(setup);
    return {
      createClient: async () => {
        const client = await driver.createClient();
        const openedAt = Date.now();
        return {
          ...client,
          release: () => (Date.now() - openedAt >= maxLifetimeMs ? client.destroy() : client.release()),
        };
      },
    };
  };
}

export async function createLedgerPool(settings: ConnectionSettings, limits: PoolLimits): Promise<DatabasePool> {
  if (!Number.isInteger(limits.maxConns) || limits.maxConns < 1) throw new RangeError('database.max_conns must be at least 1');
  if (!Number.isInteger(limits.minConns) || limits.minConns < 0 || limits.minConns > limits.maxConns) {
    throw new RangeError('database.min_conns must be between 0 and database.max_conns');
  }
  if (!Number.isInteger(limits.statementCacheSize) || limits.statementCacheSize < 0) {
    throw new RangeError('database.statement_cache must be 0 or more');
  }
  const driver = createLedgerDriverFactory(settings, { statementCacheSize: limits.statementCacheSize });
  const pool = await createPool(poolDsn(settings), {
    driverFactory: limits.maxConnLifetimeMs === null ? driver : recyclingDriver(driver, limits.maxConnLifetimeMs),
    maximumPoolSize: limits.maxConns,
    minimumPoolSize: limits.minConns,
    connectionTimeout: settings.connectTimeoutMs,
    // slonik re-opens connections closed as idle while the pool is below minimumPoolSize, so a
    // short idle timeout would churn the min_conns connections; a minute keeps them steady.
    idleTimeout: 60_000,
    ...(settings.tls ? { ssl: settings.tls } : {}),
    interceptors: [resultParser],
    // The adapter hands each transaction its own connection's statements, so a foreign
    // connection cannot be reached by mistake. slonik's check keys on AsyncLocalStorage,
    // which also follows work *started* inside a transaction (e.g. a bus client's timers
    // created while the relay publishes) and would fail that work's queries later.
    dangerouslyAllowForeignConnections: true,
    // slonik's default sends DISCARD ALL on every release: one more round trip (and server
    // work) per transaction and per read — a needless share of a distributed PUT's time — and
    // it would drop the prepared statements the driver keeps on purpose (driver.ts). The
    // ledger leaves no other session state on a pooled connection: every use is one
    // transaction or read snapshot that ends in COMMIT or ROLLBACK (adapter.ts), no SET, no
    // temporary objects, and session advisory locks live on connections of their own
    // (leader-lock.ts, migrate.ts). A connection whose work broke it is destroyed, not reset.
    resetConnection: async () => {},
  });
  // A failed query already rejects its caller; the pool repeats it as an 'error' event,
  // which must have a listener or EventEmitter throws it a second time.
  pool.on('error', () => {});
  return pool;
}
