// Monthly byte limits end to end (docs/architecture.md §2, the usage service): ingress_byte_limit (bytes sent to a
// backend) and egress_byte_limit (bytes fetched from it). A write whose bytes would pass a
// backend's ingress limit goes to the next backend, and with none left is 507
// InsufficientStorage; a read whose bytes (the object's, or the range's) would pass its
// egress limit is not served there (its only copy: 503 SlowDown). Limits are met exactly: a
// counting proxy in front of each backend shows the bytes that really went in and out. In
// distributed mode writes go through one gateway and reads through the other, so each
// gateway's own figures — which it knows at once — are the ones its limit depends on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  adminUsage, expectS3Error, getBytes, KiB, patternBytes, put, startMeteredSystem, storedCopies, testNothingEscaped, waitUntil,
  type MeteredSystem,
} from '../src/index.js';

const B1_INGRESS = 300 * KiB;
const B1_EGRESS = 250 * KiB;
const B2_INGRESS = 200 * KiB;

describe('usage limits: ingress and egress bytes', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let bucket: string;
  const bodies = new Map<string, Buffer>();

  before(async () => {
    m = await startMeteredSystem({
      backends: [{ ingress_byte_limit: B1_INGRESS, egress_byte_limit: B1_EGRESS }, { ingress_byte_limit: B2_INGRESS }],
      overrides: { usage_flush: { interval: '100ms' }, routing_strategy: 'pack' },
    });
    // No SDK retries: every answer is the gateway's first.
    s3 = m.sys.client(undefined, { maxAttempts: 1 });
    bucket = m.sys.bucket.name;
  });
  after(() => m?.stop());

  const write = async (key: string, size: number) => {
    const body = patternBytes(size, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    bodies.set(key, body);
  };
  const whereIs = async (key: string) => (await storedCopies(m.sys.backends, bucket, key)).map((c) => c.backend);
  const b1Row = async (url = m.sys.url) => (await adminUsage(url)).find((r) => r.backend === 'b1')!;

  test('writes fill b1 exactly to its ingress limit — one that would pass it goes to b2 — then, both full, 507', async () => {
    await write('in/1', 100 * KiB);
    await write('in/2', 100 * KiB);
    // 200 KiB sent: 150 more would pass b1's 300 KiB, so this one goes to b2.
    await write('in/big', 150 * KiB);
    // 100 more reach the limit exactly, which is allowed.
    await write('in/3', 100 * KiB);
    // At the limit nothing more goes, not even one byte.
    await write('in/tiny', 1);
    assert.deepEqual(
      await Promise.all(['in/1', 'in/2', 'in/big', 'in/3', 'in/tiny'].map(whereIs)),
      [['b1'], ['b1'], ['b2'], ['b1'], ['b2']],
    );
    assert.equal(m.proxies[0]!.counts().ingress, B1_INGRESS, 'b1 received exactly its limit');

    // b2 has taken 150 KiB + 1: 60 KiB more would pass its 200 KiB, and b1 is full.
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'in/refused', Body: patternBytes(60 * KiB, 'refused') }), { code: 'InsufficientStorage', status: 507 });
    assert.equal(m.proxies[1]!.counts().ingress, 150 * KiB + 1, 'the refused body never reached a backend');
    // A smaller one still fits on b2.
    await write('in/fits', 40 * KiB);
    assert.deepEqual(await whereIs('in/fits'), ['b2']);

    const row = await b1Row();
    assert.equal(row.limits.ingress_bytes, B1_INGRESS);
    assert.equal(row.effective!.ingress_bytes, B1_INGRESS);
    assert.equal(row.remaining.ingress_bytes, 0);
  });

  test('reads of b1\'s copies stop where the next one would pass its egress limit, ranges counted by their length', async () => {
    // The reads go through the reading gateway: its own figures decide (distributed: the second).
    const reader = m.sys.gatewayUrls.at(-1)!;
    const egress = () => m.proxies[0]!.counts().egress;
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'in/1' })).body.equals(bodies.get('in/1')!));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'in/2' })).body.equals(bodies.get('in/2')!));
    assert.equal(egress(), 200 * KiB);
    // 100 KiB more would pass 250 KiB: its only copy is on b1, so 503 SlowDown, and b1 is not asked.
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'in/3' }), { code: 'SlowDown', status: 503 });
    assert.equal(egress(), 200 * KiB);
    // A range that fits is served: 50 000 bytes.
    const ranged = await getBytes(s3, { Bucket: bucket, Key: 'in/3', Range: 'bytes=0-49999' });
    assert.ok(ranged.body.equals(bodies.get('in/3')!.subarray(0, 50_000)));
    // 1 200 bytes are left (250 KiB = 256 000): 2 000 would pass, 1 200 reach it exactly.
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'in/3', Range: 'bytes=50000-51999' }), { code: 'SlowDown', status: 503 });
    const last = await getBytes(s3, { Bucket: bucket, Key: 'in/3', Range: 'bytes=50000-51199' });
    assert.ok(last.body.equals(bodies.get('in/3')!.subarray(50_000, 51_200)));
    assert.equal(egress(), B1_EGRESS, 'b1 sent exactly its egress limit');
    // At the limit: not even one byte, and not a whole object either.
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'in/1', Range: 'bytes=0-0' }), { code: 'SlowDown', status: 503 });
    // b2 has no egress limit: its objects are served as before.
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'in/big' })).body.equals(bodies.get('in/big')!));
    assert.equal(egress(), B1_EGRESS);

    const row = await b1Row(reader);
    assert.equal(row.limits.egress_bytes, B1_EGRESS);
    assert.equal(row.effective!.egress_bytes, B1_EGRESS);
    assert.equal(row.remaining.egress_bytes, 0);
  });

  test('deletes still go through on a backend at both limits, and the folded totals match what the backends saw', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'in/1' }));
    await waitUntil('the deleted bytes to go from b1', () => whereIs('in/1'), (w) => w.length === 0, { timeoutMs: 30_000 });
    const seen = m.proxies[0]!.counts();
    await waitUntil('the folded totals to show what b1 saw', async () => (await b1Row()),
      (row) => row.ingress_bytes === seen.ingress && row.egress_bytes === seen.egress, { timeoutMs: 30_000 });
  });

  testNothingEscaped(() => m.sys);
});
