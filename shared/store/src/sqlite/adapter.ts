// TxAdapter over SQLite (better-sqlite3, WAL). One writer connection whose transactions are
// serialised by an async mutex: `withTx` runs BEGIN IMMEDIATE … COMMIT around the callback
// (around a group of callbacks under load: group commit, see withTx), so no statement of
// another request can run inside an open transaction across an await.
// Reads outside transactions use a second, read-only connection, each call in its own
// snapshot. Adapters opened on the same file in one process share the mutex: better-sqlite3
// blocks the thread while SQLite waits for a lock, so two in-process writers must never
// contend inside SQLite itself.
import { realpathSync } from 'node:fs';
import type { LeaderLock, ReadStatements, TxAdapter, TxStatements } from '../tx-adapter.js';
import { AsyncMutex } from './async-mutex.js';
import { SqliteConnection } from './connection.js';
import { migrate } from './migrate.js';
import { readStatements, scoped, txStatements } from './statements.js';

export interface SqliteAdapterOptions {
  /** database file; `:memory:` for a private in-memory database (reads then use the writer) */
  path: string;
  migrationsDir: string;
  /** how long SQLite waits for another process's lock; default 5000 */
  busyTimeoutMs?: number;
}

/** What every adapter on one database file in this process shares. */
interface FileState {
  writeMutex: AsyncMutex;
  /** names of the leader locks held */
  leaders: Set<string>;
  adapters: number;
}

const openFiles = new Map<string, FileState>();

function acquireFileState(key: string | null): FileState {
  const fresh = (): FileState => ({ writeMutex: new AsyncMutex(), leaders: new Set(), adapters: 0 });
  if (key === null) return { ...fresh(), adapters: 1 };
  let state = openFiles.get(key);
  if (!state) openFiles.set(key, (state = fresh()));
  state.adapters++;
  return state;
}

function releaseFileState(key: string | null, state: FileState): void {
  if (key !== null && --state.adapters === 0) openFiles.delete(key);
}

export async function openSqliteAdapter(options: SqliteAdapterOptions): Promise<TxAdapter> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const memory = options.path === ':memory:';
  const writer = SqliteConnection.open(options.path, { readonly: false, busyTimeoutMs });
  const fileKey = memory ? null : realpathSync(options.path);
  const state = acquireFileState(fileKey);
  let reader: SqliteConnection | null = null;
  try {
    const release = await state.writeMutex.acquire();
    try {
      migrate(writer, options.migrationsDir);
    } finally {
      release();
    }
    reader = memory ? null : SqliteConnection.open(options.path, { readonly: true, busyTimeoutMs });
  } catch (err) {
    writer.close();
    releaseFileState(fileKey, state);
    throw err;
  }
  return new SqliteAdapter(writer, reader, fileKey, state);
}

/** A transaction waiting for its group (see withTx). */
interface QueuedTx {
  fn: (tx: TxStatements) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Most transactions committed together; bounds how long the last of a group waits. */
const MAX_GROUP = 64;

class SqliteAdapter implements TxAdapter {
  private readonly writeStatements: TxStatements;
  private readonly readerStatements: ReadStatements | null;
  private readonly readMutex = new AsyncMutex();
  /** leader locks this adapter holds, released on close */
  private readonly heldLeaders = new Set<string>();
  private closed = false;

  constructor(
    private readonly writer: SqliteConnection,
    private readonly reader: SqliteConnection | null,
    private readonly fileKey: string | null,
    private readonly file: FileState,
  ) {
    this.writeStatements = txStatements(writer);
    this.readerStatements = reader ? readStatements(reader) : null;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the SQLite ledger is closed');
  }

  /**
   * Group commit: transactions that queue while one runs are run together in one SQLite
   * transaction, each inside a SAVEPOINT of its own, and committed with one COMMIT. Each keeps
   * its own semantics: it sees every earlier one's writes (the order is the order of the
   * calls, as with one at a time), a failing one is rolled back to its savepoint alone and
   * fails alone, and none resolves before the COMMIT that makes it durable. Under concurrent
   * writes this turns a COMMIT (a WAL append, the largest share of a small PUT's ledger CPU)
   * per transaction into one per group; the price is one event-loop turn of latency.
   */
  withTx<T>(fn: (tx: TxStatements) => Promise<T>): Promise<T> {
    this.assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.queuedTx.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.committing) void this.commitQueued();
    });
  }

  private readonly queuedTx: QueuedTx[] = [];
  private committing = false;

  private async commitQueued(): Promise<void> {
    this.committing = true;
    try {
      while (this.queuedTx.length > 0) {
        const release = await this.file.writeMutex.acquire();
        // Everything queued until now goes into one transaction.
        const group = this.queuedTx.splice(0, MAX_GROUP);
        try {
          await this.runGroup(group);
        } catch (err) {
          for (const q of group) q.reject(err); // unexpected: no transaction is left hanging
        } finally {
          release();
        }
      }
    } finally {
      this.committing = false;
    }
  }

  private async runGroup(first: QueuedTx[]): Promise<void> {
    if (this.closed) {
      for (const q of first) q.reject(new Error('the SQLite ledger is closed'));
      return;
    }
    const w = this.writer;
    try {
      w.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const q of first) q.reject(err);
      return;
    }
    const done: Array<{ q: QueuedTx; value: unknown }> = [];
    let members = 0;
    let waited = false;
    let pending = first;
    while (pending.length > 0) {
      for (let i = 0; i < pending.length; i++) {
        const q = pending[i]!;
        members++;
        let open = true;
        w.exec('SAVEPOINT grouped_tx');
        try {
          const value = await q.fn(scoped(this.writeStatements, () => open));
          w.exec('RELEASE grouped_tx');
          done.push({ q, value });
        } catch (err) {
          open = false;
          if (!w.inTransaction) {
            // SQLite rolled the whole transaction back (e.g. disk full): the earlier members lost
            // their writes too, and fail with the cause; the later ones run in a group of their own.
            q.reject(err);
            for (const d of done) d.q.reject(err);
            this.queuedTx.unshift(...pending.slice(i + 1));
            return;
          }
          w.exec('ROLLBACK TO grouped_tx');
          w.exec('RELEASE grouped_tx');
          q.reject(err);
        } finally {
          open = false;
        }
      }
      if (members >= MAX_GROUP) break;
      // Requests run their transactions far apart (a PUT's two are separated by the backend
      // call), so a queue rarely forms by itself: the COMMIT waits for one turn of the event
      // loop, and the transactions that I/O callbacks start meanwhile join this one.
      if (!waited) {
        waited = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      pending = this.queuedTx.splice(0, MAX_GROUP - members);
    }
    try {
      w.exec('COMMIT');
    } catch (err) {
      // SQLite may already have rolled back (e.g. a failed COMMIT); ROLLBACK then would throw.
      if (w.inTransaction) w.exec('ROLLBACK');
      for (const d of done) d.q.reject(err);
      return;
    }
    for (const d of done) d.q.resolve(d.value);
  }

  // In-process, a statement costs no round trip: the snapshot of `read` is kept.
  readStatement<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    return this.read(fn);
  }

  async read<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    this.assertOpen();
    const reader = this.reader;
    const statements = this.readerStatements;
    if (!reader || !statements) return this.withTx(fn);
    const release = await this.readMutex.acquire();
    let open = true;
    try {
      this.assertOpen();
      // A deferred transaction: every statement of `fn` sees the same committed state.
      reader.exec('BEGIN');
      try {
        return await fn(scoped(statements, () => open));
      } finally {
        if (reader.inTransaction) reader.exec('COMMIT');
      }
    } finally {
      open = false;
      release();
    }
  }

  async tryLeaderLock(name: string): Promise<LeaderLock | null> {
    this.assertOpen();
    if (this.file.leaders.has(name)) return null;
    this.file.leaders.add(name);
    this.heldLeaders.add(name);
    let held = true;
    return {
      release: async () => {
        if (!held) return;
        held = false;
        // After close() the name is no longer ours (another holder may have it now).
        if (this.heldLeaders.delete(name)) this.file.leaders.delete(name);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Wait for the transaction and the read in progress, then refuse new ones.
    const releaseWrite = await this.file.writeMutex.acquire();
    const releaseRead = await this.readMutex.acquire();
    try {
      if (this.closed) return;
      this.closed = true;
      for (const name of this.heldLeaders) this.file.leaders.delete(name);
      this.heldLeaders.clear();
      this.reader?.close();
      this.writer.close();
      releaseFileState(this.fileKey, this.file);
    } finally {
      releaseRead();
      releaseWrite();
    }
  }
}
