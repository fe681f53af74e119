// A replica or a move streams GET from the source into PUT on the target. Once that PUT has
// started, the target may keep what it received when the copy fails (s3rver keeps a cut-off
// upload), whichever side failed: a source that stalls mid-body (BackendTimeout on its GET)
// fails the PUT it feeds. Such a failure must owe the target's storage key — it was once
// taken as "the target was never written" and the intent dropped, leaking the partial
// bytes. Likewise a copy whose intent the reaper took while it ran (the reaper may have looked
// and its debt been paid before the bytes landed) owes its key again after the copy.
// The source is an s3rver behind a proxy that stalls GET bodies on cue.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { BackendClient } from '@s3o/backends';
import type { IntentRow, LocationRow } from '@s3o/store';
import { Replicator } from '../src/replication/replicator.js';
import { CopyMover } from '../src/relocation/copy-mover.js';
import { logger, startWorld, writeObject, type World } from './fixture.js';
import { StallingProxy } from './stalling-proxy.js';

const SIZE = 1024 * 1024;
const HOUR = 3_600_000;

/** Polls `probe` until it gives a value; fails after 20 s (a deadline, not a timing assertion). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('copies that fail or outlive their intent owe the target key', () => {
  let world: World;
  let proxy: StallingProxy;
  let direct: BackendClient;
  let serial = 0;

  before(async () => {
    world = await startWorld({ backends: { b1: 0, b2: 0 }, config: { replication: { factor: 2 } } });
    // b1 is read through the proxy; the placement code sees only the proxied client.
    proxy = await StallingProxy.start(world.servers.get('b1')!.endpoint);
    direct = world.backends.get('b1')!;
    const b1 = world.config.backends.find((b) => b.name === 'b1')!;
    world.backends.set('b1', new BackendClient({ ...b1, endpoint: proxy.url, timeoutMs: world.config.server.backendTimeoutMs }));
  });
  after(async () => {
    direct?.close();
    await proxy?.stop();
    await world?.close();
  });
  beforeEach(() => proxy.release());

  /** A fresh object with its only copy on b1. */
  async function objectOnB1(): Promise<{ key: string; copy: LocationRow }> {
    const key = `photos/copy-debts/${serial++}`;
    const committed = await writeObject(world, key, Buffer.alloc(SIZE, serial), 'b1');
    return { key, copy: committed.copies[0]! };
  }

  function copyIntent(key: string): Promise<IntentRow> {
    return eventually(`the copy intent of ${key}`, async () =>
      (await world.ledger.listStaleIntents(Date.now() + HOUR, null, 100)).find((i) => i.objectKey === key && i.kind !== 'write'));
  }

  /** Every key on b2 under `key`'s prefix, with what the ledger says of it: a copy, a debt, or nothing. */
  async function b2Holdings(key: string): Promise<Array<{ storageKey: string; size: number; held: 'copy' | 'debt' | 'nothing' }>> {
    const copies = new Set((await world.ledger.getObject(key))?.locations.filter((l) => l.backendName === 'b2').map((l) => l.storageKey));
    const debts = new Set((await world.ledger.listCleanup(null, 1000)).filter((d) => d.backendName === 'b2').map((d) => d.storageKey));
    const listed = (await world.client('b2').listObjects({ prefix: `${key}!` })).keys;
    return listed.map((k) => ({ storageKey: k.key, size: k.size, held: copies.has(k.key) ? 'copy' : debts.has(k.key) ? 'debt' : 'nothing' }));
  }

  /** Waits until s3rver shows what it kept of the cut-off upload at `storageKey`. */
  function keptOnB2(storageKey: string): Promise<number> {
    return eventually(`b2 to show ${storageKey}`, async () => (await world.client('b2').headObject(storageKey))?.size);
  }

  async function failedCopyOwesTarget(copy: (key: string, source: LocationRow) => Promise<void>) {
    const { key, copy: source } = await objectOnB1();
    const stalledBefore = proxy.stalled;
    proxy.stallGets(source.storageKey, 256 * 1024);
    const running = copy(key, source);
    const intent = await copyIntent(key);
    await running;
    assert.equal(proxy.stalled - stalledBefore, 1, 'the source stalled mid-body');
    assert.equal(await world.ledger.getIntent(intent.intentId), null, 'the intent ended');
    const kept = await keptOnB2(intent.storageKey);
    assert.ok(kept < SIZE, `the target kept ${kept} of ${SIZE} bytes of the cut-off upload`);
    assert.deepEqual(await b2Holdings(key), [{ storageKey: intent.storageKey, size: kept, held: 'debt' }], 'the partial bytes on the target are owed');
    const debt = (await world.ledger.listCleanup(null, 1000)).find((d) => d.storageKey === intent.storageKey)!;
    assert.equal(debt.sizeBytes, SIZE, 'charged at the claimed size until deleted');
  }

  test('a replica whose source stalls mid-body owes the target key', async () => {
    const replicator = new Replicator({ config: world.config, ledger: world.ledger, backends: world.backends, logger });
    await failedCopyOwesTarget(async (key) => {
      assert.deepEqual(await replicator.replicate(key), { made: 0, complete: false });
    });
  });

  test('a move whose source stalls mid-body owes the target key', async () => {
    const mover = new CopyMover({ config: world.config, ledger: world.ledger, backends: world.backends, logger });
    await failedCopyOwesTarget(async (key, source) => {
      await assert.rejects(mover.relocate({ copy: source, reason: 'rebalance', targets: ['b2'], dropWhenReplicated: false, leaving: new Set() }), /BackendTimeout|no data/);
      assert.deepEqual((await world.ledger.getObject(key))!.locations.map((l) => l.backendName), ['b1'], 'the object keeps its copy');
    });
  });

  async function outlivedIntentOwesTarget(copy: (key: string, source: LocationRow) => Promise<void>) {
    const { key, copy: source } = await objectOnB1();
    const stalledBefore = proxy.stalled;
    proxy.stallGets(source.storageKey, 0); // the source answers nothing yet: no byte has reached b2
    const running = copy(key, source);
    const intent = await copyIntent(key);
    await eventually('the source GET to be held', async () => (proxy.stalled > stalledBefore ? true : undefined));
    // The reaper takes the intent (its HEAD found the target key empty), and cleanup pays that debt.
    assert.equal(await world.ledger.reapIntent({ intentId: intent.intentId, heartbeatBefore: Date.now() + HOUR, reason: 'stale copy' }), 'owed');
    const paid = (await world.ledger.listCleanup(null, 1000)).find((d) => d.storageKey === intent.storageKey)!;
    await world.client('b2').deleteObject(intent.storageKey);
    await world.ledger.completeCleanup(paid.id);
    // Only now do the bytes flow: the copy completes on b2 after the debt was paid.
    proxy.release();
    await running;
    assert.deepEqual(await b2Holdings(key), [{ storageKey: intent.storageKey, size: SIZE, held: 'debt' }], 'the copy that landed late is owed');
  }

  test('a replica that outlived its intent owes its bytes once they landed', async () => {
    const replicator = new Replicator({ config: world.config, ledger: world.ledger, backends: world.backends, logger });
    await outlivedIntentOwesTarget(async (key) => {
      assert.deepEqual(await replicator.replicate(key), { made: 0, complete: false });
    });
  });

  test('a move that outlived its intent owes its bytes once they landed', async () => {
    const mover = new CopyMover({ config: world.config, ledger: world.ledger, backends: world.backends, logger });
    await outlivedIntentOwesTarget(async (key, source) => {
      assert.deepEqual(await mover.relocate({ copy: source, reason: 'rebalance', targets: ['b2'], dropWhenReplicated: false, leaving: new Set() }), { outcome: 'skipped' });
    });
  });
});
