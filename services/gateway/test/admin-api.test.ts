// The admin API over real HTTP: root-only SigV4 authentication, the cleanup queue and its
// dead letters, and verify against real s3rver backends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '@s3o/store';
import { PHOTOS, ROOT, putBytes, send, startAdminWorld, writeObject, type AdminWorld } from './admin-support.js';

/** Dead-letters every due debt, as the cleanup service does after its last attempt. */
async function deadLetterAll(world: AdminWorld): Promise<number[]> {
  const rows = await world.ledger.claimCleanup(100, Date.now(), 60_000);
  for (const row of rows) await world.ledger.deadLetterCleanup(row.id, 'AccessDenied', []);
  return rows.map((r) => r.id);
}

describe('admin API: authentication', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  test('only requests signed by a key holding the control-plane permission get in; everything else is 403 with no side effect', async () => {
    await world.ledger.enqueueCleanup([{ kind: 'object', backendName: 'b1', storageKey: 'photos/a!1', reason: 'test', sizeBytes: 1 }]);
    const [deadId] = await deadLetterAll(world);

    const unsigned = await send(world.url, { method: 'GET', path: '/admin/api/cleanup-dlq' });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.json.error.code, 'AccessDenied');
    assert.match(unsigned.headers['content-type'] as string, /^application\/json/);
    assert.equal(typeof unsigned.json.request_id, 'string');

    const requeue = { method: 'POST', path: '/admin/api/cleanup-dlq/requeue', body: Buffer.from(JSON.stringify({ ids: [deadId] })) };
    // A bucket's key is a valid key whose user holds no control-plane permission.
    const byBucketKey = await send(world.url, { ...requeue, as: PHOTOS });
    assert.equal(byBucketKey.status, 403);
    assert.equal(byBucketKey.json.error.code, 'AccessDenied');
    assert.match(byBucketKey.json.error.message, /admin-maintain/);
    const unknownKey = await send(world.url, { ...requeue, as: { accessKeyId: 'AKIANOSUCHKEY', secretAccessKey: 'guess' } });
    assert.equal(unknownKey.json.error.code, 'InvalidAccessKeyId');
    const wrongSecret = await send(world.url, { ...requeue, as: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'guess' } });
    assert.equal(wrongSecret.status, 403);
    assert.equal(wrongSecret.json.error.code, 'SignatureDoesNotMatch');
    const tampered = await send(world.url, { ...requeue, as: ROOT, signedBody: Buffer.from('{}') });
    assert.equal(tampered.status, 403, 'a body other than the signed one is refused');
    assert.equal(await world.ledger.deadLetterDepth(), 1, 'none of the refused requests requeued anything');

    const ok = await send(world.url, { ...requeue, as: ROOT });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { requeued: 1 });
    assert.equal(await world.ledger.deadLetterDepth(), 0);
  });

  test('S3 credentials cannot reach the admin API; the root credential holds every permission, S3 ones too', async () => {
    const asS3 = await send(world.url, { method: 'GET', path: '/admin/api/verify', as: PHOTOS });
    assert.equal(asS3.status, 403);
    const rootOnS3 = await send(world.url, { method: 'GET', path: '/photos?list-type=2', as: ROOT });
    assert.equal(rootOnS3.status, 200);
  });

  test('unknown admin paths answer 404 in JSON, after authentication', async () => {
    assert.equal((await send(world.url, { method: 'GET', path: '/admin/api/nope' })).status, 403);
    const unknown = await send(world.url, { method: 'GET', path: '/admin/api/nope', as: ROOT });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'NoSuchEndpoint');
  });

  test('without an auth.root credential the admin API refuses what was the root key', async () => {
    const closed = await startAdminWorld({ root: false });
    try {
      const answer = await send(closed.url, { method: 'GET', path: '/admin/api/cleanup-queue', as: ROOT });
      assert.equal(answer.status, 403);
      assert.equal(answer.json.error.code, 'InvalidAccessKeyId');
    } finally {
      await closed.close();
    }
  });
});

describe('admin API: cleanup queue and dead letters', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  test('lists the queue and the DLQ by id, paged; requeues chosen ids or all of them', async () => {
    const debts = ['k1', 'k2', 'k3', 'k4', 'k5'].map((k, i) => ({
      kind: 'object' as const, backendName: 'b1', storageKey: `photos/${k}!x`, objectKey: `photos/${k}`, reason: 'deleted', sizeBytes: i + 1,
    }));
    await world.ledger.enqueueCleanup(debts.slice(0, 3));
    const deadIds = await deadLetterAll(world);
    await world.ledger.enqueueCleanup(debts.slice(3));

    const queue = await send(world.url, { method: 'GET', path: '/admin/api/cleanup-queue?limit=1', as: ROOT });
    assert.equal(queue.status, 200);
    assert.equal(queue.json.depth, 2);
    assert.equal(queue.json.items.length, 1);
    assert.deepEqual(
      { ...queue.json.items[0], id: 0, created_at: 'x', next_retry: 'x' },
      {
        id: 0, kind: 'object', backend: 'b1', storage_key: 'photos/k4!x', backend_upload_id: null, object_key: 'photos/k4',
        reason: 'deleted', size_bytes: 4, attempts: 0, last_error: null, created_at: 'x', next_retry: 'x',
      },
    );
    const rest = await send(world.url, { method: 'GET', path: `/admin/api/cleanup-queue?limit=1&after=${queue.json.next_after}`, as: ROOT });
    assert.deepEqual(rest.json.items.map((i: { storage_key: string }) => i.storage_key), ['photos/k5!x']);

    const dlq = await send(world.url, { method: 'GET', path: '/admin/api/cleanup-dlq', as: ROOT });
    assert.equal(dlq.json.depth, 3);
    assert.equal(dlq.json.next_after, null);
    assert.deepEqual(dlq.json.items.map((i: { id: number }) => i.id), deadIds);
    assert.equal(dlq.json.items[0].attempts, 1);
    assert.equal(dlq.json.items[0].last_error, 'AccessDenied');
    assert.match(dlq.json.items[0].moved_at, /^\d{4}-\d\d-\d\dT/);

    const some = await send(world.url, {
      method: 'POST', path: '/admin/api/cleanup-dlq/requeue', as: ROOT, body: Buffer.from(JSON.stringify({ ids: [deadIds[1]] })),
    });
    assert.deepEqual(some.json, { requeued: 1 });
    const all = await send(world.url, { method: 'POST', path: '/admin/api/cleanup-dlq/requeue', as: ROOT });
    assert.deepEqual(all.json, { requeued: 2 });
    const after = await send(world.url, { method: 'GET', path: '/admin/api/cleanup-queue', as: ROOT });
    assert.equal(after.json.depth, 5);
    const requeued = after.json.items.filter((i: { id: number }) => deadIds.includes(i.id));
    assert.deepEqual(requeued.map((i: { attempts: number }) => i.attempts), [0, 0, 0]);
    assert.equal((await world.ledger.getQuotas()).find((q) => q.backendName === 'b1')?.orphanBytes, 15, 'still charged, once');
  });

  test('bad parameters and bodies are 400 with nothing changed', async () => {
    await world.ledger.enqueueCleanup([{ kind: 'object', backendName: 'b2', storageKey: 'photos/z!1', reason: 'test', sizeBytes: 1 }]);
    await deadLetterAll(world);
    const depth = await world.ledger.deadLetterDepth();
    assert.equal((await send(world.url, { method: 'GET', path: '/admin/api/cleanup-queue?limit=0', as: ROOT })).status, 400);
    assert.equal((await send(world.url, { method: 'GET', path: '/admin/api/cleanup-dlq?after=-1', as: ROOT })).status, 400);
    for (const body of ['not json', '[1,2]', '{"ids":"all"}', '{"ids":[1.5]}', '{"ids":[-3]}']) {
      const answer = await send(world.url, { method: 'POST', path: '/admin/api/cleanup-dlq/requeue', as: ROOT, body: Buffer.from(body) });
      assert.equal(answer.status, 400, body);
    }
    // A discard always names its dead letters: no body, {} and an empty list are refused too.
    for (const body of ['', '{}', '{"ids":[]}', 'not json', '{"ids":"all"}', '{"ids":[0]}']) {
      const answer = await send(world.url, { method: 'POST', path: '/admin/api/cleanup-dlq/discard', as: ROOT, body: Buffer.from(body) });
      assert.equal(answer.status, 400, body);
      assert.equal(answer.json.error.code, body === 'not json' ? 'MalformedJSON' : 'InvalidArgument', body);
    }
    assert.equal(await world.ledger.deadLetterDepth(), depth);
  });

  test('discard forgets the named dead letters and releases their bytes; only root may', async () => {
    await world.ledger.enqueueCleanup([
      { kind: 'multipart_upload', backendName: 'b2', storageKey: 'photos/mp!1', backendUploadId: 'up-1', reason: 'aborted', sizeBytes: 40 },
      { kind: 'object', backendName: 'b2', storageKey: 'photos/kept!1', reason: 'test', sizeBytes: 2 },
    ]);
    const [mp, kept] = await deadLetterAll(world);
    const orphan = async () => (await world.ledger.getQuotas()).find((q) => q.backendName === 'b2')!.orphanBytes;
    const charged = await orphan();
    const discard = { method: 'POST', path: '/admin/api/cleanup-dlq/discard', body: Buffer.from(JSON.stringify({ ids: [mp] })) };
    assert.equal((await send(world.url, { ...discard, as: PHOTOS })).status, 403);
    assert.equal(await orphan(), charged, 'a refused discard released nothing');

    const done = await send(world.url, { ...discard, as: ROOT });
    assert.equal(done.status, 200);
    assert.deepEqual(done.json, { discarded: 1 });
    assert.equal(await orphan(), charged - 40);
    const left = (await world.ledger.listDeadLetters(null, 100)).map((d) => d.id);
    assert.ok(!left.includes(mp!) && left.includes(kept!));
    assert.deepEqual((await send(world.url, { ...discard, as: ROOT })).json, { discarded: 0 }, 'a second discard finds nothing');
    assert.equal(await orphan(), charged - 40);
  });
});

describe('admin API: verify', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  const verify = async (query = '') => send(world.url, { method: 'GET', path: `/admin/api/verify${query}`, as: ROOT });

  test('reports leaked and missing keys per backend, and ok again after repair', async () => {
    const a = await writeObject(world, 'a.txt', Buffer.from('alpha'), 'b1');
    await writeObject(world, 'b.txt', Buffer.from('bravo!'), 'b1');
    const c = await writeObject(world, 'dir/c.txt', Buffer.from('charlie'), 'b2');
    // Bytes the ledger owes or expects are not leaked: an open intent's, a debt's, a dead letter's.
    const intentId = newId();
    await world.ledger.claim({
      intentId, kind: 'write', objectKey: 'photos/pending', storageKey: `photos/pending!${intentId}`, sizeBytes: 3, candidates: ['b1'], identity: null,
    });
    await putBytes(world.client('b1'), `photos/pending!${intentId}`, Buffer.from('abc'));
    await world.ledger.enqueueCleanup([
      { kind: 'object', backendName: 'b1', storageKey: 'photos/owed!1', reason: 'deleted', sizeBytes: 4 },
      { kind: 'object', backendName: 'b2', storageKey: 'photos/dead!1', reason: 'deleted', sizeBytes: 5 },
    ]);
    await putBytes(world.client('b1'), 'photos/owed!1', Buffer.from('owed'));
    await putBytes(world.client('b2'), 'photos/dead!1', Buffer.from('dead!'));
    await world.ledger.deadLetterCleanup((await world.ledger.listCleanup(null, 10)).find((d) => d.backendName === 'b2')!.id, 'refused', []);
    // Objects outside the orchestrator's prefixes are not its business.
    await putBytes(world.client('b1'), 'someone-else/file', Buffer.from('not ours'));

    const clean = await verify();
    assert.equal(clean.status, 200);
    assert.equal(clean.json.ok, true, JSON.stringify(clean.json));
    const [b1, b2] = clean.json.backends;
    assert.deepEqual(
      { ...b1, leaked: b1.leaked.count, missing: b1.missing.count },
      {
        backend: 'b1', ok: true, error: null, ledger_copies: 2, ledger_bytes: 11, debts: 1, dead_letters: 0, orphan_bytes_owed: 4,
        open_intents: 1, open_uploads: 0, backend_objects: 4, backend_bytes: 5 + 6 + 3 + 4, leaked: 0, missing: 0,
      },
    );
    assert.deepEqual({ copies: b2.ledger_copies, dead: b2.dead_letters, owed: b2.orphan_bytes_owed, objects: b2.backend_objects }, {
      copies: 1, dead: 1, owed: 5, objects: 2,
    });

    // Damage behind the ledger's back: bytes owed to nobody on b1, a copy's bytes gone from b2.
    const leakedKey = `photos/x!${newId()}`;
    await putBytes(world.client('b1'), leakedKey, Buffer.from('leaked bytes'));
    await world.client('b2').deleteObject(c.copies[0]!.storageKey);

    const damaged = await verify();
    assert.equal(damaged.json.ok, false);
    const [d1, d2] = damaged.json.backends;
    assert.equal(d1.ok, false);
    assert.deepEqual(d1.leaked, { count: 1, bytes: 12, keys: [{ storage_key: leakedKey, size: 12 }], truncated: false });
    assert.equal(d1.missing.count, 0);
    assert.equal(d2.ok, false);
    assert.equal(d2.leaked.count, 0);
    assert.deepEqual(d2.missing, {
      count: 1, bytes: 7, keys: [{ storage_key: c.copies[0]!.storageKey, object_key: 'photos/dir/c.txt', size: 7 }], truncated: false,
    });
    const onlyB1 = await verify('?backend=b1');
    assert.deepEqual(onlyB1.json.backends.map((b: { backend: string }) => b.backend), ['b1']);

    // Repair: the leaked bytes deleted, the missing copy restored.
    await world.client('b1').deleteObject(leakedKey);
    await putBytes(world.client('b2'), c.copies[0]!.storageKey, Buffer.from('charlie'));
    const repaired = await verify();
    assert.equal(repaired.json.ok, true, JSON.stringify(repaired.json));
    assert.equal(a.copies[0]!.backendName, 'b1');
  });

  test('key lists are capped by max_keys; the counts stay complete', async () => {
    const keys = [1, 2, 3].map((n) => `photos/leak-${n}!${newId()}`);
    for (const key of keys) await putBytes(world.client('b2'), key, Buffer.from('x'));
    try {
      const answer = await verify('?max_keys=2&backend=b2');
      const [b2] = answer.json.backends;
      assert.equal(b2.leaked.count, 3);
      assert.equal(b2.leaked.bytes, 3);
      assert.equal(b2.leaked.keys.length, 2);
      assert.equal(b2.leaked.truncated, true);
      assert.deepEqual(b2.leaked.keys.map((k: { storage_key: string }) => k.storage_key), keys.slice(0, 2));
    } finally {
      for (const key of keys) await world.client('b2').deleteObject(key);
    }
    assert.equal((await verify('?backend=nope')).status, 400);
    assert.equal((await verify('?max_keys=x')).status, 400);
  });
});
