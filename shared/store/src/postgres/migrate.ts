// Schema migrations for Postgres: numbered files `NNNN_name.sql` in migrations/postgres at
// the repository root, applied in order, each once, each in its own transaction, recorded in
// `schema_migrations`. The whole run holds an advisory lock on one connection, so processes
// starting at the same time migrate one after the other (the later ones find nothing to do).
// A database migrated by a newer build is refused.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaTooNewError } from '../errors.js';
import { listMigrations } from '../sqlite/migrate.js';
import { MIGRATION_LOCK_KEY, MIGRATION_LOCK_SPACE } from './advisory-locks.js';
import { connectClient, type ConnectionSettings } from './connection-settings.js';

export interface MigrationReport {
  /** versions applied by this call */
  applied: number[];
  /** the database's version afterwards */
  version: number;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * migrations/postgres of this checkout or install: the first ancestor of this module's
 * directory that has one. Works from src/ (tsx) and from dist/ alike.
 */
export function defaultMigrationsDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations', 'postgres');
    if (isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`no migrations/postgres directory above ${start}`);
  }
}

export async function migrate(settings: ConnectionSettings, dir: string, now: () => number = Date.now): Promise<MigrationReport> {
  const files = listMigrations(dir);
  const supported = files.at(-1)?.version ?? 0;
  // An error while no query runs (e.g. the server going away) is also reported by the next
  // query, so the client's 'error' event needs no handling beyond connectClient's.
  const client = await connectClient(settings);
  try {
    // Waits while another process migrates. Ending the connection releases the lock, also
    // when this process dies mid-run.
    await client.query('SELECT pg_advisory_lock($1, $2)', [MIGRATION_LOCK_SPACE, MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER NOT NULL PRIMARY KEY,
      name        TEXT    NOT NULL,
      applied_at  BIGINT  NOT NULL
    )`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const recorded = Math.max(0, ...done);
    if (recorded > supported) throw new SchemaTooNewError(recorded, supported);

    const applied: number[] = [];
    for (const file of files) {
      if (done.has(file.version)) continue;
      await client.query('BEGIN');
      try {
        // No parameters: the simple query protocol runs a file of several statements.
        await client.query(readFileSync(file.path, 'utf8'));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          file.version,
          file.name,
          now(),
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`migration ${file.path} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file.version);
      done.add(file.version);
    }
    return { applied, version: Math.max(0, ...done) };
  } finally {
    await client.end().catch(() => {});
  }
}
