// The in-process bus over a real SQLite ledger: delivery by type, offsets that survive a
// restart, retries, dead letters that do not block the events behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_REQUEST, objectCreated, objectRemoved, type DomainEvent } from '@s3o/events';
import { openLedger, type Ledger, type NewEvent } from '@s3o/store';
import { metricsRegistry, silentLogger } from '@s3o/telemetry';
import { InProcessBus } from '../src/index.js';

async function withLedger(fn: (ledger: Ledger, path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-bus-'));
  const path = join(dir, 'ledger.db');
  const ledger = await openLedger({ driver: 'sqlite', path, source: 'test' });
  try {
    await fn(ledger, path);
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const bus = (ledger: Ledger) => new InProcessBus({ ledger, logger: silentLogger(), maxDeliver: 3, pollIntervalMs: 50, retryBaseMs: 5 });

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), `timed out waiting for ${what}`);
}

// Event n of kind 'a' is an object.created of n bytes; kind 'b' an object.removed (consumers here take 'a' only).
const A = 'object.created';
const ev = (kind: 'a' | 'b', n: number): NewEvent => kind === 'a'
  ? objectCreated('Put', { object: { objectKey: `r/${n}`, size: n, etag: 'e', contentType: 'text/plain' }, copies: [], displaced: [] }, NO_REQUEST)
  : objectRemoved('Delete', `r/${n}`, [], NO_REQUEST);
const nOf = (e: DomainEvent<typeof A>): number => e.data.size;

test('delivers the subscribed types in seq order and resumes after its offset', () =>
  withLedger(async (ledger) => {
    const seen: number[] = [];
    const b1 = bus(ledger);
    b1.subscribe({ consumer: 'c', types: [A], handler: async (e) => { seen.push(nOf(e)); } });
    b1.start();
    await ledger.appendEvents([ev('a', 1), ev('b', 2), ev('a', 3)]);
    b1.notify();
    await until('two events', () => seen.length === 2);
    await b1.stop();
    assert.deepEqual(seen, [1, 3]);
    assert.equal(await ledger.getConsumerOffset('c'), 3);

    await ledger.appendEvents([ev('a', 4), ev('b', 5)]);
    const b2 = bus(ledger);
    b2.subscribe({ consumer: 'c', types: [A], handler: async (e) => { seen.push(nOf(e)); } });
    b2.start();
    await until('the event after the offset', () => seen.length === 3);
    await b2.stop();
    assert.deepEqual(seen, [1, 3, 4], 'nothing delivered twice after a restart');
    assert.equal(await ledger.getConsumerOffset('c'), 5, 'the offset is saved at stop, past passed-over events');
  }));

test('a failing handler is retried; a poison event is dead-lettered and the next ones still flow', () =>
  withLedger(async (ledger) => {
    const attempts = new Map<number, number>();
    const done: number[] = [];
    const b = bus(ledger);
    b.subscribe({
      consumer: 'c', types: [A],
      handler: async (e) => {
        const n = nOf(e);
        attempts.set(n, (attempts.get(n) ?? 0) + 1);
        if (n === 1 && attempts.get(n)! < 2) throw new Error('transient');
        if (n === 2) throw new Error('poison');
        done.push(n);
      },
    });
    b.start();
    await ledger.appendEvents([ev('a', 1), ev('a', 2), ev('a', 3)]);
    b.notify();
    await until('event 3', () => done.includes(3));
    await b.stop();
    assert.deepEqual(done, [1, 3]);
    assert.equal(attempts.get(1), 2);
    assert.equal(attempts.get(2), 3, 'max_deliver attempts');
  }));

test('consumer lag: the events between a consumer and the newest event, served as s3o_bus_consumer_lag', () =>
  withLedger(async (ledger) => {
    const lagOf = async (consumer: string) => {
      const metric = await metricsRegistry.getSingleMetric('s3o_bus_consumer_lag')!.get();
      return metric.values.find((v) => v.labels.consumer === consumer)?.value;
    };
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const handled: number[] = [];
    const b = bus(ledger);
    b.subscribe({
      consumer: 'lagging', types: [A],
      handler: async (e) => {
        if (nOf(e) === 1) await held; // stuck on the first event
        handled.push(nOf(e));
      },
    });
    b.start();
    await ledger.appendEvents([ev('a', 1)]);
    b.notify();
    await new Promise((r) => setTimeout(r, 100)); // it has read event 1 and waits in its handler
    await ledger.appendEvents([ev('a', 2), ev('b', 3), ev('a', 4)]);
    assert.equal(await lagOf('lagging'), 4, 'all four events are ahead of it');
    release();
    await until('every event handled', () => handled.length === 3);
    assert.equal(await lagOf('lagging'), 0);
    await b.stop();
    assert.equal(await lagOf('lagging'), undefined, 'a stopped bus reports nothing');
  }));

async function untilAsync(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the ledger wakes the bus: a commit that appended events is delivered without notify() or a poll', () =>
  withLedger(async (ledger) => {
    const seen: number[] = [];
    // Polls once a minute: after its first read, only the ledger's wake-up can deliver within the test.
    const b = new InProcessBus({ ledger, logger: silentLogger(), maxDeliver: 3, pollIntervalMs: 60_000 });
    b.subscribe({ consumer: 'c', types: [A], handler: async (e) => { seen.push(nOf(e)); } });
    await ledger.appendEvents([ev('a', 1)]);
    b.start();
    await until('the event that was there at start', () => seen.length === 1);
    const [first] = await ledger.readEventsAfter(0, 1);
    // Saved once the read that delivered it is done: the loop sleeps from then on.
    await untilAsync('the offset after the first event', async () => (await ledger.getConsumerOffset('c')) === first!.seq);
    await ledger.appendEvents([ev('b', 2), ev('a', 3)]);
    await until('the event appended while it slept', () => seen.length === 2);
    await ledger.appendEvents([ev('a', 4)]);
    await until('the next one', () => seen.length === 3);
    await b.stop();
    assert.deepEqual(seen, [1, 3, 4]);
  }));

test('an event whose data its schema refuses is dead-lettered at once, and the next ones still flow', () =>
  withLedger(async (ledger, path) => {
    const handled: number[] = [];
    const b = bus(ledger);
    b.subscribe({ consumer: 'c', types: [A], handler: async (e) => { handled.push(nOf(e)); } });
    b.start();
    // Written by something that is not a producer of ours (another build, a hand-made row).
    await ledger.appendEvents([{ type: A, resource: 'r/0', data: { version: 1, size: 'big' } } as unknown as NewEvent, ev('a', 1)]);
    await until('the good event', () => handled.length === 1);
    await b.stop();
    assert.deepEqual(handled, [1], 'the handler never saw the malformed event');
    const [malformed] = await ledger.readEventsAfter(0, 1);
    const db = new Database(path, { readonly: true });
    try {
      const dead = db.prepare('SELECT consumer, event_id, attempts, last_error FROM dead_events').all() as Array<Record<string, unknown>>;
      assert.equal(dead.length, 1);
      assert.deepEqual({ ...dead[0], last_error: undefined }, { consumer: 'c', event_id: malformed!.id, attempts: 0, last_error: undefined });
      assert.match(dead[0]!.last_error as string, /malformed.*size/);
    } finally {
      db.close();
    }
  }));
