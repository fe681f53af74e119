// The NATS JetStream bus against a real server (S3O_TEST_NATS_URL, default
// nats://127.0.0.1:4222) with a real SQLite ledger as the outbox. Every test uses its own
// stream, subject prefix and durables and deletes them; the outage test runs a private
// nats-server it can stop.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StoredEvent } from '@s3o/store';
import { DeadLetterHeaders, natsLayout } from '../src/index.js';
import {
  adminConnection, allEvents, appendEvents, delay, Deliveries, openBusRun, PrivateNats, waitFor, type BusRun,
} from './support.js';

const TRACEPARENT = (n: number) => `00-${n.toString(16).padStart(32, '0')}-${'ab'.repeat(8)}-01`;

/** Runs `fn` on a fresh isolated run and always removes it. */
async function withRun(fn: (run: BusRun) => Promise<void>): Promise<void> {
  const run = await openBusRun();
  try {
    await fn(run);
  } finally {
    await run.cleanup();
  }
}

// Without a NATS to test against, every test fails (not skips) naming S3O_TEST_NATS_URL: openBusRun connects first.
describe('NATS bus', () => {
  test('delivers each appended event once, with its traceparent in the envelope and the headers', () =>
    withRun(async (run) => {
      const seen = new Deliveries();
      const bus = run.bus({ service: 'audit' });
      bus.subscribe({ consumer: 'log', types: ['object.created', 'object.removed'], handler: async (e) => seen.record(e) });
      bus.start();
      await bus.ready();

      await appendEvents(run.ledger, 30, (n) => ({
        type: n % 3 === 0 ? 'object.removed' : 'object.created',
        traceparent: n % 2 === 0 ? TRACEPARENT(n) : null,
      }));
      bus.notify();
      const stored = await allEvents(run.ledger);
      await waitFor('30 deliveries', () => seen.distinct === 30);
      await delay(300); // room for a duplicate to show up
      assert.deepEqual(seen.duplicates(), []);

      for (const original of stored) {
        const got = seen.events.get(original.id);
        assert.ok(got, `event ${original.id} delivered`);
        const { publishedAt: _p, ...rest } = got;
        const { publishedAt: _q, ...expected } = original;
        assert.deepEqual(rest, expected);
        assert.equal(typeof got.publishedAt, 'number');
      }
      assert.ok((await allEvents(run.ledger)).every((e) => e.publishedAt !== null), 'every row is marked published');

      // On the wire: one stream message per event, the subject per type, the traceparent as a header.
      const traced = stored.find((e) => e.traceparent !== null)!;
      const info = await run.jsm.streams.info(run.stream);
      assert.equal(info.state.messages, 30);
      const lastRemoved = await run.jsm.streams.getMessage(run.stream, { last_by_subj: `${run.prefix}.events.object.removed` });
      assert.ok(lastRemoved);
      const tracedMsg = await findStreamMessage(run, traced.id);
      assert.equal(tracedMsg.subject, natsLayout({ stream: run.stream, subjectPrefix: run.prefix, service: 'audit' }).eventSubject(traced.type));
      assert.equal(tracedMsg.header?.get('traceparent'), traced.traceparent);
      assert.equal(tracedMsg.header?.get('Nats-Msg-Id'), traced.id);
    }));

  test('two relays on one outbox publish every event once', () =>
    withRun(async (run) => {
      const seen = new Deliveries();
      const consumer = run.bus({ service: 'reader', relayBatch: 7 });
      consumer.subscribe({ consumer: 'all', types: ['object.created'], handler: async (e) => seen.record(e) });
      const relayOnly = run.bus({ service: 'writer', relayBatch: 7 });
      consumer.start();
      relayOnly.start();
      await Promise.all([consumer.ready(), relayOnly.ready()]);

      for (let burst = 0; burst < 10; burst++) {
        await appendEvents(run.ledger, 10, () => ({}), burst * 10);
        consumer.notify();
        relayOnly.notify();
      }
      await waitFor('100 deliveries', () => seen.distinct === 100);
      await delay(300);
      assert.deepEqual(seen.duplicates(), []);
      // Disjoint claims: no event was even offered to the stream twice.
      assert.equal((await run.jsm.streams.info(run.stream)).state.messages, 100);
    }));

  test('a service that subscribes later still gets the events published before it first ran', () =>
    withRun(async (run) => {
      const writer = run.bus({ service: 'gateway' });
      writer.start();
      await writer.ready();
      await appendEvents(run.ledger, 10);
      writer.notify();
      await waitFor('10 events in the stream', async () => (await run.jsm.streams.info(run.stream)).state.messages === 10);

      const seen = new Deliveries();
      const late = run.bus({ service: 'latecomer', relay: false });
      late.subscribe({ consumer: 'backfill', types: ['object.created'], handler: async (e) => seen.record(e) });
      late.start();
      await waitFor('10 deliveries', () => seen.distinct === 10);
    }));

  test('replicas of one service split the events between them', () =>
    withRun(async (run) => {
      const byReplica = [new Deliveries(), new Deliveries()];
      const replicas = byReplica.map((seen) => {
        const bus = run.bus({ service: 'worker', concurrency: 2 });
        bus.subscribe({
          consumer: 'split',
          types: ['object.created'],
          handler: async (e) => {
            seen.record(e);
            await delay(2); // a little work, so both replicas have pulls waiting
          },
        });
        bus.start();
        return bus;
      });
      await Promise.all(replicas.map((b) => b.ready()));

      for (let burst = 0; burst < 10; burst++) {
        await appendEvents(run.ledger, 20, () => ({}), burst * 20);
        replicas[0]!.notify();
      }
      await waitFor('200 deliveries', () => byReplica[0]!.distinct + byReplica[1]!.distinct >= 200);
      await delay(300);

      const [a, b] = byReplica as [Deliveries, Deliveries];
      assert.ok(a.distinct > 0 && b.distinct > 0, `both replicas got events (${a.distinct} / ${b.distinct})`);
      const union = new Set([...a.counts.keys(), ...b.counts.keys()]);
      assert.equal(union.size, 200);
      assert.equal(a.distinct + b.distinct, 200, 'no event went to both');
      assert.deepEqual([...a.duplicates(), ...b.duplicates()], []);
    }));

  test('a handler that fails fewer than maxDeliver times gets the event again until it succeeds', () =>
    withRun(async (run) => {
      const attempts = new Map<string, number>();
      const done = new Set<string>();
      const bus = run.bus({ service: 'flaky', maxDeliver: 4 });
      bus.subscribe({
        consumer: 'retry',
        types: ['object.created'],
        handler: async (e) => {
          const n = (attempts.get(e.id) ?? 0) + 1;
          attempts.set(e.id, n);
          if (e.data.etag === 'flaky' && n <= 2) throw new Error(`attempt ${n} fails`);
          done.add(e.id);
        },
      });
      bus.start();
      await bus.ready();
      await appendEvents(run.ledger, 5, (n) => (n === 1 ? { mark: 'flaky' } : {}));
      bus.notify();
      await waitFor('5 handled', () => done.size === 5);

      const [flaky] = (await allEvents(run.ledger)).filter((e) => e.data.etag === 'flaky');
      assert.equal(attempts.get(flaky!.id), 3);
      assert.deepEqual([...attempts.values()].sort(), [1, 1, 1, 1, 3]);
      assert.deepEqual(run.deadEvents(), []);
    }));

  test('an event that always fails ends in the dead stream and dead_events, and later events still flow', () =>
    withRun(async (run) => {
      const attempts = new Map<string, number>();
      const handled = new Set<string>();
      const bus = run.bus({ service: 'strict', maxDeliver: 3 });
      bus.subscribe({
        consumer: 'apply',
        types: ['object.created'],
        handler: async (e) => {
          attempts.set(e.id, (attempts.get(e.id) ?? 0) + 1);
          if (e.data.etag === 'poison') throw new Error('cannot apply\nthis event');
          handled.add(e.id);
        },
      });
      bus.start();
      await bus.ready();
      await appendEvents(run.ledger, 4, (n) => (n === 0 ? { mark: 'poison', traceparent: TRACEPARENT(7) } : { traceparent: null }));
      bus.notify();
      await waitFor('the poison event in dead_events', () => run.deadEvents().length === 1);

      const [poison] = await allEvents(run.ledger);
      const durable = natsLayout({ stream: run.stream, subjectPrefix: run.prefix, service: 'strict' }).durableName('apply', 'object.created');
      assert.equal(attempts.get(poison!.id), 3, 'the handler ran maxDeliver times');
      assert.deepEqual(run.deadEvents(), [{ consumer: durable, event_id: poison!.id, attempts: 3, last_error: 'cannot apply\nthis event' }]);

      const dead = await run.jsm.streams.getMessage(`${run.stream}_DEAD`, { last_by_subj: `${run.prefix}.dead.strict` });
      assert.ok(dead, 'a dead letter');
      assert.equal(dead.header.get(DeadLetterHeaders.eventId), poison!.id);
      assert.equal(dead.header.get(DeadLetterHeaders.consumer), durable);
      assert.equal(dead.header.get(DeadLetterHeaders.attempts), '3');
      assert.equal(dead.header.get(DeadLetterHeaders.error), 'cannot apply this event');
      assert.equal(dead.header.get('traceparent'), TRACEPARENT(7));
      assert.equal(dead.json<{ id: string }>().id, poison!.id);

      // The events behind it were not held up, and new ones keep coming.
      await appendEvents(run.ledger, 3, () => ({}), 4);
      bus.notify();
      await waitFor('6 good events handled', () => handled.size === 6);
      await delay(300);
      assert.equal(attempts.get(poison!.id), 3, 'a dead event is not delivered again');
      const info = await run.jsm.consumers.info(run.stream, durable);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_pending, 0);
    }));

  test('stop() waits for the handler in flight, and its ack still reaches the server', () =>
    withRun(async (run) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const order: string[] = [];
      let started = false;
      const bus = run.bus({ service: 'slow' });
      bus.subscribe({
        consumer: 'gate',
        types: ['object.created'],
        handler: async () => {
          started = true;
          await gate;
          order.push('handler done');
        },
      });
      bus.start();
      await bus.ready();
      await appendEvents(run.ledger, 1);
      bus.notify();
      await waitFor('the handler to start', () => started);

      const stopping = bus.stop().then(() => order.push('stopped'));
      try {
        await delay(200);
        assert.deepEqual(order, [], 'stop() has not returned while the handler runs');
      } finally {
        release(); // also when the assertion failed: cleanup must not wait on the gate forever
      }
      await stopping;
      assert.deepEqual(order, ['handler done', 'stopped']);

      const durable = natsLayout({ stream: run.stream, subjectPrefix: run.prefix, service: 'slow' }).durableName('gate', 'object.created');
      const info = await run.jsm.consumers.info(run.stream, durable);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_pending, 0);
    }));
});

describe('NATS layout', () => {
  test('names come from the configuration; types become subject tokens and durable-safe names', () => {
    const layout = natsLayout({ stream: 'S3O_EVENTS', subjectPrefix: 's3o', service: 'placement' });
    assert.equal(layout.deadStream, 'S3O_EVENTS_DEAD');
    assert.equal(layout.eventSubjects, 's3o.events.>');
    assert.equal(layout.deadSubjects, 's3o.dead.>');
    assert.equal(layout.deadSubject, 's3o.dead.placement');
    assert.equal(layout.eventSubject('object.created'), 's3o.events.object.created');
    assert.equal(layout.eventSubject('odd type..x*'), 's3o.events.odd_type._.x_');
    assert.equal(layout.durableName('replication', 'object.created'), 's3o-placement-replication-object_created');
  });

  test('a prefix, stream or service that is not one plain token is refused', () => {
    assert.throws(() => natsLayout({ stream: 'S', subjectPrefix: 'a.b', service: 'x' }), /subject prefix/);
    assert.throws(() => natsLayout({ stream: 'S 1', subjectPrefix: 'a', service: 'x' }), /stream/);
    assert.throws(() => natsLayout({ stream: 'S', subjectPrefix: 'a', service: 'x>' }), /service/);
  });
});

describe('NATS bus through a NATS outage', () => {
  let storeDir = '';
  let nats: PrivateNats | null = null;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 's3o-nats-'));
    nats = await PrivateNats.create(storeDir);
  });
  after(async () => {
    await nats?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  test('events appended while NATS is down wait in the outbox and arrive once it is back', async () => {
    const server = nats!;
    await server.start();
    const run = await openBusRun(server.url);
    try {
      const seen = new Deliveries();
      const bus = run.bus({ service: 'survivor', relayIntervalMs: 100 });
      bus.subscribe({ consumer: 'all', types: ['object.created'], handler: async (e) => seen.record(e) });
      bus.start();
      await bus.ready();

      await appendEvents(run.ledger, 20);
      bus.notify();
      await waitFor('the first 20 events', () => seen.distinct === 20);

      await server.stop();
      await appendEvents(run.ledger, 20, () => ({}), 20);
      bus.notify();
      await delay(500); // the relay keeps trying meanwhile
      const waiting = (await allEvents(run.ledger)).filter((e) => e.publishedAt === null);
      assert.equal(waiting.length, 20, 'the events appended during the outage are still in the outbox');

      await server.start();
      await appendEvents(run.ledger, 5, () => ({}), 40);
      bus.notify();
      await waitFor('all 45 events after the restart', () => seen.distinct === 45, 60_000);
      assert.ok((await allEvents(run.ledger)).every((e) => e.publishedAt !== null));
      const expected = new Set((await allEvents(run.ledger)).map((e) => e.id));
      assert.deepEqual(new Set(seen.counts.keys()), expected);
    } finally {
      await run.cleanup();
      await server.stop();
    }
  });

  test('a server that comes back without its data gets the streams and durables again', async () => {
    const server = nats!;
    await server.start();
    const run = await openBusRun(server.url);
    try {
      const seen = new Deliveries();
      const bus = run.bus({ service: 'phoenix', relayIntervalMs: 100 });
      bus.subscribe({ consumer: 'all', types: ['object.created'], handler: async (e) => seen.record(e) });
      bus.start();
      await bus.ready();
      await appendEvents(run.ledger, 5);
      bus.notify();
      await waitFor('the first 5 events', () => seen.distinct === 5);

      await server.stop();
      await server.start(join(storeDir, 'blank'));
      await appendEvents(run.ledger, 5, () => ({}), 5);
      bus.notify();
      await waitFor('the 5 events after the restart', () => seen.distinct === 10, 60_000);
      const admin = await adminConnection(server.url);
      try {
        assert.equal((await admin.jsm.streams.info(run.stream)).state.messages, 5, 'the new stream holds what came after');
      } finally {
        await admin.nc.close();
      }
    } finally {
      await run.cleanup();
      await server.stop();
    }
  });
});

/** Scans the run's stream for the message carrying event `id`. */
async function findStreamMessage(run: BusRun, id: string) {
  const { state } = await run.jsm.streams.info(run.stream);
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await run.jsm.streams.getMessage(run.stream, { seq });
    if (msg?.header.get('Nats-Msg-Id') === id) return msg;
  }
  throw new Error(`no stream message for event ${id}`);
}
