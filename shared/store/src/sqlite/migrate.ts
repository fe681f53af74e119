// Schema migrations for SQLite: numbered files `NNNN_name.sql` in migrations/sqlite at the
// repository root, applied in order, each once, each in its own transaction, recorded in
// `schema_migrations`. BEGIN IMMEDIATE takes SQLite's write lock, so processes starting at
// the same time apply each file exactly once. A database migrated by a newer build is refused.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaTooNewError } from '../errors.js';
import { int, type SqliteConnection } from './connection.js';

export interface MigrationFile {
  version: number;
  name: string;
  path: string;
}

export interface MigrationReport {
  /** versions applied by this call */
  applied: number[];
  /** the database's version afterwards */
  version: number;
}

const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/**
 * migrations/sqlite of this checkout or install: the first ancestor of this module's
 * directory that has one. Works from src/ (tsx) and from dist/ alike.
 */
export function defaultMigrationsDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations', 'sqlite');
    if (isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`no migrations/sqlite directory above ${start}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The migration files of `dir`, by version. Other files are ignored; a repeated version is an error. */
export function listMigrations(dir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const entry of readdirSync(dir)) {
    const m = FILE_NAME.exec(entry);
    if (!m) continue;
    files.push({ version: Number(m[1]), name: m[2]!, path: join(dir, entry) });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.version === files[i - 1]!.version) {
      throw new Error(`two migrations have version ${files[i]!.version} in ${dir}`);
    }
  }
  return files;
}

function recordedVersion(c: SqliteConnection): number {
  return int(c.get<{ v: bigint }>(`SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations`)!.v);
}

export function migrate(c: SqliteConnection, dir: string, now: () => number = Date.now): MigrationReport {
  const files = listMigrations(dir);
  const supported = files.at(-1)?.version ?? 0;
  c.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
  ) STRICT`);

  const applied: number[] = [];
  const refuseNewer = () => {
    const version = recordedVersion(c);
    if (version > supported) throw new SchemaTooNewError(version, supported);
  };
  refuseNewer();
  for (const file of files) {
    c.exec('BEGIN IMMEDIATE');
    try {
      // Checked again under the write lock: another process may have migrated meanwhile.
      refuseNewer();
      const done = c.get(`SELECT 1 FROM schema_migrations WHERE version = @version`, { version: file.version });
      if (!done) {
        c.exec(readFileSync(file.path, 'utf8'));
        c.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)`, {
          version: file.version,
          name: file.name,
          now: now(),
        });
        applied.push(file.version);
      }
      c.exec('COMMIT');
    } catch (err) {
      if (c.inTransaction) c.exec('ROLLBACK');
      if (err instanceof SchemaTooNewError) throw err;
      throw new Error(`migration ${file.path} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return { applied, version: recordedVersion(c) };
}
