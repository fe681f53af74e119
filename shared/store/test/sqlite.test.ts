// The Ledger contract against SQLite (a fresh database file per test), plus what only
// SQLite has: the migration runner, WAL, the shared in-process writer, read snapshots.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { backendCircuitChanged } from '@s3o/events';
import { SchemaTooNewError, newId, openLedger, type Ledger } from '../src/index.js';
import { TxRunner } from '../src/core/tx-work.js';
import { openSqliteAdapter } from '../src/sqlite/adapter.js';
import { defaultMigrationsDir, listMigrations } from '../src/sqlite/migrate.js';
import type { TxStatements } from '../src/tx-adapter.js';
import { runLedgerContract } from './contract.js';

const MIGRATIONS = defaultMigrationsDir();

/** A fresh directory under the OS temp dir, removed by the returned function. */
async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

runLedgerContract('sqlite', async ({ source, clock }) => {
  const { dir, remove } = await tempDir();
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source, clock });
  return {
    ledger,
    cleanup: async () => {
      await ledger.close();
      await remove();
    },
  };
});

/** Opens the database file directly, for looking behind the ledger's back. */
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir();
  try {
    await fn(dir);
  } finally {
    await remove();
  }
}

async function claim(ledger: Ledger, objectKey: string, size: number, candidates: string[]) {
  const intentId = newId();
  return ledger.claim({ intentId, kind: 'write', objectKey, storageKey: `${objectKey}!${intentId}`, sizeBytes: size, candidates, identity: null });
}

describe('SQLite ledger', () => {
  test('creates the parent directory, applies the migrations once, runs in WAL mode', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'nested', 'deeper', 'ledger.db');
      await (await openLedger({ driver: 'sqlite', path, source: 't' })).close();
      await (await openLedger({ driver: 'sqlite', path, source: 't' })).close();
      inspect(path, (db) => {
        assert.deepEqual(
          db.prepare('SELECT version, name FROM schema_migrations').all(),
          listMigrations(MIGRATIONS).map((m) => ({ version: m.version, name: m.name })),
        );
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((t) => t.name);
        for (const table of [
          'backend_quotas', 'objects', 'object_locations', 'pending_objects', 'multipart_uploads', 'multipart_parts',
          'backend_usage', 'cleanup_queue', 'cleanup_dlq', 'event_log', 'consumer_offsets', 'processed_events',
          'dead_events', 'notification_outbox', 'backend_drains', 'schema_migrations',
        ]) {
          assert.ok(tables.includes(table), `table ${table} exists`);
        }
      });
    }));

  test('the default migrations folder is the repository root\'s migrations/sqlite', () => {
    assert.equal(MIGRATIONS, fileURLToPath(new URL('../../../migrations/sqlite', import.meta.url)));
  });

  test('applies new migration files in version order, each once', () =>
    withTemp(async (dir) => {
      const migrations = join(dir, 'migrations');
      const path = join(dir, 'ledger.db');
      await mkdir(migrations);
      await copyFile(join(MIGRATIONS, '0001_init.sql'), join(migrations, '0001_init.sql'));
      // 0010 depends on 0002: applied in numeric (not name) order they succeed.
      await writeFile(join(migrations, '0010_add_column.sql'), 'ALTER TABLE extra ADD COLUMN note TEXT;');
      await writeFile(join(migrations, '0002_extra.sql'), 'CREATE TABLE extra (id INTEGER PRIMARY KEY);');
      await writeFile(join(migrations, 'README.md'), 'not a migration');
      await (await openLedger({ driver: 'sqlite', path, source: 't', migrationsDir: migrations })).close();
      await writeFile(join(migrations, '0011_more.sql'), 'INSERT INTO extra (id, note) VALUES (1, \'once\');');
      await (await openLedger({ driver: 'sqlite', path, source: 't', migrationsDir: migrations })).close();
      await (await openLedger({ driver: 'sqlite', path, source: 't', migrationsDir: migrations })).close();
      inspect(path, (db) => {
        assert.deepEqual(
          (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version),
          [1, 2, 10, 11],
        );
        assert.deepEqual(db.prepare('SELECT id, note FROM extra').all(), [{ id: 1, note: 'once' }]);
      });
    }));

  test('a failing migration is rolled back, not recorded, and names its file', () =>
    withTemp(async (dir) => {
      const migrations = join(dir, 'migrations');
      const path = join(dir, 'ledger.db');
      await mkdir(migrations);
      await copyFile(join(MIGRATIONS, '0001_init.sql'), join(migrations, '0001_init.sql'));
      await writeFile(join(migrations, '0002_broken.sql'), 'CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;');
      await assert.rejects(openLedger({ driver: 'sqlite', path, source: 't', migrationsDir: migrations }), /0002_broken\.sql.*no such table/);
      inspect(path, (db) => {
        assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').all(), [{ version: 1 }]);
        assert.equal(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half_done'`).get(), undefined);
      });
    }));

  test('refuses a database migrated by a newer build', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      await (await openLedger({ driver: 'sqlite', path, source: 't' })).close();
      const supported = listMigrations(MIGRATIONS).at(-1)!.version;
      const future = supported + 1;
      inspect(path, (db) => db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${future}, 'future', 0)`).run());
      await assert.rejects(openLedger({ driver: 'sqlite', path, source: 't' }), (err: unknown) => {
        assert.ok(err instanceof SchemaTooNewError);
        assert.equal(err.message, `database schema version ${future} is newer than this build supports (${supported}); upgrade s3-orchestrator`);
        return true;
      });
    }));

  test('0002 keeps the queued debts and starts new queue ids above every id, the dead letters\' too', () =>
    withTemp(async (dir) => {
      const migrations = join(dir, 'migrations');
      const path = join(dir, 'ledger.db');
      await mkdir(migrations);
      await copyFile(join(MIGRATIONS, '0001_init.sql'), join(migrations, '0001_init.sql'));
      const before = await openLedger({ driver: 'sqlite', path, source: 't', migrationsDir: migrations });
      await before.close();
      // Rows as 0001's schema holds them (today's statements write columns later migrations add).
      inspect(path, (db) => {
        db.prepare(
          `INSERT INTO cleanup_queue (kind, backend_name, storage_key, reason, size_bytes, attempts, next_retry, created_at)
           VALUES ('object', 'a', 'k1', 'r', 1, 0, 0, 0), ('object', 'a', 'k2', 'r', 2, 0, 0, 0)`,
        ).run();
        db.prepare(
          `INSERT INTO cleanup_dlq (id, kind, backend_name, storage_key, reason, size_bytes, attempts, created_at, moved_at)
           VALUES (40, 'object', 'a', 'k40', 'r', 4, 10, 0, 0)`,
        ).run();
      });

      const ledger = await openLedger({ driver: 'sqlite', path, source: 't' });
      try {
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((r) => [r.id, r.storageKey]), [[1, 'k1'], [2, 'k2']]);
        await ledger.enqueueCleanup([{ kind: 'object', backendName: 'a', storageKey: 'k41', reason: 'r', sizeBytes: 1 }]);
        assert.deepEqual((await ledger.listCleanup(2, 10)).map((r) => r.id), [41]);
        assert.equal(await ledger.requeueDeadLetters([40]), 1);
        assert.deepEqual((await ledger.listCleanup(null, 10)).map((r) => r.id), [1, 2, 40, 41]);
      } finally {
        await ledger.close();
      }
    }));

  test('claims skip a draining or drained backend, and take it again once it is returned to service', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const ledger = await openLedger({ driver: 'sqlite', path, source: 't' });
      try {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        inspect(path, (db) =>
          db.prepare(`INSERT INTO backend_drains (backend_name, state, started_at, updated_at) VALUES ('a', 'draining', 0, 0)`).run());
        assert.equal((await claim(ledger, 'bk/1', 1, ['a', 'b']))?.backendName, 'b');
        assert.equal(await claim(ledger, 'bk/2', 1, ['a']), null);
        inspect(path, (db) => db.prepare(`UPDATE backend_drains SET state = 'drained'`).run());
        assert.equal((await claim(ledger, 'bk/3', 1, ['a', 'b']))?.backendName, 'b');
        inspect(path, (db) => db.prepare(`UPDATE backend_drains SET state = 'cancelled'`).run());
        assert.equal((await claim(ledger, 'bk/4', 1, ['a', 'b']))?.backendName, 'a');
      } finally {
        await ledger.close();
      }
    }));

  test('two ledgers on one file in one process share the writer and the leader locks', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const one = await openLedger({ driver: 'sqlite', path, source: 'one' });
      const two = await openLedger({ driver: 'sqlite', path: join(dir, '.', 'ledger.db'), source: 'two' });
      try {
        await one.syncBackends([{ name: 'a', quotaBytes: 300 }]);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(i % 2 ? one : two, `bk/${i}`, 100, ['a'])));
        assert.equal(results.filter(Boolean).length, 3);
        const lock = await one.tryLeaderLock('sweep');
        assert.ok(lock);
        assert.equal(await two.tryLeaderLock('sweep'), null);
        await one.close();
        assert.ok(await two.tryLeaderLock('sweep'), 'closing releases the leader locks it held');
      } finally {
        await one.close();
        await two.close();
      }
    }));

  test('reads outside a transaction see committed state only', () =>
    withTemp(async (dir) => {
      const adapter = await openSqliteAdapter({ path: join(dir, 'ledger.db'), migrationsDir: MIGRATIONS });
      try {
        const row = {
          objectKey: 'bk/k', writeId: 'w1', size: 1, etag: 'e', contentType: 't', userMetadata: {}, headers: {}, contentHash: null, createdAt: 1,
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

  test('a transaction that throws rolls back every statement; its statements die with it', () =>
    withTemp(async (dir) => {
      const adapter = await openSqliteAdapter({ path: join(dir, 'ledger.db'), migrationsDir: MIGRATIONS });
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
        // The rolled-back reservation is not burnt either: the next event gets seq 1.
        const seqs = await adapter.withTx((tx) => tx.reserveEventSeqs(2));
        assert.deepEqual(seqs, [1, 2]);
      } finally {
        await adapter.close();
      }
    }));

  test('group commit: concurrent transactions commit together, in call order, a failing one alone rolled back', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const adapter = await openSqliteAdapter({ path, migrationsDir: MIGRATIONS });
      try {
        const cleanup = (storageKey: string) => ({ kind: 'object' as const, backendName: 'a', storageKey, reason: 'r', sizeBytes: 1 });
        const seen: number[] = [];
        const committed: number[] = [];
        // Started in one turn of the event loop: all six are queued before the writer is
        // free, so they form one group.
        const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) =>
          adapter.withTx(async (tx) => {
            seen.push(await tx.countCleanup()); // sees every earlier member's writes
            committed.push(await adapter.read((q) => q.countCleanup())); // what is committed meanwhile
            await tx.insertCleanup(cleanup(`k${i}`), 1);
            await tx.adjustQuota('a', 1, 0, 1);
            if (i === 3) throw new Error('member 3 fails');
            return i;
          })));
        assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [0, 1, 2, 'member 3 fails', 4, 5]);
        assert.deepEqual(seen, [0, 1, 2, 3, 3, 4], 'each member sees the earlier ones; the failed one left nothing');
        const [count, quotas] = await adapter.read(async (q) => [await q.countCleanup(), await q.selectQuotas()]);
        assert.equal(count, 5);
        assert.equal(quotas[0]!.bytesUsed, 5);
        // One transaction, committed at its end: a reader saw none of them meanwhile (one commit
        // per transaction would have shown it [0, 1, 2, 3, 3, 4]).
        assert.deepEqual(committed, [0, 0, 0, 0, 0, 0]);
      } finally {
        await adapter.close();
      }
    }));

  test('event seq values are never reused, even after every event was pruned', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const ledger = await openLedger({ driver: 'sqlite', path, source: 't' });
      try {
        await ledger.appendEvents([{ type: 'a', resource: 'r', data: {} }, { type: 'b', resource: 'r', data: {} }]);
        const last = (await ledger.readEventsAfter(0, 10)).at(-1)!.seq;
        inspect(path, (db) => db.prepare('DELETE FROM event_log').run());
        await ledger.appendEvents([{ type: 'c', resource: 'r', data: {} }]);
        const [next] = await ledger.readEventsAfter(0, 10);
        assert.equal(next?.type, 'c');
        assert.ok(next!.seq > last);
      } finally {
        await ledger.close();
      }
    }));

  test('an integer beyond 2^53 is refused rather than rounded', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const ledger = await openLedger({ driver: 'sqlite', path, source: 't' });
      try {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
        inspect(path, (db) => db.prepare('UPDATE backend_quotas SET bytes_used = ?').run(2n ** 53n + 1n));
        await assert.rejects(ledger.getQuotas(), RangeError);
      } finally {
        await ledger.close();
      }
    }));

  test('an in-memory database works, reading through the writer', async () => {
    const ledger = await openLedger({ driver: 'sqlite', path: ':memory:', source: 't' });
    try {
      await ledger.syncBackends([{ name: 'a', quotaBytes: 10 }]);
      const c = await claim(ledger, 'bk/k', 10, ['a']);
      assert.ok(c);
      await ledger.commitWrite({ intentId: c.intentId, identity: { size: 10, etag: 'e', contentType: 't', userMetadata: {}, headers: {} }, events: () => [] });
      assert.equal((await ledger.getObject('bk/k'))?.object.size, 10);
      assert.equal(await claim(ledger, 'bk/j', 1, ['a']), null);
    } finally {
      await ledger.close();
    }
  });

  test('openLedger refuses a driver this build does not have', async () => {
    await assert.rejects(openLedger({ driver: 'mysql', path: 'x', source: 't' } as never), /unsupported database driver: mysql/);
  });

  test('a closed ledger refuses calls; close waits for the running transaction', () =>
    withTemp(async (dir) => {
      const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 't' });
      await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }]);
      const running = claim(ledger, 'bk/k', 1, ['a']);
      await ledger.close();
      assert.ok(await running, 'the claim started before close completed');
      await assert.rejects(ledger.getQuotas(), /closed/);
      await assert.rejects(ledger.syncBackends([]), /closed/);
      await ledger.close();
    }));
});

describe('SQLite ledger: the transaction runner', () => {
  test('an operation that records quota changes, debts and events on its TxWork gets them applied, without finishing anything itself', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const adapter = await openSqliteAdapter({ path, migrationsDir: MIGRATIONS });
      try {
        const runner = new TxRunner(adapter, 'runner-test', () => 1_700_000_000_000, () => null);
        await runner.withWork(({ tx, now }) => tx.upsertBackendQuota('a', 0, now));
        let told = 0;
        runner.eventsAppended.listen(() => told++);
        const balance = () => inspect(path, (db) => db.prepare(`SELECT bytes_used AS used, orphan_bytes AS orphan FROM backend_quotas WHERE backend_name = 'a'`).get());
        const eventTypes = () => inspect(path, (db) => (db.prepare('SELECT type FROM event_log ORDER BY seq').all() as Array<{ type: string }>).map((r) => r.type));

        // An operation written the way core's are: it records on its work and returns.
        const result = await runner.withWork(async (work) => {
          work.chargeUsed('a', 40);
          await work.owe({ kind: 'object', backendName: 'a', storageKey: 'bk/k!1', objectKey: 'bk/k', reason: 'test', sizeBytes: 15 });
          work.append([backendCircuitChanged('open', 'a', 'test')]);
          return 'done';
        });
        assert.equal(result, 'done');
        assert.deepEqual(balance(), { used: 40, orphan: 15 }, 'the quota deltas were applied');
        assert.deepEqual(eventTypes(), ['backend.circuit.opened', 'cleanup.enqueued'], 'its events, then the wake-up of the debt');
        assert.equal(told, 1, 'the listeners were told once, after the commit');

        // An operation that fails applies nothing of what it recorded, and tells nobody.
        await assert.rejects(runner.withWork(async (work) => {
          work.chargeUsed('a', 5);
          await work.owe({ kind: 'object', backendName: 'a', storageKey: 'bk/k!2', objectKey: 'bk/k', reason: 'test', sizeBytes: 1 });
          work.append([backendCircuitChanged('closed', 'a', 'test')]);
          throw new Error('the operation failed');
        }), /the operation failed/);
        assert.deepEqual(balance(), { used: 40, orphan: 15 });
        assert.deepEqual(eventTypes(), ['backend.circuit.opened', 'cleanup.enqueued']);
        assert.equal(told, 1);
      } finally {
        await adapter.close();
      }
    }));

  test('eventsAppended is told after the COMMIT: another connection already sees the events', () =>
    withTemp(async (dir) => {
      const path = join(dir, 'ledger.db');
      const ledger = await openLedger({ driver: 'sqlite', path, source: 't' });
      try {
        const visible: number[] = [];
        // better-sqlite3 reads synchronously: this is what the database holds at the moment the listener runs.
        ledger.eventsAppended.listen(() => visible.push(inspect(path, (db) => (db.prepare('SELECT count(*) AS n FROM event_log').get() as { n: number }).n)));
        await ledger.appendEvents([backendCircuitChanged('open', 'a', 'x'), backendCircuitChanged('closed', 'a', 'y')]);
        await ledger.appendEvents([backendCircuitChanged('open', 'a', 'z')]);
        assert.deepEqual(visible, [2, 3]);
      } finally {
        await ledger.close();
      }
    }));
});
