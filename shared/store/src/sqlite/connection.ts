// One better-sqlite3 connection with its prepared statements cached by SQL text, plus the
// conversions at the engine edge: integers are bound as SQLite INTEGER (better-sqlite3 binds
// JS numbers as REAL, which would turn `bytes_used + ?` into floating point) and read back
// as BigInt (`safeIntegers`), then checked into exact JS numbers.
import Database from 'better-sqlite3';

export type Params = Record<string, unknown>;

export interface ConnectionOptions {
  readonly: boolean;
  busyTimeoutMs: number;
}

export class SqliteConnection {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly db: Database.Database) {}

  /** Writer: WAL, synchronous=NORMAL, foreign keys on. Reader: read-only, must exist. Both: temporary storage in memory. */
  static open(path: string, options: ConnectionOptions): SqliteConnection {
    const db = new Database(path, {
      readonly: options.readonly,
      fileMustExist: options.readonly,
      timeout: options.busyTimeoutMs,
    });
    try {
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the
        // last transactions, never corrupt the file.
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
      }
      // Statement journals (every write inside the group commit's SAVEPOINTs keeps one) and
      // the sorter's temporary b-trees in memory: SQLite's default puts each in a temporary
      // file of its own, opened, written and unlinked per statement — ~60 openat + close
      // per second at one PUT at a time (docs/performance.md, "A quiet machine, alone"). The ledger's
      // statements are bounded pages, so what they keep there is small.
      db.pragma('temp_store = MEMORY');
      db.defaultSafeIntegers(true);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteConnection(db);
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  run(sql: string, params?: Params): number {
    const stmt = this.statement(sql);
    return (params ? stmt.run(bind(params)) : stmt.run()).changes;
  }

  get<T>(sql: string, params?: Params): T | undefined {
    const stmt = this.statement(sql);
    return (params ? stmt.get(bind(params)) : stmt.get()) as T | undefined;
  }

  all<T>(sql: string, params?: Params): T[] {
    const stmt = this.statement(sql);
    return (params ? stmt.all(bind(params)) : stmt.all()) as T[];
  }

  /** Run a script (no parameters, no caching): migrations and transaction control. */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

function bind(params: Params): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries(params)) {
    out[name] = typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
  }
  return out;
}

/** An INTEGER column as an exact JS number. */
export function int(value: unknown): number {
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`integer ${value} read from SQLite is beyond what a JS number holds exactly`);
    }
    return Number(value);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new TypeError(`expected an integer from SQLite, got ${typeof value} ${String(value)}`);
}

export function intOrNull(value: unknown): number | null {
  return value === null ? null : int(value);
}
