// A stale intent whose storage key is empty when the reaper looks is owed, not forgotten:
// the request of the writer that stopped heartbeating can still reach the backend after the
// look (bytes buffered on the way, a backend working through a backlog, a writer cut off from
// the ledger but not from the backend), and a backend that keeps what it received of a
// cut-off upload (s3rver does) then holds bytes no record refers to. Here the late request
// arrives after the reaper's pass and is cut off mid-body; the debt the pass recorded is
// still what deletes it.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { newId } from '@s3o/store';
import { IntentReaper } from '../src/index.js';
import { assertQueueEmpty, claimWrite, drainQueue, startWorld, type World } from './fixture.js';

const MINUTE = 60_000;
const never = new AbortController().signal;

/** A PUT whose client goes away after `sent` of `size` bytes: the backend keeps what it got. */
async function cutOffPut(world: World, backend: string, storageKey: string, size: number, sent: number): Promise<void> {
  const body = new Readable({ read() {} });
  body.push(Buffer.alloc(sent, 7));
  const put = world.client(backend).putObject(storageKey, body, { contentLength: size, contentType: 'application/octet-stream' });
  // Once the backend holds the first bytes, the writer dies mid-body.
  for (;;) {
    const seen = await world.client(backend).headObject(storageKey);
    if (seen && seen.size === sent) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  body.destroy(new Error('the writer died'));
  await assert.rejects(put);
}

describe('the reaper and bytes that land after it looked', () => {
  let world: World;
  before(async () => {
    world = await startWorld({ backends: ['b1'] });
  });
  after(() => world.close());

  for (const kind of ['write', 'replica'] as const) {
    test(`a ${kind} intent found empty is owed, so a cut-off upload arriving later is deleted`, async () => {
      const size = 64 * 1024;
      const intent = kind === 'write'
        ? await claimWrite(world, 'photos', `late-${kind}.bin`, size, 'b1')
        : await (async () => {
          const intentId = newId(world.clock.now);
          const storageKey = `photos/late-${kind}.bin!${intentId}`;
          await world.ledger.claim({ intentId, kind, objectKey: `photos/late-${kind}.bin`, storageKey, sizeBytes: size, candidates: ['b1'], identity: null });
          return { intentId, storageKey };
        })();
      world.clock.now += 10 * MINUTE; // its writer went silent for longer than min_age

      await new IntentReaper(world.deps).pass(never); // its HEAD finds nothing
      assert.equal(await world.ledger.getIntent(intent.intentId), null);
      const owed = (await world.ledger.listCleanup(null, 100)).filter((d) => d.storageKey === intent.storageKey);
      assert.deepEqual(owed.map((d) => [d.backendName, d.sizeBytes]), [['b1', size]], 'the storage key is owed, with the size claimed');

      // The writer's request reaches the backend only now, and is cut off half way.
      await cutOffPut(world, 'b1', intent.storageKey, size, size / 2);
      assert.equal((await world.client('b1').headObject(intent.storageKey))?.size, size / 2, 's3rver kept the partial upload');

      world.clock.now += 1;
      await drainQueue(world);
      await assertQueueEmpty(world);
      assert.equal(await world.client('b1').headObject(intent.storageKey), null, 'the late bytes were deleted');
      const quota = (await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')!;
      assert.deepEqual([quota.bytesUsed, quota.orphanBytes, quota.inflightBytes], [0, 0, 0]);
    });
  }
});
