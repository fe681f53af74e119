// The periodic worker against real ledgers: the leader lock is SQLite's process mutex (two
// ledgers on one file) and Postgres's advisory lock on a connection of its own (two ledgers
// on one database; the lock is lost by terminating its connection, as a dying network or an
// operator would). Runs are held open with gates, so nothing here waits for a duration.
//
// Postgres: S3O_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres), a role that
// may CREATE DATABASE.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openLedger, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { PeriodicWorker, WorkerRegistry, firstTickDelayMs, type PeriodicWorkerOptions, type WorkerRecord } from '../src/index.js';

const logger = silentLogger();
/** Hang guard for tests that wait for another session; not a timing assertion. */
const GUARD = { timeout: 60_000 };

/** A promise the test resolves when it wants: holds a run open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves when `signal` fires (at once when it has). */
function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

type Options = PeriodicWorkerOptions<Record<string, number>>;

/**
 * A worker with a private registry and an hour-long interval: once started, its first tick
 * comes after the longest delay (10 s), past the end of the test, unless the test says otherwise.
 */
function worker(options: Partial<Options> & Pick<Options, 'run'> & ({ lock: 'none' } | { lock: 'per-run' | 'held'; locks: Ledger })) {
  return new PeriodicWorker<Record<string, number>>({
    name: 'test-job', intervalMs: 3_600_000, logger, registry: new WorkerRegistry(), random: () => 0.999_999, ...options,
  } as Options);
}

describe('first tick', () => {
  test('a share of the interval, capped, drawn from the injected random', () => {
    assert.equal(firstTickDelayMs(1_000, () => 0.5), 50, '10 % of the interval by default');
    assert.equal(firstTickDelayMs(1_000, () => 0), 0);
    assert.equal(firstTickDelayMs(6 * 3_600_000, () => 0.5), 5_000, 'capped at 10 s by default');
    assert.equal(firstTickDelayMs(1_000, () => 0.5, { jitter: 0.5 }), 250);
    assert.equal(firstTickDelayMs(1_000, () => 0.999, { jitter: 1, maxDelayMs: 100 }), 99);
    assert.throws(() => firstTickDelayMs(1_000, () => 0.5, { jitter: 2 }), RangeError);
  });

  test('start() schedules the first tick that far ahead, then one every interval', async () => {
    const clock = manualClock();
    let runs = 0;
    const w = worker({
      lock: 'none', intervalMs: 400, clock: clock.now, random: () => 0.25,
      run: async () => ({ n: ++runs }),
    });
    assert.equal(w.record().nextTickAt, null, 'nothing scheduled before start');
    w.start();
    try {
      assert.equal(w.record().nextTickAt, 1_000_000 + 10, 'first tick after 0.25 × 10 % of 400 ms');
      await until('the first tick', () => w.record().runs === 1);
      assert.equal(w.record().nextTickAt, 1_000_000 + 400, 'the next one an interval later');
    } finally {
      await w.stop();
    }
    assert.equal(w.record().nextTickAt, null);
  });
});

describe('one run at a time', () => {
  test('a trigger during a run is refused at once; wakes during a run make one more run, not one each', async () => {
    let hold = gate();
    const started: number[] = [];
    const w = worker({
      lock: 'none',
      run: async () => {
        started.push(started.length + 1);
        await hold.promise;
        return { done: 1 };
      },
    });
    const first = w.trigger();
    assert.equal(w.record().running, true);
    assert.deepEqual(await w.trigger(), { status: 'skipped', reason: 'busy' });
    w.wake();
    w.wake();
    w.wake();
    const held = hold;
    hold = gate();
    held.open();
    assert.deepEqual(await first, { status: 'ok', counts: { done: 1 } });
    await until('the run the wakes asked for', () => started.length === 2);
    hold.open();
    await until('it to finish', () => !w.record().running);
    assert.equal(w.record().runs, 2, 'three wakes during one run: one more run');
    await w.stop();
  });

  test('a scheduled tick that finds a run in progress is skipped; a trigger is refused while the scheduled run holds the lock', GUARD, async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3o-workers-'));
    const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'workers-test' });
    const hold = gate();
    let calls = 0;
    const w = worker({
      lock: 'per-run', locks: ledger, intervalMs: 20, random: () => 0,
      run: async () => {
        calls++;
        await hold.promise;
        return {};
      },
    });
    try {
      w.start();
      await until('the scheduled run to hold the lock', () => w.holdsLock);
      assert.deepEqual(await w.trigger(), { status: 'skipped', reason: 'busy' });
      // Three more ticks come while the run is held open.
      const due = w.record().nextTickAt!;
      await until('three ticks meanwhile', () => w.record().nextTickAt! >= due + 3 * 20);
      assert.equal(calls, 1, 'ticks during a run do not start another');
      hold.open();
      await until('the run to end', () => !w.record().running && !w.holdsLock);
    } finally {
      await w.stop();
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('stop', () => {
  test('aborts the run in progress and waits for it; no run starts afterwards', async () => {
    let finished = false;
    let signalSeen: AbortSignal | null = null;
    const w = worker({
      lock: 'none',
      run: async (signal) => {
        signalSeen = signal;
        await aborted(signal);
        await sleep(20); // the job winds down after it sees the signal
        finished = true;
        return { moved: 3 };
      },
    });
    const run = w.trigger();
    await until('the run to start', () => signalSeen !== null);
    await w.stop();
    assert.equal(finished, true, 'stop() returned before the run ended');
    assert.equal(signalSeen!.aborted, true);
    const result = await run;
    assert.equal(result.status, 'aborted');
    assert.deepEqual(result.status === 'aborted' && result.counts, { moved: 3 });
    assert.equal(w.record().lastOutcome, 'aborted');
    assert.deepEqual(w.record().lastCounts, { moved: 3 });
    assert.equal(w.record().consecutiveFailures, 0, 'a stop is no failure');
    assert.deepEqual(await w.trigger(), { status: 'skipped', reason: 'stopped' });
    w.wake();
    assert.equal(w.record().runs, 1);
  });
});

describe('reload: reschedule and retire', () => {
  test('reschedule: a shorter interval brings the next tick forward; the run in progress is left alone', GUARD, async () => {
    const hold = gate();
    let runs = 0;
    let signalSeen: AbortSignal | null = null;
    const w = worker({
      lock: 'none',
      run: async (signal) => {
        runs++;
        signalSeen = signal;
        if (runs === 1) await hold.promise;
        return { runs };
      },
    });
    w.start();
    const run = w.trigger();
    await until('the first run to start', () => runs === 1);
    assert.ok(w.record().nextTickAt! - Date.now() > 1_000, 'the next tick is seconds away');
    w.reschedule(50);
    assert.equal(w.record().intervalMs, 50);
    assert.equal(signalSeen!.aborted, false, 'the run in progress goes on');
    hold.open();
    assert.equal((await run).status, 'ok');
    await until('a tick at the new interval', () => runs >= 2);
    await w.stop();
  });

  test('retire: the run in progress finishes (not aborted), then nothing runs again', GUARD, async () => {
    const hold = gate();
    let signalSeen: AbortSignal | null = null;
    let abortedAtEnd: boolean | null = null;
    const w = worker({
      lock: 'none',
      run: async (signal) => {
        signalSeen = signal;
        await hold.promise;
        abortedAtEnd = signal.aborted;
        return { moved: 1 };
      },
    });
    w.start();
    const run = w.trigger();
    await until('the run to start', () => signalSeen !== null);
    const retired = w.retire();
    w.wake();
    assert.deepEqual(await w.trigger(), { status: 'skipped', reason: 'stopped' });
    hold.open();
    await retired;
    assert.equal(abortedAtEnd, false, 'retire does not cut the run short');
    assert.deepEqual(await run, { status: 'ok', counts: { moved: 1 } });
    assert.equal(w.record().runs, 1);
    assert.equal(w.record().nextTickAt, null);
  });
});

describe('outcome records', () => {
  test('the same fields for every job: runs, times, counts, failures in a row, the last error', async () => {
    const clock = manualClock();
    const script: Array<() => Promise<Record<string, number>>> = [
      async () => ({ promoted: 2, dropped: 0 }),
      async () => { throw new Error('backend b1 unreachable'); },
      async () => { throw new Error('backend b1 still unreachable'); },
      async () => ({ promoted: 0, dropped: 1 }),
    ];
    const registry = new WorkerRegistry();
    const w = worker({
      name: 'reaper', lock: 'none', registry, clock: clock.now,
      run: async () => {
        clock.advance(5);
        return script.shift()!();
      },
    });
    const fresh: WorkerRecord = {
      name: 'reaper', lock: 'none', intervalMs: 3_600_000, running: false, holdsLock: false, runs: 0,
      lastStartedAt: null, lastFinishedAt: null, lastOutcome: null, lastCounts: null, lastSuccessAt: null,
      lastFailureAt: null, lastError: null, consecutiveFailures: 0, nextTickAt: null, progress: null,
    };
    assert.deepEqual(w.record(), fresh);

    assert.deepEqual(await w.trigger(), { status: 'ok', counts: { promoted: 2, dropped: 0 } });
    assert.deepEqual(w.record(), {
      ...fresh, runs: 1, lastStartedAt: 1_000_000, lastFinishedAt: 1_000_005, lastOutcome: 'ok',
      lastCounts: { promoted: 2, dropped: 0 }, lastSuccessAt: 1_000_005,
    });

    clock.advance(100);
    const failed = await w.trigger();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.status === 'failed' && failed.error.message, 'backend b1 unreachable');
    clock.advance(100);
    await w.trigger();
    assert.deepEqual(w.record(), {
      ...fresh, runs: 3, lastStartedAt: 1_000_210, lastFinishedAt: 1_000_215, lastOutcome: 'failed',
      lastCounts: { promoted: 2, dropped: 0 }, lastSuccessAt: 1_000_005, lastFailureAt: 1_000_215,
      lastError: 'backend b1 still unreachable', consecutiveFailures: 2,
    });

    await w.trigger();
    assert.equal(w.record().consecutiveFailures, 0, 'a success ends the streak');
    assert.deepEqual(w.record().lastCounts, { promoted: 0, dropped: 1 });
    assert.equal(w.record().lastError, 'backend b1 still unreachable', 'the last error stays for whoever looks');

    assert.deepEqual(registry.list(), [], 'a worker joins the registry when it starts');
    assert.equal(await registry.trigger('reaper'), null, 'no such worker here');
    w.start();
    assert.deepEqual(registry.get('reaper').map((r) => r.runs), [4]);
    script.push(async () => ({ promoted: 1, dropped: 0 }));
    assert.deepEqual(await registry.trigger('reaper'), { status: 'ok', counts: { promoted: 1, dropped: 0 } }, 'run now, by name');
    assert.deepEqual(registry.list().map((r) => [r.name, r.runs]), [['reaper', 5]]);
    await w.stop();
    assert.deepEqual(registry.list(), [], 'and leaves it when it stops');
  });

  test('a lock that cannot be asked for is a failure of the job', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3o-workers-'));
    const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'workers-test' });
    await ledger.close();
    let runs = 0;
    const w = worker({ lock: 'per-run', locks: ledger, run: async () => ({ n: ++runs }) });
    try {
      const result = await w.trigger();
      assert.equal(result.status, 'failed');
      assert.match(result.status === 'failed' ? result.error.message : '', /^leader lock unavailable: /);
      assert.equal(runs, 0);
      assert.equal(w.record().consecutiveFailures, 1);
      assert.equal(w.record().runs, 0, 'no run started');
    } finally {
      await w.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- the leader lock, on both engines ----

interface Engine {
  /** Two ledgers over one database: two processes as far as the lock is concerned. */
  open(): Promise<[Ledger, Ledger]>;
  /** Ends the connection holding the advisory lock (Postgres only). */
  killLockHolder?(): Promise<void>;
  cleanup(): Promise<void>;
}

const ADMIN_URL = process.env.S3O_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function sqliteEngine(): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-workers-'));
  const opened: Ledger[] = [];
  return {
    async open() {
      const path = join(dir, `ledger-${opened.length}.db`);
      const pair: [Ledger, Ledger] = [
        await openLedger({ driver: 'sqlite', path, source: 'one' }),
        await openLedger({ driver: 'sqlite', path, source: 'two' }),
      ];
      opened.push(...pair);
      return pair;
    },
    async cleanup() {
      for (const l of opened) await l.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresEngine(): Promise<Engine> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  admin.on('error', () => {});
  await admin.connect();
  const name = `s3o_workers_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const opened: Ledger[] = [];
  return {
    async open() {
      const pair: [Ledger, Ledger] = [
        await openLedger({ driver: 'postgres', url: url.toString(), source: 'one', leaderCheckIntervalMs: 200 }),
        await openLedger({ driver: 'postgres', url: url.toString(), source: 'two', leaderCheckIntervalMs: 200 }),
      ];
      opened.push(...pair);
      return pair;
    },
    async killLockHolder() {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.datname = $1`,
        [name],
      );
      assert.equal(rows.length, 1, 'one session holds the lock');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    },
    async cleanup() {
      for (const l of opened) await l.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

for (const [engineName, makeEngine] of [['sqlite', sqliteEngine], ['postgres', postgresEngine]] as const) {
  describe(`leader lock on ${engineName}`, () => {
    let engine: Engine;
    before(async () => {
      engine = await makeEngine();
    });
    after(() => engine?.cleanup());

    test('per run: the lock is held while the run lasts and only there; another process is told "not-leader"', GUARD, async () => {
      const [one, two] = await engine.open();
      const hold = gate();
      let running = false;
      const a = worker({ lock: 'per-run', locks: one, run: async () => { running = true; await hold.promise; return { swept: 1 }; } });
      const b = worker({ lock: 'per-run', locks: two, run: async () => ({ swept: 1 }) });
      try {
        const first = a.trigger();
        await until('the run to start', () => running);
        assert.equal(a.holdsLock, true);
        assert.deepEqual(await b.trigger(), { status: 'skipped', reason: 'not-leader' });
        assert.equal(b.record().runs, 0);
        hold.open();
        assert.deepEqual(await first, { status: 'ok', counts: { swept: 1 } });
        assert.equal(a.holdsLock, false, 'released after the run');
        assert.deepEqual(await b.trigger(), { status: 'ok', counts: { swept: 1 } }, 'free for the other process');
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    test('held: the lock stays between runs until the worker stops; runsWithoutLock runs everywhere, one leads', GUARD, async () => {
      const [one, two] = await engine.open();
      let runsA = 0;
      let runsB = 0;
      const a = worker({ lock: 'held', locks: one, run: async () => ({ n: ++runsA }) });
      const b = worker({ lock: 'held', locks: two, run: async () => ({ n: ++runsB }) });
      try {
        assert.equal((await a.trigger()).status, 'ok');
        assert.equal(a.holdsLock, true, 'kept after the run');
        assert.deepEqual(await b.trigger(), { status: 'skipped', reason: 'not-leader' });
        assert.equal((await a.trigger()).status, 'ok');
        assert.equal(runsA, 2);
        await a.stop();
        assert.equal(a.holdsLock, false);
        assert.deepEqual(await b.trigger(), { status: 'ok', counts: { n: 1 } }, 'the lock is free once its holder stopped');
        assert.equal(b.holdsLock, true);
      } finally {
        await a.stop();
        await b.stop();
      }

      const [three, four] = await engine.open();
      const c = worker({ lock: 'held', locks: three, runsWithoutLock: true, run: async () => ({ probed: 1 }) });
      const d = worker({ lock: 'held', locks: four, runsWithoutLock: true, run: async () => ({ probed: 1 }) });
      try {
        assert.equal((await c.trigger()).status, 'ok');
        assert.equal((await d.trigger()).status, 'ok', 'runs without the lock');
        assert.deepEqual([c.holdsLock, d.holdsLock], [true, false]);
      } finally {
        await c.stop();
        await d.stop();
      }
    });

    if (engineName === 'postgres') {
      test('a lost lock aborts the run under it (per run), and a held lock is given up and taken by another', GUARD, async () => {
        const [one, two] = await engine.open();
        let reason: unknown = null;
        const a = worker({
          name: 'reaper', lock: 'per-run', locks: one,
          run: async (signal) => {
            reason = await aborted(signal);
            return { promoted: 0 };
          },
        });
        const run = a.trigger();
        await until('the run to hold the lock', () => a.holdsLock && a.record().running);
        await engine.killLockHolder!();
        const result = await run;
        assert.equal(result.status, 'aborted');
        assert.match(String((reason as Error).message), /leadership "reaper" lost/);
        assert.equal(a.holdsLock, false);
        assert.equal(a.record().consecutiveFailures, 0);

        const hold = gate();
        const b = worker({ name: 'drains', lock: 'held', locks: one, run: async (signal) => { await Promise.race([hold.promise, aborted(signal)]); return {}; } });
        const c = worker({ name: 'drains', lock: 'held', locks: two, run: async () => ({ worked: 1 }) });
        try {
          const held = b.trigger();
          await until('the held run', () => b.holdsLock && b.record().running);
          await engine.killLockHolder!();
          assert.equal((await held).status, 'aborted', 'the run under the lost lock stopped');
          assert.equal(b.holdsLock, false, 'leadership given up');
          await until('the other process to take over', async () => (await c.trigger()).status === 'ok');
          assert.equal(c.holdsLock, true);
        } finally {
          hold.open();
          await a.stop();
          await b.stop();
          await c.stop();
        }
      });
    }
  });
}
