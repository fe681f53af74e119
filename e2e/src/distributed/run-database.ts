// The Postgres side of one distributed test run: its own database, created through the
// admin URL (S3O_TEST_PG_URL, a role that may create databases) and dropped afterwards,
// plus a small pool on it so tests can look at the ledger the services share.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LedgerSettings } from '../config-text.js';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** `s3o_e2e_<unix seconds>_<random>`: the time in the name lets a later run tell an abandoned database. */
const NAME_PREFIX = 's3o_e2e_';
/** No test file runs this long: a database this old that nobody is connected to was left by a killed run. */
const ABANDONED_AFTER_S = 3600;

export interface RunDatabase {
  name: string;
  /** What the services' config says about the database. */
  settings: Extract<LedgerSettings, { driver: 'postgres' }>;
  /** A pool on the run's database, for tests that read the ledger. */
  pool: pg.Pool;
  /** Ends the pool, ends every other connection to the database and drops it. */
  drop(): Promise<void>;
}

export function testPgUrl(): string {
  return process.env.S3O_TEST_PG_URL || DEFAULT_PG_URL;
}

export async function createRunDatabase(adminUrl: string = testPgUrl()): Promise<RunDatabase> {
  const name = `${NAME_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  await asAdmin(adminUrl, async (admin) => {
    await dropAbandoned(admin);
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  });
  const runUrl = new URL(adminUrl);
  runUrl.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: runUrl.toString(), max: 2 });
  // An idle connection dropped by the server (the database being dropped) is not a test failure.
  pool.on('error', () => undefined);
  const admin = new URL(adminUrl);
  return {
    name,
    settings: {
      driver: 'postgres',
      host: admin.hostname,
      port: admin.port ? Number(admin.port) : 5432,
      user: decodeURIComponent(admin.username) || 'postgres',
      password: admin.password ? decodeURIComponent(admin.password) : null,
      name,
    },
    pool,
    drop: async () => {
      await pool.end();
      await asAdmin(adminUrl, async (client) => {
        // Connections a killed service left behind would make DROP DATABASE fail.
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      });
    },
  };
}

/**
 * A run whose process was killed (a runner's timeout, ^C) never dropped its database. Such
 * leftovers are dropped here: older than any run lasts, and with nobody connected (plain
 * DROP, no FORCE: a connection that shows up after all wins).
 */
async function dropAbandoned(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database d
      WHERE datname LIKE 's3o\\_e2e\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
  );
  const now = Date.now() / 1000;
  for (const { datname } of rows) {
    const createdAt = Number(/^s3o_e2e_(\d+)_[0-9a-f]+$/.exec(datname)?.[1]);
    if (!(now - createdAt > ABANDONED_AFTER_S)) continue;
    // Another run may be sweeping the same leftover at the same moment.
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`).catch(() => undefined);
  }
}

async function asAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${redact(adminUrl)} (S3O_TEST_PG_URL; default ${DEFAULT_PG_URL}): ${(err as Error).message}. ` +
        'Distributed-mode e2e tests need it and a role that may create databases: run infra/ensure-services.sh (npm test does).',
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
