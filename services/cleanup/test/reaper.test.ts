// The pending-intent reaper against real s3rver backends: each kind of stale intent is
// resolved by what a HEAD finds at its storage key, and only under the leader lock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@s3o/store';
import { PeriodicWorker } from '@s3o/workers';
import { IntentReaper } from '../src/index.js';
import {
  assertQueueEmpty, claimWrite, drainQueue, identityOf, landBytes, md5Hex, readBackend, startWorld, writeObject, type World,
} from './fixture.js';

const MINUTE = 60_000;
const never = new AbortController().signal;

describe('the pending-intent reaper', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ backends: ['b1', 'b2'], unreachable: ['down'] });
  });
  after(() => world.close());

  test('a write whose bytes landed is promoted by the commit rule and readable', async () => {
    const data = Buffer.from('the answer to this PUT was lost');
    const older = await writeObject(world, 'photos', 'landed.txt', Buffer.from('an older version'), 'b2');
    const write = await claimWrite(world, 'photos', 'landed.txt', data.length, 'b1');
    await landBytes(world, write, data);
    const eventsBefore = (await world.ledger.readEventsAfter(0, 1000)).length;
    world.clock.now += 10 * MINUTE; // the gateway died: no heartbeat for longer than min_age (5m)

    const counts = await new IntentReaper(world.deps).pass(never);
    assert.equal(counts.promoted, 1);
    assert.equal(counts.failed, 0);
    assert.equal(await world.ledger.getIntent(write.intentId), null);
    const got = await world.ledger.getObject('photos/landed.txt');
    assert.ok(got);
    assert.equal(got.object.writeId, write.intentId);
    assert.equal(got.object.etag, md5Hex(data), 'the ETag is the MD5 the gateway stored with the bytes');
    assert.equal(got.object.size, data.length);
    assert.deepEqual(got.object.userMetadata, { owner: 'test' });
    assert.deepEqual(got.locations.map((l) => [l.backendName, l.storageKey]), [['b1', write.storageKey]]);
    assert.deepEqual(await readBackend(world.client('b1'), got.locations[0]!.storageKey), data);

    const events = (await world.ledger.readEventsAfter(0, 1000)).slice(eventsBefore);
    assert.deepEqual(events.map((e) => e.type), ['object.created', 'cleanup.enqueued']);
    assert.deepEqual(events[0]!.data, {
      version: 1, op: 'Put', bucket: 'photos', key: 'landed.txt', size: data.length, etag: md5Hex(data), content_type: 'text/plain',
      copies: [{ backend: 'b1', storage_key: write.storageKey }],
      displaced: [{ backend: 'b2', storage_key: older.copies[0]!.storageKey }],
      request_id: null, access_key_id: null, source_ip: null, sequencer: events[0]!.sequencer,
    });
    const quotas = await world.ledger.getQuotas();
    assert.equal(quotas.find((q) => q.backendName === 'b1')?.bytesUsed, data.length);
    assert.equal(quotas.find((q) => q.backendName === 'b2')?.orphanBytes, older.object.size, 'the displaced copy is owed');
  });

  test('a write with no bytes, truncated bytes and stale replicas all become debts', async () => {
    const nothing = await claimWrite(world, 'photos', 'never-sent.bin', 100, 'b1');
    const truncated = await claimWrite(world, 'photos', 'cut-short.bin', 100, 'b1');
    await landBytes(world, truncated, Buffer.alloc(40, 1)); // what s3rver keeps of an aborted upload
    const replicaId = newId(world.clock.now);
    const replicaKey = `photos/copied.bin!${replicaId}`;
    await world.ledger.claim({
      intentId: replicaId, kind: 'replica', objectKey: 'photos/copied.bin', storageKey: replicaKey, sizeBytes: 7, candidates: ['b2'], identity: null,
    });
    await landBytes(world, { intentId: replicaId, objectKey: 'photos/copied.bin', storageKey: replicaKey, backendName: 'b2' }, Buffer.from('replica'));
    const depthBefore = await world.ledger.cleanupDepth();
    world.clock.now += 10 * MINUTE;

    const counts = await new IntentReaper(world.deps).pass(never);
    assert.deepEqual({ absent: counts.absent, incomplete: counts.incomplete, owed: counts.owed, promoted: counts.promoted }, {
      absent: 1, incomplete: 1, owed: 1, promoted: 0,
    });
    for (const id of [nothing.intentId, truncated.intentId, replicaId]) assert.equal(await world.ledger.getIntent(id), null);
    assert.equal(await world.ledger.getObject('photos/cut-short.bin'), null, 'partial bytes are never promoted');
    assert.equal(await world.ledger.getObject('photos/copied.bin'), null);
    const debts = (await world.ledger.listCleanup(null, 100)).slice(depthBefore);
    assert.deepEqual(debts.map((d) => [d.storageKey, d.reason, d.sizeBytes]).sort(), [
      [replicaKey, 'stale replica', 7],
      [truncated.storageKey, 'incomplete write', 100],
      [nothing.storageKey, 'abandoned write', 100],
    ].sort());

    // The worker then deletes those bytes.
    world.clock.now += 1;
    await drainQueue(world);
    await assertQueueEmpty(world);
    assert.equal(await world.client('b1').headObject(truncated.storageKey), null);
    assert.equal(await world.client('b2').headObject(replicaKey), null);
  });

  test('a write whose key a newer write committed meanwhile: its bytes become a debt', async () => {
    const stale = await claimWrite(world, 'photos', 'raced.txt', 5, 'b1');
    await landBytes(world, stale, Buffer.from('stale'));
    const newer = await writeObject(world, 'photos', 'raced.txt', Buffer.from('the newer one'), 'b2');
    world.clock.now += 10 * MINUTE;

    const counts = await new IntentReaper(world.deps).pass(never);
    assert.equal(counts.superseded, 1);
    const got = await world.ledger.getObject('photos/raced.txt');
    assert.equal(got?.object.writeId, newer.object.writeId);
    assert.deepEqual(got?.locations, newer.copies);
    const debts = await world.ledger.listCleanup(null, 100);
    assert.deepEqual(debts.filter((d) => d.storageKey === stale.storageKey).map((d) => [d.reason, d.sizeBytes]), [['superseded', 5]]);
    world.clock.now += 1;
    await drainQueue(world);
    assert.equal(await world.client('b1').headObject(stale.storageKey), null);
    assert.deepEqual(await readBackend(world.client('b2'), newer.copies[0]!.storageKey), Buffer.from('the newer one'));
  });

  test('a write that still heartbeats is left alone; a backend that cannot be asked is tried again later', async () => {
    const live = await claimWrite(world, 'photos', 'uploading.bin', 3, 'b1');
    const unknowable = await claimWrite(world, 'photos', 'elsewhere.bin', 3, 'down');
    world.clock.now += 10 * MINUTE;
    await world.ledger.heartbeat([live.intentId]); // the gateway is alive and still streaming

    const counts = await new IntentReaper(world.deps).pass(never);
    assert.equal(counts.failed, 1, 'the HEAD on the unreachable backend failed');
    assert.equal(counts.promoted + counts.absent + counts.incomplete + counts.owed + counts.superseded, 0);
    assert.ok(await world.ledger.getIntent(live.intentId), 'a live write keeps its intent');
    assert.ok(await world.ledger.getIntent(unknowable.intentId), 'nothing is decided on a guess');

    // Once the live write finishes, the gateway commits as usual.
    await landBytes(world, live, Buffer.from('abc'));
    const done = await world.ledger.commitWrite({ intentId: live.intentId, identity: identityOf(Buffer.from('abc')), events: () => [] });
    assert.equal(done.object.writeId, live.intentId);
    await world.ledger.dropIntent(unknowable.intentId);
  });

  test('runs under the "reaper" leader lock: while another process holds it, nothing is reaped', async () => {
    const write = await claimWrite(world, 'photos', 'led.txt', 4, 'b1');
    await landBytes(world, write, Buffer.from('lead'));
    world.clock.now += 10 * MINUTE;
    const reaper = new IntentReaper(world.deps);
    const sweep = new PeriodicWorker({
      name: 'reaper', lock: 'per-run', locks: world.ledger, intervalMs: MINUTE, logger: world.deps.logger,
      run: (signal) => reaper.pass(signal),
    });
    const other = await world.ledger.tryLeaderLock('reaper');
    assert.ok(other);
    try {
      assert.deepEqual(await sweep.trigger(), { status: 'skipped', reason: 'not-leader' });
      assert.ok(await world.ledger.getIntent(write.intentId));
    } finally {
      await other.release();
    }
    const ran = await sweep.trigger();
    assert.equal(ran.status, 'ok');
    assert.equal(ran.status === 'ok' && ran.counts.promoted, 1);
    assert.equal((await world.ledger.getObject('photos/led.txt'))?.object.writeId, write.intentId);
    await sweep.stop();
  });
});
