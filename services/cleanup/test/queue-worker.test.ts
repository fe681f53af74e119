// The cleanup queue worker against real s3rver backends: deletions, backoff, the dead-letter
// queue after max_attempts, requeue, and multipart debts.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CleanupQueueWorker } from '../src/index.js';
import { CONFIRMING_NOTE } from '../src/queue-worker.js';
import { assertQueueEmpty, claimWrite, landBytes, restartS3rver, startWorld, writeObject, type World } from './fixture.js';

const SECOND = 1000;

describe('the cleanup queue worker', () => {
  let world: World;
  before(async () => {
    // max_attempts 3, backoff_base 1s, backoff_max 3s (fixture defaults)
    world = await startWorld({ backends: ['b1', 'flaky'], restartable: ['flaky'] });
  });
  after(() => world.close());

  test('deletes owed bytes and releases their orphan bytes; a key already gone counts as deleted', async () => {
    const written = await writeObject(world, 'photos', 'doomed.txt', Buffer.from('bye'), 'b1');
    await world.ledger.deleteObject('photos/doomed.txt', () => []);
    await world.ledger.enqueueCleanup([{ kind: 'object', backendName: 'b1', storageKey: 'photos/never-existed!X', reason: 'test', sizeBytes: 9 }]);
    await new CleanupQueueWorker(world.deps).drain();
    await assertQueueEmpty(world);
    assert.equal(await world.client('b1').headObject(written.copies[0]!.storageKey), null);
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')?.orphanBytes, 0);
  });

  test('a backend that refuses deletes: backoff base·2^attempts, then the DLQ (still charged), then requeue', async () => {
    const flaky = world.servers.get('flaky')!;
    const written = await writeObject(world, 'photos', 'stuck.txt', Buffer.from('cannot delete me yet'), 'flaky');
    const storageKey = written.copies[0]!.storageKey;
    await world.ledger.deleteObject('photos/stuck.txt', () => []);
    const eventsBefore = (await world.ledger.readEventsAfter(0, 1000)).length;
    await flaky.stop(); // its port is closed now

    const worker = new CleanupQueueWorker(world.deps);
    const t0 = world.clock.now;
    await worker.drain();
    let [row] = await world.ledger.listCleanup(null, 10);
    assert.deepEqual({ attempts: row?.attempts, nextRetry: row?.nextRetry }, { attempts: 1, nextRetry: t0 + 1 * SECOND });
    assert.match(row?.lastError ?? '', /flaky/);

    world.clock.now = t0 + 1 * SECOND;
    await worker.drain();
    [row] = await world.ledger.listCleanup(null, 10);
    assert.deepEqual({ attempts: row?.attempts, nextRetry: row?.nextRetry }, { attempts: 2, nextRetry: t0 + 3 * SECOND }, 'base·2^1');

    world.clock.now = t0 + 2 * SECOND;
    await worker.drain();
    assert.equal((await world.ledger.listCleanup(null, 10))[0]?.attempts, 2, 'not due yet: untouched');

    world.clock.now = t0 + 3 * SECOND;
    await worker.drain(); // the third failure: max_attempts reached
    await assertQueueEmpty(world);
    const [dead] = await world.ledger.listDeadLetters(null, 10);
    assert.ok(dead);
    assert.deepEqual(
      { id: dead.id, storageKey: dead.storageKey, attempts: dead.attempts, backend: dead.backendName, size: dead.sizeBytes },
      { id: row!.id, storageKey, attempts: 3, backend: 'flaky', size: written.object.size },
    );
    assert.match(dead.lastError ?? '', /flaky/);
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'flaky')?.orphanBytes, written.object.size);
    const events = (await world.ledger.readEventsAfter(0, 1000)).slice(eventsBefore);
    assert.deepEqual(events.map((e) => [e.type, e.resource]), [['cleanup.dead_lettered', 'flaky']]);
    assert.deepEqual({ ...events[0]!.data, last_error: 'x' }, {
      version: 1, id: dead.id, backend: 'flaky', kind: 'object', storage_key: storageKey, object_key: 'photos/stuck.txt',
      attempts: 3, last_error: 'x',
    });

    // The backend comes back (same port, same files): requeue and the debt is paid.
    const revived = await restartS3rver(world, 'flaky');
    try {
      assert.ok(await world.client('flaky').headObject(storageKey), 'the bytes are still there');
      assert.equal(await world.ledger.requeueDeadLetters([dead.id]), 1);
      const [requeued] = await world.ledger.listCleanup(null, 10);
      assert.deepEqual({ id: requeued?.id, attempts: requeued?.attempts }, { id: dead.id, attempts: 0 });
      await worker.drain();
      await assertQueueEmpty(world);
      assert.equal(await world.ledger.deadLetterDepth(), 0);
      assert.equal(await world.client('flaky').headObject(storageKey), null);
      assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'flaky')?.orphanBytes, 0);
    } finally {
      await revived.stop();
    }
  });

  test('an in-doubt debt (an abandoned write) is settled by a second DELETE confirm_delay later: bytes a held PUT stores after the first go too', async () => {
    const confirmDelay = world.deps.config.cleanupQueue.confirmDelayMs;
    assert.equal(confirmDelay, 60 * SECOND, 'the default');
    const data = Buffer.from('held by a frozen backend');
    const write = await claimWrite(world, 'photos', 'held.txt', data.length, 'b1');
    await landBytes(world, write, data);
    await world.ledger.abandonIntent(write.intentId, 'failed write'); // the gateway gave up on it
    const [owed] = await world.ledger.listCleanup(null, 10);
    assert.deepEqual({ storageKey: owed?.storageKey, inDoubt: owed?.inDoubt }, { storageKey: write.storageKey, inDoubt: true });

    const worker = new CleanupQueueWorker(world.deps);
    const deletedAt = world.clock.now;
    assert.deepEqual(await worker.drain(), { deleted: 0, failed: 0, deadLettered: 0, confirming: 1 });
    assert.equal(await world.client('b1').headObject(write.storageKey), null, 'the first DELETE ran');
    const [row] = await world.ledger.listCleanup(null, 10);
    assert.deepEqual(
      { attempts: row?.attempts, nextRetry: row?.nextRetry, lastError: row?.lastError, inDoubt: row?.inDoubt },
      { attempts: 0, nextRetry: deletedAt + confirmDelay, lastError: CONFIRMING_NOTE, inDoubt: false },
      'kept, no attempt counted, due confirm_delay later',
    );
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')?.orphanBytes, data.length, 'still charged');

    // The PUT the backend held lands after the first DELETE.
    await landBytes(world, write, data);
    world.clock.now = deletedAt + confirmDelay - 1;
    await worker.drain();
    assert.equal((await world.ledger.listCleanup(null, 10)).length, 1, 'not due yet');
    world.clock.now = deletedAt + confirmDelay;
    assert.deepEqual(await worker.drain(), { deleted: 1, failed: 0, deadLettered: 0, confirming: 0 });
    await assertQueueEmpty(world);
    assert.equal(await world.client('b1').headObject(write.storageKey), null, 'the late bytes are gone too');
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')?.orphanBytes, 0);
  });

  test('a backend that cannot abort (s3rver: 405): the debt goes to the DLQ at once, still charged, saying what is left; discarding releases it', async () => {
    const client = world.client('b1');
    const storageKey = 'photos/big.bin!UPLOAD1';
    const backendUploadId = await client.createMultipartUpload(storageKey, { contentType: 'application/octet-stream' });
    await client.uploadPart(storageKey, backendUploadId, 1, Readable.from([Buffer.alloc(1024, 7)]), 1024);
    // A Complete that reached the backend but not the ledger leaves an object at the key.
    await client.putObject(storageKey, Readable.from([Buffer.from('completed')]), { contentLength: 9 });
    await world.ledger.enqueueCleanup([
      { kind: 'multipart_upload', backendName: 'b1', storageKey, backendUploadId, objectKey: 'photos/big.bin', reason: 'stale', sizeBytes: 1024 },
    ]);
    const orphanBefore = (await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')!.orphanBytes;
    const eventsBefore = (await world.ledger.readEventsAfter(0, 1000)).length;
    await new CleanupQueueWorker(world.deps).drain();

    await assertQueueEmpty(world, 'not retried: retrying cannot make the backend abort');
    const dead = (await world.ledger.listDeadLetters(null, 10)).find((d) => d.storageKey === storageKey);
    assert.ok(dead, 'the debt is in the dead-letter queue');
    assert.equal(dead.attempts, 1, 'dead-lettered on the first answer');
    assert.equal(dead.backendUploadId, backendUploadId);
    assert.match(dead.lastError ?? '', new RegExp(`cannot abort multipart uploads \\(405 MethodNotAllowed\\).*upload ${backendUploadId}.*stay on the backend`));
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')!.orphanBytes, orphanBefore, 'the parts stay charged');
    assert.equal(await client.headObject(storageKey), null, 'an object at the storage key is deleted all the same');
    const events = (await world.ledger.readEventsAfter(0, 1000)).slice(eventsBefore);
    assert.deepEqual(events.map((e) => [e.type, e.data.storage_key]), [['cleanup.dead_lettered', storageKey]], 'operators are told');

    // The operator settled it with the provider: discarding releases the bytes.
    assert.equal(await world.ledger.discardDeadLetters([dead.id]), 1);
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')!.orphanBytes, orphanBefore - 1024);
    assert.equal(await world.ledger.deadLetterDepth(), 0);
  });
});
