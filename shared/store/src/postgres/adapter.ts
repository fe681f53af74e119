// TxAdapter over Postgres (pg + slonik, pooled). `withTx` runs the callback in one
// READ COMMITTED transaction on one pooled connection: the `lock*` statements take row locks
// (SELECT … FOR UPDATE, or the upsert that creates the row) that order concurrent writers,
// and every statement after a lock sees what the previous holder committed. Queue claims
// use FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows. Reads outside a
// transaction run in one REPEATABLE READ, READ ONLY snapshot; a read of one statement runs
// without one (its own snapshot), in one round trip.
import {
  BackendTerminatedError, BackendTerminatedUnexpectedlyError, ConnectionError, IdleTransactionTimeoutError, sql,
  UnexpectedStateError,
  type DatabasePool, type DatabasePoolConnection,
} from 'slonik';
import type { ReadStatements, TxAdapter, TxStatements } from '../tx-adapter.js';
import { resolveConnectionSettings, type ConnectionSettings, type PostgresConnectionOptions } from './connection-settings.js';
import { AdvisoryLeaderLock } from './leader-lock.js';
import { migrate } from './migrate.js';
import { createLedgerPool } from './pool.js';
import { oneStatement, scopedQueries } from './queries.js';
import { readStatements, txStatements } from './statements.js';

export interface PostgresAdapterOptions extends PostgresConnectionOptions {
  migrationsDir: string;
  /** database.max_conns; default 10 */
  maxConns?: number | null;
  /** database.min_conns; default 0 */
  minConns?: number | null;
  /** database.max_conn_lifetime in ms; default: connections are not recycled by age */
  maxConnLifetimeMs?: number | null;
  /** database.statement_cache: named prepared statements kept per connection; default 256, 0 = none */
  statementCacheSize?: number | null;
  /** how often a held leader lock's connection is checked; default 5000 */
  leaderCheckIntervalMs?: number | null;
}

/**
 * Errors after which the connection cannot be trusted (it is closed, not returned to the
 * pool). After any other error the transaction was rolled back and the connection is clean.
 */
function breaksConnection(error: unknown): boolean {
  return (
    error instanceof BackendTerminatedError ||
    error instanceof BackendTerminatedUnexpectedlyError ||
    error instanceof ConnectionError ||
    error instanceof IdleTransactionTimeoutError ||
    error instanceof UnexpectedStateError
  );
}

/** database.statement_cache's default: room for every statement of the ledger's hot paths. */
const DEFAULT_STATEMENT_CACHE = 256;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function openPostgresAdapter(options: PostgresAdapterOptions): Promise<PostgresAdapter> {
  const settings = await resolveConnectionSettings(options);
  await migrate(settings, options.migrationsDir);
  const pool = await createLedgerPool(settings, {
    maxConns: options.maxConns ?? 10,
    minConns: options.minConns ?? 0,
    maxConnLifetimeMs: options.maxConnLifetimeMs ?? null,
    statementCacheSize: options.statementCacheSize ?? DEFAULT_STATEMENT_CACHE,
  });
  return new PostgresAdapter(pool, settings, options.leaderCheckIntervalMs ?? 5000);
}

export class PostgresAdapter implements TxAdapter {
  /** operations in progress, which close() waits for */
  private readonly running = new Set<Promise<unknown>>();
  private readonly leaders = new Set<AdvisoryLeaderLock>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly pool: DatabasePool,
    private readonly settings: ConnectionSettings,
    private readonly leaderCheckIntervalMs: number,
  ) {}

  private track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error('the Postgres ledger is closed'));
    const promise = operation();
    this.running.add(promise);
    promise.finally(() => this.running.delete(promise)).catch(() => {});
    return promise;
  }

  /**
   * Run `work` on one pooled connection. slonik closes a connection whenever the routine
   * throws; a business error (NoSuchUpload, a failed precondition…) leaves a clean,
   * rolled-back connection, so it travels out as a value and the connection goes back to
   * the pool — a client provoking errors cannot make the ledger reconnect per request.
   */
  private async onConnection<T>(work: (connection: DatabasePoolConnection) => Promise<T>): Promise<T> {
    const outcome = await this.pool.connect(async (connection): Promise<Outcome<T>> => {
      try {
        return { ok: true, value: await work(connection) };
      } catch (error) {
        if (breaksConnection(error)) throw error;
        return { ok: false, error };
      }
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  withTx<T>(fn: (tx: TxStatements) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.onConnection((connection) =>
        // slonik retries the whole transaction after a deadlock or serialization failure
        // (SQLSTATE class 40); `fn` only runs statements, so running it again is safe.
        connection.transaction(async (transaction) => {
          let open = true;
          try {
            return await fn(txStatements(scopedQueries(transaction, () => open)));
          } finally {
            open = false;
          }
        }),
      ),
    );
  }

  read<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.onConnection(async (connection) => {
        await connection.query(sql.unsafe`START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
        let open = true;
        try {
          return await fn(readStatements(scopedQueries(connection, () => open)));
        } finally {
          open = false;
          // Ends the snapshot; after a failed statement Postgres turns it into a ROLLBACK.
          await connection.query(sql.unsafe`COMMIT`);
        }
      }),
    );
  }

  readStatement<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.onConnection(async (connection) => {
        let open = true;
        try {
          return await fn(readStatements(oneStatement(scopedQueries(connection, () => open))));
        } finally {
          open = false;
        }
      }),
    );
  }

  tryLeaderLock(name: string): Promise<AdvisoryLeaderLock | null> {
    return this.track(async () => {
      const lock = await AdvisoryLeaderLock.acquire(
        this.settings,
        name,
        { checkIntervalMs: this.leaderCheckIntervalMs },
        (ended) => this.leaders.delete(ended),
      );
      if (lock) this.leaders.add(lock);
      return lock;
    });
  }

  /** Waits for the operations in progress, releases the leader locks, closes the pool. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.running]);
      await Promise.allSettled([...this.leaders].map((lock) => lock.release()));
      await this.pool.end();
    })();
    return this.closing;
  }
}
