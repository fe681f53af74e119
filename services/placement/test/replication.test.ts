// Replication against real s3rver backends and a real SQLite ledger: the sweep brings
// objects to the factor page by page, a copy whose bytes vanished is marked missing and
// replaced, a factor no backend can satisfy is announced once (not on every pass), copies on
// a backend whose breaker has been open past the threshold stop counting, and excess copies
// go lowest score first.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BackendBreakers } from '@s3o/backends';
import { Replicator } from '../src/replication/replicator.js';
import { ReplicationSweep } from '../src/replication/sweep.js';
import { OverReplicationTrimmer } from '../src/replication/trimmer.js';
import { KeyedWorkQueue } from '../src/replication/work-queue.js';
import type { ReplicationDeps } from '../src/replication/deps.js';
import { copiesOf, logger, readStored, startWorld, writeObject, type World } from './fixture.js';

function pieces(world: World, extra: Partial<ReplicationDeps> = {}) {
  const deps: ReplicationDeps = { config: world.config, ledger: world.ledger, backends: world.backends, logger, ...extra };
  const replicator = new Replicator(deps);
  const trimmer = new OverReplicationTrimmer(deps);
  const queue = new KeyedWorkQueue(2, 16, async (key, signal) => void (await replicator.replicate(key, signal)), logger);
  const sweep = new ReplicationSweep({ ledger: world.ledger, settings: () => ({ batchSize: 2, factor: world.config.replication.factor }), replicator, trimmer, queue });
  return { replicator, trimmer, queue, sweep };
}

/** A signal that never fires: a pass run by the test to its end. */
const NEVER = new AbortController().signal;

async function eventsOfType(world: World, type: string) {
  return (await world.ledger.readEventsAfter(0, 10_000)).filter((e) => e.type === type);
}

describe('replication sweep', () => {
  let world: World;
  after(() => world?.close());

  test('brings every object to the factor, page by page, with byte-identical copies', async () => {
    world = await startWorld({ backends: { b1: 0, b2: 0, b3: 0 }, config: { replication: { factor: 2 } } });
    const data = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) {
      const key = `photos/sweep/${i}`;
      data.set(key, Buffer.from(`object ${i} `.repeat(100 + i)));
      await writeObject(world, key, data.get(key)!, 'b1');
    }
    const { sweep, queue } = pieces(world);
    assert.deepEqual(await sweep.pass(NEVER), { under: 5, over: 0, trimmed: 0, replicated: 5 });
    for (const [key, bytes] of data) {
      const found = (await world.ledger.getObject(key))!;
      assert.deepEqual(found.locations.map((l) => [l.backendName, l.state]), [['b1', 'ok'], ['b2', 'ok']], key);
      for (const l of found.locations) assert.ok((await readStored(world, l.backendName, l.storageKey)).equals(bytes), `${key} on ${l.backendName}`);
    }
    const replicated = await eventsOfType(world, 'object.replicated');
    assert.equal(replicated.length, 5);
    const first = replicated.find((e) => e.resource === 'photos/sweep/0')!;
    const copyOnB2 = (await world.ledger.getObject('photos/sweep/0'))!.locations.find((l) => l.backendName === 'b2')!;
    assert.equal(first.data.storage_key, copyOnB2.storageKey);
    assert.equal(first.data.write_id, copyOnB2.writeId);
    assert.deepEqual(
      { ...first.data, storage_key: undefined, write_id: undefined, sequencer: undefined },
      { version: 1, bucket: 'photos', key: 'sweep/0', from: 'b1', to: 'b2', size: data.get('photos/sweep/0')!.length, storage_key: undefined, write_id: undefined, sequencer: undefined },
    );
    assert.deepEqual(await sweep.pass(NEVER), { under: 0, over: 0, trimmed: 0, replicated: 0 }, 'nothing left to do');
    await queue.stop();
  });

  test('a copy whose bytes are gone is marked missing when copied from, and replaced', async () => {
    const key = 'photos/sweep/0';
    const found = (await world.ledger.getObject(key))!;
    const onB1 = found.locations.find((l) => l.backendName === 'b1')!;
    await world.client('b1').deleteObject(onB1.storageKey);
    // A third copy is wanted; b1's copy is first in source order.
    const { replicator } = pieces(world, { config: { ...world.config, replication: { ...world.config.replication, factor: 3 } } });
    // b1's copy turns out to be gone: marked missing, a copy made on b3 from b2, then b1's made again.
    assert.deepEqual(await replicator.replicate(key), { made: 2, complete: true });
    const after = (await world.ledger.getObject(key))!;
    assert.deepEqual(after.locations.map((l) => [l.backendName, l.state]).sort(), [['b1', 'ok'], ['b2', 'ok'], ['b3', 'ok']]);
    assert.notEqual(after.locations.find((l) => l.backendName === 'b1')!.storageKey, onB1.storageKey);
    const debts = await world.ledger.listCleanup(null, 100);
    assert.ok(debts.some((d) => d.storageKey === onB1.storageKey && d.reason === 'missing-replaced'));
  });

  test('over the factor: the sweep trims back to it', async () => {
    const { sweep, queue } = pieces(world);
    assert.deepEqual(await sweep.pass(NEVER), { under: 0, over: 1, trimmed: 1, replicated: 0 });
    assert.equal((await copiesOf(world, 'photos/sweep/0')).length, 2);
    await queue.stop();
  });
});

describe('sweep pacing', () => {
  let world: World;
  after(() => world?.close());

  test('between pages the sweep rests three times as long as the page took, so requests keep most of the event loop', async () => {
    world = await startWorld({ backends: { b1: 0 } });
    // Pages that hold the loop 30 ms each, as a SQLite page of a million-object bucket does.
    const PAGES = 4, PAGE_MS = 30;
    let served = 0;
    const ledger = Object.create(world.ledger) as World['ledger'];
    ledger.listUnderReplicated = async ({ after }) => {
      const until = performance.now() + PAGE_MS;
      while (performance.now() < until); // a synchronous statement
      const n = after === null ? 1 : Number(after) + 1;
      return { candidates: [], next: n < PAGES ? String(n) : null };
    };
    ledger.listOverReplicated = async () => ({ candidates: [], next: null });
    const { sweep, queue } = pieces({ ...world, ledger } as World);
    const tick = setInterval(() => served++, 5);
    const started = performance.now();
    assert.deepEqual(await sweep.pass(NEVER), { under: 0, over: 0, trimmed: 0, replicated: 0 });
    const elapsed = performance.now() - started;
    clearInterval(tick);
    await queue.stop();
    // Busy 4 × 30 ms, resting ≥ 3 × 90 ms between them (timers only ever fire late).
    assert.ok(elapsed >= PAGES * PAGE_MS + (PAGES - 1) * 3 * PAGE_MS * 0.95, `a pass of ${PAGES} pages took ${elapsed.toFixed(0)} ms`);
    assert.ok(served >= PAGES - 1, `a 5 ms timer fired ${served} times during the pass`);
  });
});

describe('replication targets', () => {
  let world: World;
  after(() => world?.close());

  test('no backend with room: replication.target_exhausted once per key, not on every pass', async () => {
    world = await startWorld({ backends: { b1: 0, b2: 0, b3: 1000 }, config: { replication: { factor: 3 } } });
    await writeObject(world, 'photos/big', Buffer.alloc(5000, 7), 'b1');
    const { replicator } = pieces(world);
    assert.deepEqual(await replicator.replicate('photos/big'), { made: 1, complete: false });
    assert.deepEqual(await replicator.replicate('photos/big'), { made: 0, complete: false });
    assert.deepEqual(await copiesOf(world, 'photos/big'), [['b1', 'ok'], ['b2', 'ok']]);
    const exhausted = await eventsOfType(world, 'replication.target_exhausted');
    assert.equal(exhausted.length, 1);
    assert.equal(exhausted[0]!.resource, 'photos/big');
    assert.deepEqual(exhausted[0]!.data, { version: 1, bucket: 'photos', key: 'big', wanted: 3, reached: 2 });
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b3')!.inflightBytes, 0, 'no intent left behind');
  });

  test('excess copies go lowest score first: the fullest backend loses its copy', async () => {
    const key = 'photos/scored';
    await writeObject(world, key, Buffer.alloc(600, 1), 'b3');
    const { replicator, trimmer } = pieces(world);
    await replicator.replicate(key);
    assert.deepEqual(await copiesOf(world, key), [['b1', 'ok'], ['b2', 'ok'], ['b3', 'ok']]);
    const lowered = pieces(world, { config: { ...world.config, replication: { ...world.config.replication, factor: 2 } } });
    // b3 is 60 % full; b1 and b2 are unlimited.
    assert.equal(await lowered.trimmer.trim(key, await trimmer.standing()), 1);
    assert.deepEqual(await copiesOf(world, key), [['b1', 'ok'], ['b2', 'ok']]);
  });
});

describe('health-aware replication', () => {
  let world: World;
  let breakers: BackendBreakers | undefined;
  after(async () => {
    breakers?.stop();
    world?.servers.get('b1')?.kill('SIGCONT');
    await world?.close();
  });

  test('copies on a backend open past the threshold do not count; a replacement is made and the open copy trimmed first', async () => {
    world = await startWorld({
      backends: { b1: 0, b2: 0, b3: 0 },
      config: { replication: { factor: 2, unhealthy_threshold: '0s' } },
    });
    const key = 'photos/health';
    const bytes = Buffer.from('keep me available '.repeat(50));
    await writeObject(world, key, bytes, 'b1');
    const healthy = pieces(world);
    await healthy.replicator.replicate(key);
    assert.deepEqual(await copiesOf(world, key), [['b1', 'ok'], ['b2', 'ok']]);

    breakers = new BackendBreakers(world.backends, { failureThreshold: 1, openTimeoutMs: 60_000 });
    world.servers.get('b1')!.kill('SIGSTOP');
    await assert.rejects(world.client('b1').headObject('anything'), 'a frozen backend times out');
    assert.notEqual(breakers.openSince('b1'), null, 'the breaker opened');

    const { replicator, trimmer } = pieces(world, { health: breakers });
    assert.deepEqual(replicator.uncounted(), ['b1']);
    assert.deepEqual(await replicator.replicate(key), { made: 1, complete: true });
    assert.deepEqual(await copiesOf(world, key), [['b1', 'ok'], ['b2', 'ok'], ['b3', 'ok']]);
    const b3 = (await world.ledger.getObject(key))!.locations.find((l) => l.backendName === 'b3')!;
    assert.ok((await readStored(world, 'b3', b3.storageKey)).equals(bytes), 'copied from the healthy copy');

    assert.equal(await trimmer.trim(key, await trimmer.standing()), 1);
    assert.deepEqual(await copiesOf(world, key), [['b2', 'ok'], ['b3', 'ok']], 'the copy on the open backend went');
  });
});
