// Monthly usage limits (docs/architecture.md §2 "usage"), single mode — one process, so its view of a
// backend's usage is exact and a limit is met exactly (two gateways: usage-distributed.test.ts).
// Each backend sits behind a counting proxy that shows which backend really got what.
// A request limit reached mid-workload sends writes to the other backend and reads to
// another copy; with every backend over, writes are 507 InsufficientStorage and reads 503
// SlowDown; deletes still go through.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { newId, type Ledger } from '@s3o/store';
import {
  adminUsage, expectS3Error, getBytes, KiB, openSystemLedger, patternBytes, put, startMeteredSystem, storedCopies,
  testNothingEscaped, waitUntil, type MeteredSystem,
} from '../src/index.js';

describe('usage limits: a request limit reached mid-workload', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;
  const body = (k: string) => patternBytes(2 * KiB, k);

  before(async () => {
    // b1 may take 10 requests this month, b2 8; pack sends writes to b1 first.
    m = await startMeteredSystem({
      backends: [{ api_request_limit: 10 }, { api_request_limit: 8 }],
      mode: 'single',
      overrides: { usage_flush: { interval: '100ms' }, routing_strategy: 'pack' },
    });
    s3 = m.sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(m.sys);
    bucket = m.sys.bucket.name;
  });
  after(async () => {
    await ledger?.close();
    await m?.stop();
  });

  const whereIs = async (key: string) => (await storedCopies(m.sys.backends, bucket, key)).map((c) => c.backend).sort();

  test('writes fill b1 to its limit exactly, then go to b2', async () => {
    for (let i = 1; i <= 11; i++) await put(s3, { Bucket: bucket, Key: `lim/${i}`, Body: body(`lim/${i}`) });
    for (let i = 1; i <= 10; i++) assert.deepEqual(await whereIs(`lim/${i}`), ['b1'], `lim/${i}`);
    assert.deepEqual(await whereIs('lim/11'), ['b2']);
    assert.equal(m.proxies[0]!.counts().requests, 10, 'b1 got exactly its limit');
  });

  test('a read goes to another copy; with no copy left under its limit it is 503 SlowDown', async () => {
    // lim/1 gets a second copy on b2 the way the placement service makes one: a replica
    // intent, the bytes copied (straight to the s3rver: setup, not workload), the commit.
    const found = (await ledger.getObject(`${bucket}/lim/1`))!;
    const intentId = newId();
    const storageKey = `${bucket}/lim/1!${intentId}`;
    const claim = await ledger.claim({ intentId, kind: 'replica', objectKey: `${bucket}/lim/1`, storageKey, sizeBytes: found.object.size, candidates: ['b2'], identity: null });
    assert.equal(claim?.backendName, 'b2');
    await m.sys.backends[1]!.rawClient.send(new PutObjectCommand({ Bucket: m.sys.backends[1]!.bucket, Key: storageKey, Body: body('lim/1') }));
    const outcome = await ledger.commitReplica({ intentId, writeId: found.object.writeId, events: () => [] });
    assert.equal(outcome.outcome, 'replicated');

    const b1Before = m.proxies[0]!.counts().requests;
    const b2Before = m.proxies[1]!.counts();
    const got = await getBytes(s3, { Bucket: bucket, Key: 'lim/1' });
    assert.deepEqual(got.body, body('lim/1'));
    assert.equal(m.proxies[0]!.counts().requests, b1Before, 'b1 (over its limit) was not asked');
    assert.equal(m.proxies[1]!.counts().byKind['GET'], (b2Before.byKind['GET'] ?? 0) + 1, 'b2 served the read');

    // lim/2 has its only copy on b1.
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'lim/2' }), { code: 'SlowDown', status: 503 });
  });

  test('with every backend over its limit writes are 507 and reads 503 SlowDown; deletes still go through', async () => {
    // b2 has had 2 requests (lim/11 and the read): 6 more writes reach its limit of 8.
    for (let i = 12; i <= 17; i++) await put(s3, { Bucket: bucket, Key: `lim/${i}`, Body: body(`lim/${i}`) });
    for (let i = 12; i <= 17; i++) assert.deepEqual(await whereIs(`lim/${i}`), ['b2'], `lim/${i}`);
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'lim/18', Body: body('lim/18') }), { code: 'InsufficientStorage', status: 507 });
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'lim/1' }), { code: 'SlowDown', status: 503 });
    assert.deepEqual([m.proxies[0]!.counts().requests, m.proxies[1]!.counts().requests], [10, 8], 'no backend passed its limit');

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'lim/3' }));
    await waitUntil('the deleted bytes to go from b1', () => whereIs('lim/3'), (w) => w.length === 0, { timeoutMs: 20_000 });
    // The delete's marker (written beside the copy before the ledger let go of it) goes after the
    // bytes; the debt's row goes only once both DELETEs succeeded. A retried attempt (a slow
    // answer on a loaded machine) sends them again — deletes are idempotent — so b1 counts at
    // least two.
    await waitUntil('the cleanup debt of lim/3 to be settled on b1 over its limit',
      async () => (await ledger.listCleanup(null, 1000)).filter((r) => r.objectKey === `${bucket}/lim/3`).length, (n) => n === 0, { timeoutMs: 20_000 });
    assert.ok((m.proxies[0]!.counts().byKind['DELETE'] ?? 0) >= 2, 'the bytes and the delete marker were deleted on b1');

    const rows = await adminUsage(m.sys.url);
    const b1 = rows.find((r) => r.backend === 'b1')!;
    assert.equal(b1.limits.api_requests, 10);
    assert.equal(b1.remaining.api_requests, 0);
  });

  testNothingEscaped(() => m.sys);
});
