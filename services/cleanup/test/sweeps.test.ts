// The stale-multipart sweep and lifecycle expiry against real s3rver backends.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CleanupQueueWorker, LifecycleExpiry, StaleMultipartSweep } from '../src/index.js';
import { assertQueueEmpty, DAY, readBackend, startWorld, writeObject, type World } from './fixture.js';

const HOUR = 60 * 60 * 1000;
const never = new AbortController().signal;

describe('the stale multipart sweep', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ backends: ['b1'] }); // multipart_stale_timeout: 24h (default)
  });
  after(() => world.close());

  /** An upload opened on the backend and in the ledger, with one part recorded. */
  async function openUpload(uploadId: string, key: string, partSize: number): Promise<string> {
    const client = world.client('b1');
    const storageKey = `photos/${key}!${uploadId}`;
    const backendUploadId = await client.createMultipartUpload(storageKey, {});
    await world.ledger.createUpload({
      uploadId, objectKey: `photos/${key}`, backendName: 'b1', backendUploadId, storageKey,
      identity: { contentType: 'application/octet-stream', userMetadata: {}, headers: {} },
    });
    assert.equal(await world.ledger.claimPart(uploadId, 1, partSize), true);
    const etag = await client.uploadPart(storageKey, backendUploadId, 1, Readable.from([Buffer.alloc(partSize, 1)]), partSize);
    await world.ledger.recordPart(uploadId, 1, 'a'.repeat(32), etag, partSize);
    return storageKey;
  }

  test('uploads untouched for the timeout are aborted through the normal abort, as a debt the queue settles', async () => {
    await openUpload('UP-ABANDONED', 'abandoned.bin', 2048);
    await openUpload('UP-SLOW', 'slow.bin', 1024);
    world.clock.now += 23 * HOUR;
    // The slow upload gets another part: it is still in use.
    assert.equal(await world.ledger.claimPart('UP-SLOW', 2, 10), true);
    world.clock.now += 2 * HOUR;
    await openUpload('UP-YOUNG', 'young.bin', 512);

    const counts = await new StaleMultipartSweep(world.deps).pass(never);
    assert.deepEqual(counts, { aborted: 1, skipped: 0 });
    assert.equal(await world.ledger.getUpload('UP-ABANDONED'), null);
    assert.ok(await world.ledger.getUpload('UP-SLOW'));
    assert.ok(await world.ledger.getUpload('UP-YOUNG'));
    const [debt] = await world.ledger.listCleanup(null, 10);
    assert.deepEqual(
      { kind: debt?.kind, reason: debt?.reason, sizeBytes: debt?.sizeBytes, objectKey: debt?.objectKey },
      { kind: 'multipart_upload', reason: 'stale', sizeBytes: 2048, objectKey: 'photos/abandoned.bin' },
    );
    const b1 = (await world.ledger.getQuotas()).find((q) => q.backendName === 'b1');
    assert.equal(b1?.orphanBytes, 2048);
    assert.equal(b1?.inflightBytes, 1024 + 10 + 512, 'the aborted upload no longer holds space');

    // s3rver cannot abort (405): the queue dead-letters the debt at once, still charged, and an
    // operator who settled it discards it (queue-worker.test.ts); a backend that can abort is
    // paid off (e2e/test/multipart-abort.test.ts, against the sink).
    await new CleanupQueueWorker(world.deps).drain();
    await assertQueueEmpty(world);
    const [dead] = await world.ledger.listDeadLetters(null, 10);
    assert.equal(dead?.storageKey, debt?.storageKey);
    assert.equal(await world.ledger.discardDeadLetters([dead!.id]), 1);
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')?.orphanBytes, 0);
    assert.deepEqual(await new StaleMultipartSweep(world.deps).pass(never), { aborted: 0, skipped: 0 });
  });
});

describe('lifecycle expiry', () => {
  let world: World;
  before(async () => {
    world = await startWorld({
      backends: ['b1'],
      buckets: ['photos', 'logs'],
      config: {
        lifecycle: {
          interval: '1m',
          batch_size: 2, // several pages per prefix
          rules: [
            { prefix: 'tmp/', expiration_days: 1 }, // every bucket
            { bucket: 'logs', prefix: '', expiration_days: 3 },
          ],
        },
      },
    });
  });
  after(() => world.close());

  test('expires what each rule selects through the normal delete, with LifecycleExpiration events', async () => {
    const put = (bucket: string, key: string) => writeObject(world, bucket, key, Buffer.from(`${bucket}/${key}`));
    const photosTmp = [await put('photos', 'tmp/a'), await put('photos', 'tmp/b'), await put('photos', 'tmp/c')];
    const kept = await put('photos', 'keep/tmp/x');
    const logsTmp = await put('logs', 'tmp/y');
    const logsOld = await put('logs', 'app.log');
    world.clock.now += 2 * DAY;
    const young = await put('photos', 'tmp/new'); // written after the others: not a day old yet
    const eventsBefore = (await world.ledger.readEventsAfter(0, 1000)).length;

    const lifecycle = new LifecycleExpiry(world.deps);
    assert.deepEqual(await lifecycle.pass(never), { expired: 4 });
    for (const gone of ['photos/tmp/a', 'photos/tmp/b', 'photos/tmp/c', 'logs/tmp/y']) {
      assert.equal(await world.ledger.getObject(gone), null, gone);
    }
    for (const stays of ['photos/keep/tmp/x', 'logs/app.log', 'photos/tmp/new']) assert.ok(await world.ledger.getObject(stays), stays);

    const removed = (await world.ledger.readEventsAfter(0, 1000)).slice(eventsBefore).filter((e) => e.type === 'object.removed');
    assert.equal(removed.length, 4);
    const first = removed.find((e) => e.resource === 'photos/tmp/a');
    assert.deepEqual(first?.data, {
      version: 1, op: 'LifecycleExpiration', bucket: 'photos', key: 'tmp/a',
      copies: [{ backend: 'b1', storage_key: photosTmp[0]!.copies[0]!.storageKey }],
      request_id: null, access_key_id: null, source_ip: null, sequencer: first?.sequencer,
    });
    assert.ok(removed.some((e) => e.data.bucket === 'logs' && e.data.key === 'tmp/y'));

    world.clock.now += 2 * DAY; // logs/app.log is 4 days old, photos/tmp/new 2
    assert.deepEqual(await lifecycle.pass(never), { expired: 2 });
    assert.equal(await world.ledger.getObject('logs/app.log'), null);
    assert.equal(await world.ledger.getObject('photos/tmp/new'), null);
    assert.ok(await world.ledger.getObject('photos/keep/tmp/x'));
    assert.deepEqual(await lifecycle.pass(never), { expired: 0 });

    // The copies were owed; the worker deletes the bytes.
    await new CleanupQueueWorker(world.deps).drain();
    for (const c of [...photosTmp, logsTmp, logsOld, young]) {
      assert.equal(await world.client('b1').headObject(c.copies[0]!.storageKey), null);
    }
    assert.deepEqual(await readBackend(world.client('b1'), kept.copies[0]!.storageKey), Buffer.from('photos/keep/tmp/x'));
  });

  test('a rule that names no bucket also reaches buckets made at run time', async () => {
    await world.ledger.identity.createBucket('made', { buckets: new Set(['photos', 'logs']), backends: new Set(['b1']) });
    await writeObject(world, 'made', 'tmp/old', Buffer.from('old'));
    await writeObject(world, 'made', 'kept', Buffer.from('kept'));
    world.clock.now += 2 * DAY;
    assert.deepEqual(await new LifecycleExpiry(world.deps).pass(never), { expired: 1 });
    assert.equal(await world.ledger.getObject('made/tmp/old'), null);
    assert.ok(await world.ledger.getObject('made/kept'));
  });
});

describe('lifecycle expiry filtered on tags', () => {
  let world: World;
  before(async () => {
    world = await startWorld({
      backends: ['b1'],
      buckets: ['photos'],
      config: {
        lifecycle: {
          interval: '1m',
          rules: [{ prefix: 'logs/', tags: [{ key: 'retention', value: 'short' }, { key: 'team', value: 'ops' }], expiration_days: 1 }],
        },
      },
    });
  });
  after(() => world.close());

  test('only objects under the prefix that carry every tag of the rule expire; tags are judged as they are now', async () => {
    const put = (key: string) => writeObject(world, 'photos', key, Buffer.from(key));
    const tag = (key: string, tags: Record<string, string>) => world.ledger.setObjectTags(`photos/${key}`, tags, () => []);
    await put('logs/both');
    await tag('logs/both', { retention: 'short', team: 'ops', extra: 'x' });
    await put('logs/one');
    await tag('logs/one', { retention: 'short' });
    await put('logs/other-value');
    await tag('logs/other-value', { retention: 'long', team: 'ops' });
    await put('logs/none');
    await put('elsewhere/both');
    await tag('elsewhere/both', { retention: 'short', team: 'ops' });
    await put('logs/untagged-later');
    await tag('logs/untagged-later', { retention: 'short', team: 'ops' });
    await tag('logs/untagged-later', {}); // DeleteObjectTagging before the sweep
    world.clock.now += 2 * DAY;

    assert.deepEqual(await new LifecycleExpiry(world.deps).pass(never), { expired: 1 });
    assert.equal(await world.ledger.getObject('photos/logs/both'), null);
    for (const stays of ['logs/one', 'logs/other-value', 'logs/none', 'elsewhere/both', 'logs/untagged-later']) {
      assert.ok(await world.ledger.getObject(`photos/${stays}`), stays);
    }
  });
});
