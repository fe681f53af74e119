// The Ledger contract against Postgres (a fresh database per test, cloned from a migrated
// template), plus what only Postgres has: the migration runner under an advisory lock,
// row locks and SKIP LOCKED across separate pools, advisory leadership on a dedicated
// connection, the pool's settings and the connection settings.
//
// Needs a Postgres server: S3O_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
// a role that may CREATE DATABASE. Without one every test here fails, naming the variable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import {
  BackendTerminatedError, BackendTerminatedUnexpectedlyError, InputSyntaxError, SchemaValidationError, sql, UniqueIntegrityConstraintViolationError,
  type DatabasePool,
} from 'slonik';
import {
  NoSuchUploadError, SchemaTooNewError, newId, openLedger,
  type Ledger, type PostgresLedgerOptions,
} from '../src/index.js';
import { openPostgresAdapter, type PostgresAdapter } from '../src/postgres/adapter.js';
import { LEADER_LOCK_SPACE } from '../src/postgres/advisory-locks.js';
import { resolveConnectionSettings } from '../src/postgres/connection-settings.js';
import { defaultMigrationsDir, migrate } from '../src/postgres/migrate.js';
import { createLedgerPool } from '../src/postgres/pool.js';
import { listMigrations } from '../src/sqlite/migrate.js';
import type { TxStatements } from '../src/tx-adapter.js';
import { runLedgerContract } from './contract.js';

const ADMIN_URL = process.env.S3O_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS = defaultMigrationsDir();
/** Hang guard for tests that wait for another session; not a timing assertion. */
const GUARD = { timeout: 60_000 };

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The admin connection and the migrated template every test database is cloned from. */
interface TestServer {
  admin: pg.Client;
  template: string;
}

async function connectAdmin(): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => {}); // a failed query or connect reports it
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `no Postgres test server at ${withoutPassword(ADMIN_URL)} (${(err as Error).message}); ` +
        'start one (infra script) or set S3O_TEST_PG_URL to the admin URL of a server whose role may CREATE DATABASE',
      { cause: err },
    );
  }
  return admin;
}

/**
 * The template uses an ICU en-US collation, where 'bk/Z' sorts after 'bk/z': only the
 * schema's COLLATE "C" keeps listings in byte order, so the contract checks it really.
 */
async function createTemplate(admin: pg.Client): Promise<string> {
  const template = uniqueName('s3o_test_tpl');
  await admin.query(
    `CREATE DATABASE ${template} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
  );
  try {
    await migrate(await resolveConnectionSettings({ url: databaseUrl(template), sslMode: 'disable' }), MIGRATIONS);
  } catch (err) {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    throw err;
  }
  return template;
}

let serverPromise: Promise<TestServer> | null = null;

function server(): Promise<TestServer> {
  serverPromise ??= (async () => {
    const admin = await connectAdmin();
    try {
      return { admin, template: await createTemplate(admin) };
    } catch (err) {
      await admin.end();
      throw err;
    }
  })();
  return serverPromise;
}

after(async () => {
  if (!serverPromise) return;
  const s = await serverPromise.catch(() => null);
  if (!s) return;
  await s.admin.query(`DROP DATABASE IF EXISTS ${s.template} WITH (FORCE)`);
  await s.admin.end();
});

interface TestDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/** A new database: a clone of the migrated template, or empty (`migrated: false`). */
async function createDatabase(migrated = true): Promise<TestDatabase> {
  const { admin, template } = await server();
  const name = uniqueName('s3o_test');
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${migrated ? template : 'template0'}`);
  return {
    name,
    url: databaseUrl(name),
    // FORCE terminates the connections a failed test may have left behind.
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function withDatabase(fn: (db: TestDatabase) => Promise<void>, migrated = true): Promise<void> {
  const db = await createDatabase(migrated);
  try {
    await fn(db);
  } finally {
    await db.drop();
  }
}

type LedgerTuning = Omit<PostgresLedgerOptions, 'driver' | 'url' | 'source'>;

/** Opens ledgers on `db` and closes them all at the end. */
async function withLedgers(
  db: TestDatabase,
  fn: (open: (options?: LedgerTuning) => Promise<Ledger>) => Promise<void>,
): Promise<void> {
  const opened: Ledger[] = [];
  try {
    await fn(async (options = {}) => {
      const ledger = await openLedger({ ...options, driver: 'postgres', url: db.url, source: 'pg-test' });
      opened.push(ledger);
      return ledger;
    });
  } finally {
    await Promise.all(opened.map((l) => l.close()));
  }
}

async function adminQuery<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  return (await (await server()).admin.query<R>(text, values)).rows;
}

/** Runs `text` connected to the test database itself (the admin connection is on another). */
async function queryIn<R extends pg.QueryResultRow>(db: TestDatabase, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Whether `promise` settles on its own or its session ends up waiting for a row lock held
 * elsewhere — decided by watching pg_stat_activity, not by timing. Polls until one happens.
 */
async function settlesOrWaitsForLock(promise: Promise<unknown>, db: TestDatabase): Promise<'settled' | 'waiting'> {
  let settled = false;
  promise.then(() => { settled = true; }, () => { settled = true; });
  for (;;) {
    if (settled) return 'settled';
    const [row] = await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
      [db.name],
    );
    if (row!.n > 0) return 'waiting';
    await delay(5);
  }
}

/** Polls `probe` until it returns a value other than null. */
async function eventually<T>(probe: () => Promise<T | null>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    await delay(20);
  }
}

function abortedReason(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

async function claim(ledger: Ledger, objectKey: string, size: number, candidates: string[]) {
  const intentId = newId();
  return ledger.claim({ intentId, kind: 'write', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: size, candidates, identity: null });
}

async function put(ledger: Ledger, objectKey: string, size: number, backend: string) {
  const c = await claim(ledger, objectKey, size, [backend]);
  assert.ok(c);
  return ledger.commitWrite({ intentId: c.intentId, identity: { size, etag: 'e', contentType: 't', userMetadata: {}, headers: {} }, events: () => [] });
}

async function adapterOn(db: TestDatabase, options: { maxConns?: number } = {}): Promise<PostgresAdapter> {
  return openPostgresAdapter({ url: db.url, migrationsDir: MIGRATIONS, ...options });
}

/** An adapter of its own beside a ledger on one database: the test holds row locks in the adapter's transactions while the ledger works. */
async function withAdapterAndLedger(db: TestDatabase, body: (adapter: PostgresAdapter, ledger: Ledger) => Promise<void>): Promise<void> {
  const adapter = await adapterOn(db);
  try {
    await withLedgers(db, async (open) => body(adapter, await open()));
  } finally {
    await adapter.close();
  }
}

// ---------------------------------------------------------------- the shared contract

runLedgerContract('postgres', async ({ source, clock }) => {
  const db = await createDatabase();
  try {
    const ledger = await openLedger({ driver: 'postgres', url: db.url, source, clock });
    return {
      ledger,
      cleanup: async () => {
        try {
          await ledger.close();
        } finally {
          await db.drop();
        }
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
});

// ---------------------------------------------------------------- Postgres only

describe('Postgres ledger: migrations', () => {
  test('four ledgers opening one fresh database at once apply each migration exactly once', GUARD, () =>
    withDatabase(async (db) => {
      await withLedgers(db, async (open) => {
        const ledgers = await Promise.all([open(), open(), open(), open()]);
        await ledgers[0]!.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        assert.equal((await ledgers[3]!.getQuotas()).length, 1, 'all four see one database');
      });
      assert.deepEqual(
        await queryIn(db, 'SELECT version, name FROM schema_migrations ORDER BY version'),
        listMigrations(MIGRATIONS).map((m) => ({ version: m.version, name: m.name })),
      );
      const tables = (await queryIn<{ tablename: string }>(db, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`))
        .map((t) => t.tablename);
      for (const table of [
        'backend_quotas', 'backend_quota_stripes', 'objects', 'object_locations', 'pending_objects', 'multipart_uploads', 'multipart_parts',
        'backend_usage', 'cleanup_queue', 'cleanup_dlq', 'event_log', 'consumer_offsets', 'processed_events',
        'dead_events', 'notification_outbox', 'backend_drains', 'schema_migrations',
      ]) {
        assert.ok(tables.includes(table), `table ${table} exists`);
      }
    }, false));

  test('the default migrations folder is the repository root\'s migrations/postgres', () => {
    assert.equal(MIGRATIONS, fileURLToPath(new URL('../../../migrations/postgres', import.meta.url)));
  });

  test('applies new migration files in version order, each once; a failing one is rolled back and named', () =>
    withDatabase(async (db) => {
      const dir = await mkdtemp(join(tmpdir(), 's3o-pg-migrations-'));
      try {
        const settings = await resolveConnectionSettings({ url: db.url, sslMode: 'disable' });
        await copyFile(join(MIGRATIONS, '0001_init.sql'), join(dir, '0001_init.sql'));
        // 0010 depends on 0002: applied in numeric (not name) order they succeed.
        await writeFile(join(dir, '0010_add_column.sql'), 'ALTER TABLE extra ADD COLUMN note TEXT;');
        await writeFile(join(dir, '0002_extra.sql'), 'CREATE TABLE extra (id INTEGER PRIMARY KEY);');
        await writeFile(join(dir, 'README.md'), 'not a migration');
        assert.deepEqual(await migrate(settings, dir), { applied: [1, 2, 10], version: 10 });
        await writeFile(join(dir, '0011_more.sql'), `INSERT INTO extra (id, note) VALUES (1, 'once');`);
        assert.deepEqual(await migrate(settings, dir), { applied: [11], version: 11 });
        assert.deepEqual(await migrate(settings, dir), { applied: [], version: 11 });
        assert.deepEqual(await queryIn(db, 'SELECT id, note FROM extra'), [{ id: 1, note: 'once' }]);

        await writeFile(join(dir, '0012_broken.sql'), 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;');
        await assert.rejects(migrate(settings, dir), /0012_broken\.sql.*no_such_table/);
        assert.deepEqual(
          (await queryIn<{ version: number }>(db, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version),
          [1, 2, 10, 11],
        );
        assert.deepEqual(await queryIn(db, `SELECT to_regclass('half_done') AS t`), [{ t: null }]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, false));

  test('refuses a database migrated by a newer build', () =>
    withDatabase(async (db) => {
      const supported = listMigrations(MIGRATIONS).at(-1)!.version;
      const future = supported + 1;
      await queryIn(db, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${future}, 'future', 0)`);
      await assert.rejects(openLedger({ driver: 'postgres', url: db.url, source: 't' }), (err: unknown) => {
        assert.ok(err instanceof SchemaTooNewError);
        assert.equal(err.message, `database schema version ${future} is newer than this build supports (${supported}); upgrade s3-orchestrator`);
        return true;
      });
    }));
});

describe('Postgres ledger: row locks across separate pools', () => {
  test('20 claims from two pools racing for the last bytes: exactly the ones that fit win', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const [one, two] = [await open(), await open()];
        await one.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
        await put(one, 'bk/base', 650, 'a');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(i % 2 ? one : two, `bk/${i}`, 100, ['a'])));
        assert.equal(results.filter(Boolean).length, 3);
        assert.equal((await two.getQuotas())[0]?.inflightBytes, 300);
      })));

  test('a claim waits for the quota row another transaction holds, then sees its intent (FOR UPDATE)', GUARD, () =>
    withDatabase((db) =>
      withAdapterAndLedger(db, async (adapter, ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 100 }]);
        let other: Promise<unknown> | null = null;
        await adapter.withTx(async (tx) => {
          assert.ok(await tx.lockBackendQuota('a'));
          other = claim(ledger, 'bk/other', 100, ['a']);
          assert.equal(await settlesOrWaitsForLock(other, db), 'waiting', 'the second claimer must wait for the quota row');
          await tx.insertIntent({
            intentId: newId(), kind: 'write', objectKey: 'bk/first', backendName: 'a', storageKey: 'bk/first!1',
            sizeBytes: 100, identity: null, createdAt: 1, heartbeatAt: 1,
          });
        });
        assert.equal(await other, null, 'after the first claim committed, no room is left');
        assert.equal((await ledger.getQuotas())[0]?.inflightBytes, 100);
      })));

  test('claims on a backend without a limit do not wait for each other (FOR SHARE); a drain\'s lock waits for them and they for it', GUARD, () =>
    withDatabase((db) =>
      withAdapterAndLedger(db, async (adapter, ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 1000 }]);
        await adapter.withTx(async (tx) => {
          assert.equal(await tx.lockUnlimitedQuota('b'), false, 'a backend with a limit is not share-locked');
          assert.equal(await tx.lockUnlimitedQuota('nope'), false);
          assert.ok(await tx.lockUnlimitedQuota('a'));
          const other = claim(ledger, 'bk/parallel', 100, ['a']);
          assert.equal(await settlesOrWaitsForLock(other, db), 'settled', 'a second claim on an unlimited backend must not queue');
          assert.ok(await other);
        });
        // A drain (or import, or removal) takes the row exclusively: a claim waits for it, and
        // sees the drain it committed.
        let waiting: Promise<unknown> | null = null;
        await adapter.withTx(async (tx) => {
          assert.ok(await tx.lockBackendQuota('a'));
          waiting = claim(ledger, 'bk/after-drain', 100, ['a']);
          assert.equal(await settlesOrWaitsForLock(waiting, db), 'waiting', 'a claim must wait for the exclusive lock');
          assert.ok(await tx.insertDrain('a', 0, 1));
        });
        assert.equal(await waiting, null, 'the claim that waited saw the drain and took no space on it');
      })));

  test('a commit does not wait for the quota row a claim holds: it adds to a quota stripe (0023)', GUARD, () =>
    withDatabase((db) =>
      withAdapterAndLedger(db, async (adapter, ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 1000 }]);
        const pending = await claim(ledger, 'bk/committed', 300, ['a']);
        assert.ok(pending);
        await adapter.withTx(async (tx) => {
          assert.ok(await tx.lockBackendQuota('a'));
          const commit = ledger.commitWrite({
            intentId: pending.intentId, identity: { size: 300, etag: 'e', contentType: 't', userMetadata: {}, headers: {} }, events: () => [],
          });
          assert.equal(await settlesOrWaitsForLock(commit, db), 'settled', 'the commit must not queue behind the claim lock');
          await commit;
          // Read under the lock, as a claim does: the committed bytes are charged, none in flight.
          const balance = await tx.quotaBalance('a');
          assert.deepEqual(balance, { bytesLimit: 1000, bytesUsed: 300, orphanBytes: 0, inflight: 0, draining: false });
        });
        const stripes = await queryIn<{ n: number; used: string }>(
          db, `SELECT count(*)::int AS n, sum(bytes_used)::text AS used FROM backend_quota_stripes WHERE backend_name = 'a'`);
        assert.deepEqual(stripes, [{ n: 1, used: '300' }]);
        assert.equal((await ledger.getQuotas())[0]?.bytesUsed, 300);
      })));

  test('a writer of a key waits for the transaction holding the key (lockObjectKey)', GUARD, () =>
    withDatabase((db) =>
      withAdapterAndLedger(db, async (adapter, ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const first = await put(ledger, 'bk/k', 1, 'a');
        const next = await claim(ledger, 'bk/k', 2, ['a']);
        assert.ok(next);
        let commit: Promise<unknown> | null = null;
        await adapter.withTx(async (tx) => {
          assert.equal((await tx.lockObjectKey('bk/k'))?.writeId, first.object.writeId);
          commit = ledger.commitWrite({
            intentId: next.intentId, identity: { size: 2, etag: 'e', contentType: 't', userMetadata: {}, headers: {} }, events: () => [],
          });
          assert.equal(await settlesOrWaitsForLock(commit, db), 'waiting');
        });
        await commit;
        assert.equal((await ledger.getObject('bk/k'))?.object.writeId, next.intentId);
      })));

  test('concurrent cleanup claimers lease disjoint rows without waiting for each other (SKIP LOCKED)', GUARD, () =>
    withDatabase((db) =>
      withAdapterAndLedger(db, async (adapter, ledger) => {
        await ledger.enqueueCleanup(Array.from({ length: 10 }, (_, i) => ({
          kind: 'object' as const, backendName: 'a', storageKey: `bk/x!${i}`, reason: 'test', sizeBytes: 1,
        })));
        const now = Date.now() + 1000;
        let first: number[] = [];
        let second: number[] = [];
        await adapter.withTx(async (tx) => {
          first = (await tx.claimDueCleanup(now, now + 60_000, 5)).map((r) => r.id);
          const other = ledger.claimCleanup(5, now, 60_000);
          assert.equal(await settlesOrWaitsForLock(other, db), 'settled', 'the second claimer must not wait for leased rows');
          second = (await other).map((r) => r.id);
        });
        assert.equal(first.length, 5);
        assert.equal(second.length, 5);
        assert.equal(new Set([...first, ...second]).size, 10, 'disjoint');
        assert.deepEqual(await ledger.claimCleanup(5, now, 60_000), [], 'all ten are leased');
      })));

  test('a relay publishing takes no event another relay is publishing, and does not wait for it (SKIP LOCKED)', GUARD, () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const [one, two] = [await open(), await open()];
        await one.appendEvents(Array.from({ length: 10 }, (_, n) => ({ type: 'test.event', resource: 'r', data: { n } })));
        const firstBatch: number[] = [];
        const secondBatch: number[] = [];
        await one.relayEvents(5, async (events) => {
          firstBatch.push(...events.map((e) => e.data.n as number));
          const inner = two.relayEvents(5, async (more) => { secondBatch.push(...more.map((e) => e.data.n as number)); });
          assert.equal(await settlesOrWaitsForLock(inner, db), 'settled', 'the second relay must not wait for rows being published');
          assert.equal(await inner, 5);
        });
        assert.deepEqual(firstBatch, [0, 1, 2, 3, 4]);
        assert.deepEqual(secondBatch, [5, 6, 7, 8, 9]);
        assert.equal(await one.relayEvents(10, async () => assert.fail('nothing left')), 0);
      })));
});

describe('Postgres ledger: leadership', () => {
  test('advisory leadership lives on its own connection: other pools cannot take it, pool churn does not drop it', GUARD, () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const [one, two] = [await open({ maxConns: 2 }), await open()];
        const lock = await one.tryLeaderLock('sweep');
        assert.ok(lock);
        assert.equal(await two.tryLeaderLock('sweep'), null);
        // Run enough work through one's pool that every pooled connection is used and reset
        // (DISCARD ALL would drop a session lock taken through the pool).
        await one.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await Promise.all(Array.from({ length: 10 }, (_, i) => claim(one, `bk/${i}`, 1, ['a'])));
        assert.equal(await two.tryLeaderLock('sweep'), null, 'still held');
        const holders = await adminQuery<{ pid: number; application_name: string }>(
          `SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = $1 AND a.datname = $2`,
          [LEADER_LOCK_SPACE, db.name],
        );
        assert.equal(holders.length, 1);
        assert.equal(lock.lost?.aborted, false);
        await lock.release();
        assert.equal(lock.lost?.aborted, false, 'release is not a loss');
        const taken = await two.tryLeaderLock('sweep');
        assert.ok(taken, 'free at once after release');
        await taken.release();
      })));

  test('killing the holder\'s backend loses the leadership, and another pool can take it', GUARD, () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const [one, two] = [await open(), await open()];
        const lock = await one.tryLeaderLock('reaper');
        assert.ok(lock?.lost);
        const [holder] = await adminQuery<{ pid: number }>(
          `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = $1 AND a.datname = $2`,
          [LEADER_LOCK_SPACE, db.name],
        );
        assert.ok(holder);
        await adminQuery('SELECT pg_terminate_backend($1)', [holder.pid]);
        const reason = await abortedReason(lock.lost);
        assert.match((reason as Error).message, /leadership "reaper" lost/);
        const taken = await eventually(() => two.tryLeaderLock('reaper'));
        assert.ok(taken);
        await lock.release(); // a no-op now
        await taken.release();
      })));

  test('closing a ledger releases the leader locks it held', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const [one, two] = [await open(), await open()];
        assert.ok(await one.tryLeaderLock('sweep'));
        await one.close();
        const taken = await two.tryLeaderLock('sweep');
        assert.ok(taken);
        await taken.release();
      })));
});

describe('Postgres ledger: transactions and reads', () => {
  test('reads outside a transaction see committed state only', () =>
    withDatabase(async (db) => {
      const adapter = await adapterOn(db);
      try {
        const row = {
          objectKey: 'bk/k', writeId: 'w1', size: 1, etag: 'e', contentType: 't', userMetadata: { a: 'b' }, headers: {},
          contentHash: null, createdAt: 1,
        };
        await adapter.withTx(async (tx) => {
          await tx.upsertObjectForWrite(row);
          assert.deepEqual(await tx.selectObject('bk/k'), row, 'the transaction sees its own write');
          assert.equal(await adapter.read((q) => q.selectObject('bk/k')), null, 'a reader does not');
        });
        assert.deepEqual(await adapter.read((q) => q.selectObject('bk/k')), row);
      } finally {
        await adapter.close();
      }
    }));

  test('a read of one statement runs without a transaction; a second statement in it throws', () =>
    withDatabase(async (db) => {
      const adapter = await adapterOn(db, { maxConns: 1 });
      try {
        const row = {
          objectKey: 'bk/k', writeId: 'w1', size: 3, etag: 'e', contentType: 't', userMetadata: { a: 'b' }, headers: {},
          contentHash: null, createdAt: 1,
        };
        await adapter.withTx((tx) => tx.upsertObjectForWrite(row));
        assert.deepEqual(await adapter.readStatement((q) => q.selectObject('bk/k')), row);
        assert.deepEqual(await adapter.readStatement((q) => q.listObjects('bk/', null, 10)), [{ objectKey: 'bk/k', size: 3, etag: 'e', createdAt: 1 }]);
        await assert.rejects(
          adapter.readStatement(async (q) => [await q.selectObject('bk/k'), await q.selectLocations('bk/k')]),
          /a single-statement read ran a second statement/,
        );
        // The one connection went back to the pool, outside any transaction: a new snapshot sees a later commit.
        await adapter.withTx((tx) => tx.upsertObjectForWrite({ ...row, writeId: 'w2' }));
        assert.equal((await adapter.readStatement((q) => q.selectObject('bk/k')))?.writeId, 'w2');
      } finally {
        await adapter.close();
      }
    }));

  test('an object with its copies is one statement: the same rows, in the same order, as the two reads', () =>
    withDatabase(async (db) => {
      const adapter = await adapterOn(db, { maxConns: 1 });
      try {
        const row = {
          objectKey: 'bk/k', writeId: 'w1', size: 3, etag: 'e', contentType: 't', userMetadata: { a: 'b' }, headers: { cacheControl: 'no-cache' },
          contentHash: null, tags: { t: 'v' }, createdAt: 1,
        };
        await adapter.withTx((tx) => tx.upsertObjectForWrite(row));
        assert.deepEqual(await adapter.readStatement((q) => q.selectObjectWithLocations('bk/k')), { object: row, locations: [] });
        assert.equal(await adapter.readStatement((q) => q.selectObjectWithLocations('bk/none')), null);
        // Inserted out of order: by created_at, then by name in byte order ('B' < 'a').
        const copy = { objectKey: 'bk/k', writeId: 'w1', sizeBytes: 3, state: 'ok' as const };
        await adapter.withTx(async (tx) => {
          await tx.insertLocation({ ...copy, backendName: 'late', storageKey: 'bk/k!3', createdAt: 9 });
          await tx.insertLocation({ ...copy, backendName: 'a', storageKey: 'bk/k!2', createdAt: 5, state: 'corrupt' });
          await tx.insertLocation({ ...copy, backendName: 'B', storageKey: 'bk/k!1', createdAt: 5, writeId: 'w0', sizeBytes: 7 });
        });
        const joined = await adapter.readStatement((q) => q.selectObjectWithLocations('bk/k'));
        const pair = await adapter.read(async (q) => ({ object: await q.selectObject('bk/k'), locations: await q.selectLocations('bk/k') }));
        assert.deepEqual(joined, pair);
        assert.deepEqual(joined?.locations.map((l) => l.backendName), ['B', 'a', 'late']);
        assert.deepEqual(joined?.locations[0], { objectKey: 'bk/k', backendName: 'B', storageKey: 'bk/k!1', writeId: 'w0', sizeBytes: 7, createdAt: 5, state: 'ok' });
      } finally {
        await adapter.close();
      }
    }));

  test('a transaction that throws rolls back every statement; its statements die with it', () =>
    withDatabase(async (db) => {
      const adapter = await adapterOn(db);
      try {
        let leaked: TxStatements | null = null;
        await assert.rejects(
          adapter.withTx(async (tx) => {
            leaked = tx;
            await tx.insertCleanup({ kind: 'object', backendName: 'a', storageKey: 's', reason: 'r', sizeBytes: 5 }, 1);
            await tx.adjustQuota('a', 0, 5, 1);
            await tx.insertEvent({
              seq: (await tx.reserveEventSeqs(1))[0]!, id: newId(), type: 't', resource: 'r', source: 's', traceparent: null,
              data: {}, createdAt: 1, publishedAt: null,
            });
            throw new Error('abort');
          }),
          /abort/,
        );
        assert.deepEqual(
          await adapter.read(async (q) => [await q.countCleanup(), await q.selectQuotas(), await q.selectEventsAfter(0, 10)]),
          [0, [], []],
        );
        await assert.rejects(leaked!.countCleanup(), /used after its transaction ended/);
      } finally {
        await adapter.close();
      }
    }));

  test('a business error returns the connection to the pool instead of closing it', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const applicationName = uniqueName('s3o_app');
        const ledger = await open({ maxConns: 1, applicationName });
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        const backends = () =>
          adminQuery<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        const before = await backends();
        assert.equal(before.length, 1);
        for (let i = 0; i < 3; i++) await assert.rejects(ledger.claimPart('nope', 1, 1), NoSuchUploadError);
        assert.deepEqual(await backends(), before, 'the same connection serves on');
      })));

  test('max_conn_lifetime: a connection past its lifetime is closed when released, a young one is reused', () =>
    withDatabase(async (db) => {
      /** The backend pid of the pooled connection a transaction runs on, seen from outside. */
      const pidOfTransaction = (adapter: PostgresAdapter, applicationName: string) =>
        adapter.withTx(async () => {
          const rows = await adminQuery<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
            [applicationName],
          );
          assert.equal(rows.length, 1);
          return rows[0]!.pid;
        });
      const recycledName = uniqueName('s3o_recycled');
      const keptName = uniqueName('s3o_kept');
      const recycled = await openPostgresAdapter({
        url: db.url, migrationsDir: MIGRATIONS, applicationName: recycledName, maxConns: 1, maxConnLifetimeMs: 1,
      });
      const kept = await openPostgresAdapter({
        url: db.url, migrationsDir: MIGRATIONS, applicationName: keptName, maxConns: 1, maxConnLifetimeMs: 3_600_000,
      });
      try {
        assert.notEqual(await pidOfTransaction(recycled, recycledName), await pidOfTransaction(recycled, recycledName));
        assert.equal(await pidOfTransaction(kept, keptName), await pidOfTransaction(kept, keptName));
      } finally {
        await recycled.close();
        await kept.close();
      }
    }));

  test('event seq values are never reused, even after every event was pruned', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const ledger = await open();
        await ledger.appendEvents([{ type: 'a', resource: 'r', data: {} }, { type: 'b', resource: 'r', data: {} }]);
        const last = (await ledger.readEventsAfter(0, 10)).at(-1)!.seq;
        await queryIn(db, 'DELETE FROM event_log');
        await ledger.appendEvents([{ type: 'c', resource: 'r', data: {} }]);
        const [next] = await ledger.readEventsAfter(0, 10);
        assert.equal(next?.type, 'c');
        assert.ok(next!.seq > last);
      })));

  test('an integer beyond 2^53 is refused rather than rounded', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const ledger = await open();
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await queryIn(db, `INSERT INTO backend_quota_stripes (backend_name, stripe, bytes_used, orphan_bytes, updated_at)
                           VALUES ('a', 0, $1, 0, 1)`, [(2n ** 53n + 1n).toString()]);
        await assert.rejects(ledger.getQuotas(), (err: unknown) =>
          err instanceof SchemaValidationError && /beyond what a JS number holds exactly/.test(JSON.stringify(err.issues)));
      })));

  test('rows are checked against their schema', () =>
    withDatabase((db) =>
      withLedgers(db, async (open) => {
        const ledger = await open();
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        await put(ledger, 'bk/k', 1, 'a');
        await queryIn(db, `UPDATE objects SET user_metadata = '{"n": 1}'`);
        await assert.rejects(ledger.getObject('bk/k'), SchemaValidationError);
      })));

  test('a closed ledger refuses calls; close waits for the running transaction', () =>
    withDatabase(async (db) => {
      const ledger = await openLedger({ driver: 'postgres', url: db.url, source: 't' });
      await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
      const running = claim(ledger, 'bk/k', 1, ['a']);
      await ledger.close();
      assert.ok(await running, 'the claim started before close completed');
      await assert.rejects(ledger.getQuotas(), /closed/);
      await assert.rejects(ledger.tryLeaderLock('x'), /closed/);
      await ledger.close();
    }));
});

describe('Postgres ledger: prepared statements', () => {
  /** A pool of one connection on `db` (so every statement below runs in the same session). */
  async function withOneConnection(db: TestDatabase, statementCacheSize: number, body: (pool: DatabasePool) => Promise<void>) {
    const settings = await resolveConnectionSettings({ url: db.url, sslMode: 'disable' });
    const pool = await createLedgerPool(settings, { maxConns: 1, minConns: 0, maxConnLifetimeMs: null, statementCacheSize });
    try {
      await body(pool);
    } finally {
      await pool.end();
    }
  }
  /** The session's prepared statements that the driver named, by text. */
  const prepared = async (pool: DatabasePool) =>
    (await pool.any(sql.unsafe`SELECT name, statement FROM pg_prepared_statements
                                WHERE name LIKE 's3o\_%' AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY name`))
      .map((row) => ({ name: row.name as string, statement: row.statement as string }));

  test('a statement run a second time is prepared under a name; transaction control never is', () =>
    withDatabase((db) =>
      withOneConnection(db, 256, async (pool) => {
        const lookup = (n: number) => pool.oneFirst(sql.unsafe`SELECT ${n}::int + 1 AS answer`);
        assert.equal(await lookup(1), 2);
        assert.deepEqual(await prepared(pool), [], 'once: unnamed');
        assert.equal(await lookup(2), 3);
        assert.equal(await lookup(3), 4);
        const [named, ...others] = await prepared(pool);
        assert.deepEqual(others, []);
        assert.match(named!.statement, /SELECT \$1::int \+ 1 AS answer/);
        await pool.transaction(async (t) => t.query(sql.unsafe`SELECT 1`));
        await pool.transaction(async (t) => t.query(sql.unsafe`SELECT 1`));
        assert.ok((await prepared(pool)).every((row) => !/^\s*(START|BEGIN|COMMIT|ROLLBACK)/i.test(row.statement)));
      })));

  test('statement_cache bounds the prepared statements per connection; the least recently used go first', () =>
    withDatabase((db) =>
      withOneConnection(db, 2, async (pool) => {
        const run = (column: string) => pool.query(sql.unsafe`SELECT ${sql.identifier([column])} FROM (SELECT ${1}::int AS a, 2 AS b, 3 AS c) t`);
        for (const column of ['a', 'a', 'b', 'b', 'a', 'c', 'c']) await run(column);
        // c pushed out b (a ran more recently); the eviction's DEALLOCATE runs on release.
        assert.deepEqual((await prepared(pool)).map((row) => /"(\w)"/.exec(row.statement)![1]).sort(), ['a', 'c']);
      })));

  test('statement_cache 0 prepares nothing', () =>
    withDatabase((db) =>
      withOneConnection(db, 0, async (pool) => {
        for (let i = 0; i < 3; i++) await pool.query(sql.unsafe`SELECT ${i}::int AS n`);
        assert.deepEqual(await prepared(pool), []);
      })));

  test("errors keep slonik's classes: a constraint, a syntax error, a terminated session", () =>
    withDatabase((db) =>
      withOneConnection(db, 256, async (pool) => {
        await pool.query(sql.unsafe`CREATE TABLE once (id int PRIMARY KEY)`);
        const insert = () => pool.query(sql.unsafe`INSERT INTO once VALUES (${1})`);
        await insert();
        await assert.rejects(insert(), UniqueIntegrityConstraintViolationError);
        await assert.rejects(insert(), UniqueIntegrityConstraintViolationError, 'also when prepared');
        await assert.rejects(pool.query(sql.unsafe`SELEC ${1}`), InputSyntaxError);
        const backendPid = () => pool.oneFirst(sql.unsafe`SELECT pg_backend_pid()`);
        const pid = await backendPid();
        await queryIn(db, 'SELECT pg_terminate_backend($1)', [pid]);
        // Whether the next statement meets the dead session or the pool has already dropped it
        // (the server's FATAL arrives as an event) is a race; either way no other class comes out.
        await pool.query(sql.unsafe`SELECT ${1}::int`).catch((error: unknown) => {
          assert.ok(error instanceof BackendTerminatedError || error instanceof BackendTerminatedUnexpectedlyError, String(error));
        });
        assert.notEqual(await backendPid(), pid, 'the pool goes on over a new connection');
      })));

  test('a migration that changes a result type fails one statement; the connection prepares afresh', () =>
    withDatabase((db) =>
      withOneConnection(db, 256, async (pool) => {
        await pool.query(sql.unsafe`CREATE TABLE shapes (id int PRIMARY KEY, size int)`);
        await pool.query(sql.unsafe`INSERT INTO shapes VALUES (1, 10)`);
        const size = () => pool.oneFirst(sql.unsafe`SELECT size FROM shapes WHERE id = ${1}`);
        assert.equal(await size(), 10);
        assert.equal(await size(), 10);
        const [before] = await prepared(pool);
        assert.ok(before);
        await queryIn(db, 'ALTER TABLE shapes ALTER COLUMN size TYPE text');
        await assert.rejects(size(), /cached plan must not change result type/);
        assert.equal(await size(), '10', 'the next run is unnamed and reads the new type');
        assert.ok(!(await prepared(pool)).some((row) => row.name === before.name), 'the stale statement was deallocated');
        assert.equal(await size(), '10');
        assert.equal((await prepared(pool)).length, 1, 'and prepared again under a new name');
      })));
});

describe('Postgres ledger: connection settings', () => {
  test('host/port/user/name fields work like a URL; giving both is refused', () =>
    withDatabase(async (db) => {
      const u = new URL(db.url);
      const ledger = await openLedger({
        driver: 'postgres', source: 't', host: u.hostname, port: Number(u.port || 5432),
        user: decodeURIComponent(u.username), password: u.password ? decodeURIComponent(u.password) : null, name: db.name,
        sslMode: 'disable',
      });
      try {
        assert.deepEqual(await ledger.getQuotas(), []);
      } finally {
        await ledger.close();
      }
      await assert.rejects(
        openLedger({ driver: 'postgres', source: 't', url: db.url, host: 'elsewhere' }),
        /either as a url or as fields, not both \(also set: host\)/,
      );
    }));

  test('an unreachable server fails with the target named and the password left out', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    await assert.rejects(
      openLedger({ driver: 'postgres', source: 't', url: `postgres://someone:s3cret@127.0.0.1:${port}/db`, sslMode: 'disable' }),
      (err: unknown) => {
        assert.match((err as Error).message, new RegExp(`cannot connect to postgres://someone@127\\.0\\.0\\.1:${port}/db`));
        assert.doesNotMatch((err as Error).message, /s3cret/);
        return true;
      },
    );
  });

  test('ssl_mode: prefer falls back to plaintext only when the server has no TLS; require insists on it', () =>
    withDatabase(async (db) => {
      const [{ ssl }] = (await adminQuery<{ ssl: string }>('SHOW ssl')) as [{ ssl: string }];
      const sessionUsesTls = async (ledger: Ledger, applicationName: string): Promise<boolean> => {
        await ledger.getQuotas();
        const [row] = await adminQuery<{ ssl: boolean }>(
          `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.application_name = $1`,
          [applicationName],
        );
        return row!.ssl;
      };
      const name = uniqueName('s3o_tls');
      const preferred = await openLedger({ driver: 'postgres', source: 't', url: db.url, sslMode: 'prefer', applicationName: name });
      try {
        assert.equal(await sessionUsesTls(preferred, name), ssl === 'on');
      } finally {
        await preferred.close();
      }
      if (ssl === 'on') {
        const required = await openLedger({ driver: 'postgres', source: 't', url: db.url, sslMode: 'require', applicationName: `${name}r` });
        try {
          assert.equal(await sessionUsesTls(required, `${name}r`), true);
        } finally {
          await required.close();
        }
      } else {
        await assert.rejects(openLedger({ driver: 'postgres', source: 't', url: db.url, sslMode: 'require' }), /does not support SSL/);
      }
      await assert.rejects(
        openLedger({ driver: 'postgres', source: 't', url: db.url, sslMode: 'sometimes' as never }),
        /unknown sslmode "sometimes"/,
      );
    }));
});
