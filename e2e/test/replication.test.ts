// Replication (docs/architecture.md §2 placement): every object reaches `replication.factor` copies on
// distinct backends within seconds of its PUT, each copy byte-identical; an overwrite or a
// delete leaves no copy behind; a copy deleted behind the gateway's back is read around,
// marked missing and made again; an object with more copies than the factor loses the extra;
// copies on a backend hung past replication.unhealthy_threshold are replaced elsewhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { newId, storageKeyForInternal, type Ledger } from '@s3o/store';
import {
  getBytes,
  KiB,
  MiB,
  openSystemLedger,
  patternBytes,
  put,
  readStored,
  startSystem,
  storedCopies,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type StoredCopy,
} from '../src/index.js';

/** Short background intervals: the sweep repairs within a second or two. */
const REPLICATION = { worker_interval: '1s', batch_size: 20, concurrency: 4 };

/**
 * Waits (10 s at most) until `key` has exactly `copies` stored copies on distinct backends and
 * the ledger lists exactly those as its ok copies (a replica's bytes land before its commit),
 * and returns them.
 */
async function waitForCopies(sys: E2ESystem, ledger: Ledger, key: string, copies: number): Promise<StoredCopy[]> {
  const settled = await waitUntil(
    `${key} to have ${copies} copies on distinct backends, as the ledger lists them`,
    async () => {
      const stored = await storedCopies(sys.backends, sys.bucket.name, key);
      const listed = ((await ledger.getObject(`${sys.bucket.name}/${key}`))?.locations ?? []).filter((l) => l.state === 'ok');
      return { stored, listed: listed.map((l) => `${l.backendName}:${l.storageKey}`).sort() };
    },
    ({ stored, listed }) =>
      stored.length === copies && new Set(stored.map((c) => c.backend)).size === copies &&
      stored.map((c) => `${c.backend}:${c.storageKey}`).sort().join() === listed.join(),
  );
  return settled.stored;
}

/** Every stored copy holds exactly `expected`. */
async function assertCopiesHold(sys: E2ESystem, copies: StoredCopy[], expected: Buffer): Promise<void> {
  for (const copy of copies) {
    const backend = sys.backends.find((b) => b.name === copy.backend)!;
    const bytes = await readStored(backend, copy.storageKey);
    assert.ok(bytes.equals(expected), `${copy.backend}:${copy.storageKey} holds other bytes (${bytes.length} vs ${expected.length})`);
  }
}

describe('replication: factor 2', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: {
        server: { backend_timeout: '2s' },
        replication: { factor: 2, ...REPLICATION, unhealthy_threshold: '1s' },
        backend_circuit_breaker: { enabled: true, failure_threshold: 2, open_timeout: '500ms' },
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    sys?.backends[0]?.process.kill('SIGCONT');
    await ledger?.close();
    await sys?.stop();
  });

  test('every object gets a second, byte-identical copy on another backend within 10 s', async () => {
    const objects = [
      { key: 'two/empty', body: Buffer.alloc(0) },
      { key: 'two/small', body: patternBytes(3 * KiB, 'two/small') },
      { key: 'two/dir/nested key with spaces', body: patternBytes(200 * KiB, 'nested') },
      { key: 'two/large', body: patternBytes(9 * MiB, 'two/large') },
    ];
    for (const { key, body } of objects) {
      await put(s3, { Bucket: bucket, Key: key, Body: body });
      const copies = await waitForCopies(sys, ledger, key, 2);
      await assertCopiesHold(sys, copies, body);
      assert.equal(new Set(copies.map((c) => c.storageKey)).size, 2, 'each copy has its own storage key');
    }
    const found = await ledger.getObject(`${bucket}/two/large`);
    assert.deepEqual(found?.locations.map((l) => [l.backendName, l.state]), [['b1', 'ok'], ['b2', 'ok']], 'pack: the first backends with room');
  });

  test('an overwrite while the first version replicates leaves only the new version, twice', async () => {
    const key = 'two/overwritten';
    const v2 = patternBytes(512 * KiB, 'v2');
    await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(4 * MiB, 'v1') });
    await put(s3, { Bucket: bucket, Key: key, Body: v2 });
    // The stale replica (or the old copies) may linger until cleanup: wait for the settled state.
    const copies = await waitUntil(
      `${key}: two copies of v2 only`,
      () => storedCopies(sys.backends, bucket, key),
      (found) => found.length === 2 && found.every((c) => c.size === v2.length) && new Set(found.map((c) => c.backend)).size === 2,
    );
    await assertCopiesHold(sys, copies, v2);
    const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.ok(body.equals(v2));
  });

  test('deleting an object removes every copy', async () => {
    const key = 'two/deleted';
    await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(64 * KiB, key) });
    await waitForCopies(sys, ledger, key, 2);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await waitForCopies(sys, ledger, key, 0);
    assert.equal(await ledger.getObject(`${bucket}/${key}`), null);
  });

  test('a copy deleted behind the gateway is read around, marked missing and made again', async () => {
    const key = 'two/lost-copy';
    const body = patternBytes(100 * KiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    const before = await waitForCopies(sys, ledger, key, 2);
    // The ledger lists the first write's copy first, so the GET tries the deleted one first.
    const first = (await ledger.getObject(`${bucket}/${key}`))!.locations[0]!;
    const backend = sys.backends.find((b) => b.name === first.backendName)!;
    await backend.rawClient.send(new DeleteObjectCommand({ Bucket: backend.bucket, Key: first.storageKey }));

    const { body: read, output } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.equal(output.$metadata.httpStatusCode, 200);
    assert.ok(read.equals(body), 'the GET was answered from the other copy');

    // Marked missing (or already replaced by the repair): never listed as an ok copy again.
    await waitUntil(
      'the lost copy to stop being an ok copy',
      async () => (await ledger.getObject(`${bucket}/${key}`))!.locations,
      (locations) => !locations.some((l) => l.storageKey === first.storageKey && l.state === 'ok'),
    );
    const repaired = await waitUntil(
      'the factor to be restored with ok copies only',
      async () => (await ledger.getObject(`${bucket}/${key}`))!.locations,
      (locations) => locations.length === 2 && locations.every((l) => l.state === 'ok') && !locations.some((l) => l.storageKey === first.storageKey),
    );
    const after = await waitForCopies(sys, ledger, key, 2);
    assert.deepEqual(after.map((c) => c.storageKey).sort(), repaired.map((l) => l.storageKey).sort());
    assert.ok(!after.some((c) => c.storageKey === first.storageKey));
    assert.ok(after.some((c) => !before.some((b) => b.storageKey === c.storageKey)), 'a new copy was made');
    await assertCopiesHold(sys, after, body);
  });

  test('an object with three copies is brought back down to two', async () => {
    const key = 'two/over-replicated';
    const body = patternBytes(256 * KiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    await waitForCopies(sys, ledger, key, 2);
    // A third copy made as a replicator with a higher factor would: claim, copy, commit.
    const objectKey = `${bucket}/${key}`;
    // The bytes of a replica land before its commit: wait for the ledger to list both copies.
    const found = await waitUntil(
      `${key}: two copies in the ledger`,
      async () => (await ledger.getObject(objectKey))!,
      (o) => o.locations.filter((l) => l.state === 'ok').length === 2,
    );
    const spare = sys.backends.find((b) => !found.locations.some((l) => l.backendName === b.name))!;
    const intentId = newId();
    const claim = await ledger.claim({
      intentId, kind: 'replica', objectKey, storageKey: storageKeyForInternal(objectKey, intentId), sizeBytes: body.length,
      candidates: [spare.name], identity: null,
    });
    assert.ok(claim);
    await spare.rawClient.send(new PutObjectCommand({ Bucket: spare.bucket, Key: claim.storageKey, Body: body }));
    const outcome = await ledger.commitReplica({ intentId, writeId: found.object.writeId, events: () => [] });
    assert.equal(outcome.outcome, 'replicated');
    assert.equal((await ledger.getObject(objectKey))!.locations.length, 3);

    const copies = await waitForCopies(sys, ledger, key, 2);
    await assertCopiesHold(sys, copies, body);
    const quotas = await ledger.getQuotas();
    for (const q of quotas) assert.ok(q.bytesUsed >= 0 && q.orphanBytes >= 0, `${q.backendName}: ${JSON.stringify(q)}`);
  });

  // Last in this system: b1 is hung from here on.
  test('copies on a backend hung past unhealthy_threshold stop counting: replaced elsewhere, then trimmed', async () => {
    const written = new Map<string, Buffer>();
    for (let i = 0; i < 4; i++) {
      const key = `health/${i}`;
      written.set(key, patternBytes(32 * KiB, key));
      await put(s3, { Bucket: bucket, Key: key, Body: written.get(key)! });
      await waitForCopies(sys, ledger, key, 2);
    }
    const okCopies = async (key: string) =>
      ((await ledger.getObject(`${bucket}/${key}`))?.locations ?? []).filter((l) => l.state === 'ok').map((l) => l.backendName).sort();
    assert.deepEqual(await okCopies('health/0'), ['b1', 'b2']);

    sys.backends[0]!.process.kill('SIGSTOP');
    for (const key of written.keys()) {
      await waitUntil(`${key}: the copy on hung b1 replaced by one on b3`, () => okCopies(key), (c) => c.join() === 'b2,b3', { timeoutMs: 20_000 });
    }
    for (const [key, body] of written) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), key);

    // Back again: the bytes of the copies dropped from it are deleted.
    sys.backends[0]!.process.kill('SIGCONT');
    for (const [key, body] of written) {
      const copies = await waitUntil(
        `${key}: stored on b2 and b3 only`,
        () => storedCopies(sys.backends, bucket, key),
        (found) => found.map((c) => c.backend).sort().join() === 'b2,b3',
        { timeoutMs: 20_000 },
      );
      await assertCopiesHold(sys, copies, body);
    }
  });

  testNothingEscaped(() => sys);
});

describe('replication: factor 3', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem({ routing: 'spread', overrides: { replication: { factor: 3, ...REPLICATION } } });
    s3 = sys.client();
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('every object gets three byte-identical copies, one per backend, within 10 s', async () => {
    for (const [key, size] of [['three/a', 10 * KiB], ['three/b', 1 * MiB], ['three/c', 6 * MiB]] as const) {
      const body = patternBytes(size, key);
      await put(s3, { Bucket: sys.bucket.name, Key: key, Body: body });
      const copies = await waitForCopies(sys, ledger, key, 3);
      await assertCopiesHold(sys, copies, body);
    }
  });

  testNothingEscaped(() => sys);
});
