// A 100 MiB object through encryption at rest (docs/architecture.md, "Encryption at rest"), the
// AWS SDK as the client: a streamed PUT and a multipart upload come back whole with the MD5 of
// what was sent, a range in the middle is the plaintext's bytes, the backend holds ciphertext
// of the stored length, and the process (single mode: the orchestrator runs in this process)
// never holds anything near the object in memory — bodies stream chunk by chunk both ways.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { storedLength } from '@s3o/crypto';
import { MiB, patternDigests, patternStream, startMeteredSystem, storedCopies, type MeteredSystem } from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES } from '../src/admin-calls.js';

const SIZE = 100 * MiB;
const CHUNK = 64 * 1024;
const MASTER_KEY = Buffer.alloc(32, 0x3c).toString('base64');
/**
 * Well below the object: a path that buffered a body whole would pass it; the margin is
 * garbage the collector has not taken yet (in distributed mode only the client is measured).
 */
const MEMORY_BOUND = 64 * MiB;

/** Samples the process's buffer and heap memory while `run` runs; returns the growth at the peak. */
async function peakGrowth<T>(run: () => Promise<T>): Promise<{ result: T; grewBy: number }> {
  const used = () => { const m = process.memoryUsage(); return m.arrayBuffers + m.heapUsed; };
  const base = used();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, used()); }, 5);
  try {
    const result = await run();
    peak = Math.max(peak, used());
    return { result, grewBy: peak - base };
  } finally {
    clearInterval(timer);
  }
}

async function md5OfStream(body: AsyncIterable<Uint8Array>): Promise<{ md5: string; bytes: number }> {
  const hash = createHash('md5');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { md5: hash.digest('hex'), bytes };
}

/** Bytes [start, end] of patternStream(size, seed), without holding more than the range. */
async function patternRange(size: number, seed: string, start: number, end: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let at = 0;
  for await (const piece of patternStream(size, seed)) {
    const b = piece as Buffer;
    const from = Math.max(start - at, 0);
    const to = Math.min(end + 1 - at, b.length);
    if (from < to) out.push(b.subarray(from, to));
    at += b.length;
    if (at > end) break;
  }
  return Buffer.concat(out);
}

describe('encryption at rest, 100 MiB', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    m = await startMeteredSystem({
      backends: [{}],
      overrides: { ...ADMIN_AUTH_OVERRIDES, encryption: { enabled: true, key_id: 'e2e-big', master_key: MASTER_KEY, chunk_size: '64KiB' } },
    });
    s3 = m.sys.client();
    bucket = m.sys.bucket.name;
  });
  after(() => m?.stop());

  test('a streamed PUT: whole GET and a ranged GET in the middle, bounded memory', async (t) => {
    const seed = 'big-put';
    const expected = await patternDigests(SIZE, seed);
    const put = await peakGrowth(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'big', Body: patternStream(SIZE, seed), ContentLength: SIZE })));
    assert.equal(put.result.ETag, `"${expected.md5}"`);
    const get = await peakGrowth(async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big' }));
      assert.equal(res.ContentLength, SIZE);
      return md5OfStream(res.Body as AsyncIterable<Uint8Array>);
    });
    assert.deepEqual(get.result, { md5: expected.md5, bytes: SIZE }, 'the same bytes come back');
    t.diagnostic(`memory growth at the peak: PUT ${(put.grewBy / MiB).toFixed(1)} MiB, GET ${(get.grewBy / MiB).toFixed(1)} MiB`);
    assert.ok(put.grewBy < MEMORY_BOUND, `PUT grew memory by ${put.grewBy} bytes`);
    assert.ok(get.grewBy < MEMORY_BOUND, `GET grew memory by ${get.grewBy} bytes`);

    const start = 50 * MiB - 12345;
    const end = start + MiB;
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big', Range: `bytes=${start}-${end}` }));
    const got = Buffer.from(await ranged.Body!.transformToByteArray());
    assert.ok(got.equals(await patternRange(SIZE, seed, start, end)), 'the range is the plaintext\'s bytes');

    const [copy] = await storedCopies(m.sys.backends, bucket, 'big');
    assert.equal(copy?.size, storedLength(SIZE, CHUNK), 'the backend holds the stored length');
  });

  test('a multipart upload of 100 MiB in 20 MiB parts comes back whole and by range, bounded memory', async (t) => {
    const PART = 20 * MiB;
    const parts = SIZE / PART;
    const whole = createHash('md5');
    for (let n = 1; n <= parts; n++) for await (const c of patternStream(PART, `part-${n}`)) whole.update(c as Buffer);
    const expected = whole.digest('hex');
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big-mp' }));
    const upload = await peakGrowth(async () => {
      const etags: Array<{ PartNumber: number; ETag: string }> = [];
      for (let n = 1; n <= parts; n++) {
        const res = await s3.send(new UploadPartCommand({
          Bucket: bucket, Key: 'big-mp', UploadId: up.UploadId, PartNumber: n, Body: patternStream(PART, `part-${n}`), ContentLength: PART,
        }));
        etags.push({ PartNumber: n, ETag: res.ETag! });
      }
      return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big-mp', UploadId: up.UploadId, MultipartUpload: { Parts: etags } }));
    });
    assert.match(upload.result.ETag!, new RegExp(`-${parts}"$`));
    const get = await peakGrowth(async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big-mp' }));
      assert.equal(res.ContentLength, SIZE);
      return md5OfStream(res.Body as AsyncIterable<Uint8Array>);
    });
    assert.deepEqual(get.result, { md5: expected, bytes: SIZE });
    t.diagnostic(`memory growth at the peak: upload ${(upload.grewBy / MiB).toFixed(1)} MiB, GET ${(get.grewBy / MiB).toFixed(1)} MiB`);
    assert.ok(upload.grewBy < MEMORY_BOUND, `the upload grew memory by ${upload.grewBy} bytes`);
    assert.ok(get.grewBy < MEMORY_BOUND, `GET grew memory by ${get.grewBy} bytes`);

    // A range across the boundary of parts 2 and 3.
    const start = 2 * PART - 1000;
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big-mp', Range: `bytes=${start}-${start + 1999}` }));
    const got = Buffer.from(await ranged.Body!.transformToByteArray());
    const want = Buffer.concat([(await patternRange(PART, 'part-2', PART - 1000, PART - 1)), await patternRange(PART, 'part-3', 0, 999)]);
    assert.ok(got.equals(want), 'a range across two parts');
  });
});
