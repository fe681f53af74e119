// TxAdapter over SQLite (better-sqlite3, WAL). One writer connection whose transactions are
// serialised by an async mutex: `withTx` runs BEGIN IMMEDIATE … COMMIT around the callback,
// so no statement of another request can run inside an open transaction across an await.
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

  async withTx<T>(fn: (tx: TxStatements) => Promise<T>): Promise<T> {
    this.assertOpen();
    const release = await this.file.writeMutex.acquire();
    let open = true;
    try {
      this.assertOpen();
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(scoped(this.writeStatements, () => open));
        this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        // SQLite may already have rolled back (e.g. a failed COMMIT); ROLLBACK then would throw.
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    } finally {
      open = false;
      release();
    }
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
