// The sink backend speaks enough S3 for the gateway and the benchmark client: plain PUT
// with MD5 ETags and Content-MD5 checks, pattern bytes on GET with Range, HEAD, DELETE,
// multipart with S3's multipart ETag. Real client (AWS SDK), real sockets, own process.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startSink, type SinkProcess } from '../src/index.js';
import { patternBuffer } from '../src/pattern.js';
import { warmHop } from '../src/hop-warmup.js';

let sink: SinkProcess;
let s3: S3Client;
const Bucket = 'data';

before(async () => {
  sink = await startSink();
  s3 = new S3Client({
    endpoint: sink.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

after(async () => {
  s3?.destroy();
  await sink?.stop();
});

const md5 = (b: Buffer) => createHash('md5').update(b);

test('PUT answers the MD5 of the body; GET serves the same bytes back, whole and by range', async () => {
  const body = patternBuffer(300_000);
  const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'dir/a b.bin', Body: body, ContentType: 'text/x-test', Metadata: { who: 'bench' } }));
  assert.equal(put.ETag, `"${md5(body).digest('hex')}"`);

  const whole = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.bin' }));
  assert.deepEqual(Buffer.from(await whole.Body!.transformToByteArray()), body);
  assert.equal(whole.ContentType, 'text/x-test');
  assert.equal(whole.Metadata?.who, 'bench');

  for (const [range, start, end] of [['bytes=1000-70999', 1000, 70999], ['bytes=299990-', 299990, 299999], ['bytes=-7', 299993, 299999]] as const) {
    const part = await s3.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.bin', Range: range }));
    assert.equal(part.ContentRange, `bytes ${start}-${end}/300000`, range);
    assert.deepEqual(Buffer.from(await part.Body!.transformToByteArray()), body.subarray(start, end + 1), range);
  }
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.bin', Range: 'bytes=300000-' })), { name: 'InvalidRange' });

  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/a b.bin' }));
  assert.equal(head.ContentLength, 300_000);
  assert.equal(head.ETag, put.ETag);

  await s3.send(new DeleteObjectCommand({ Bucket, Key: 'dir/a b.bin' }));
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.bin' })), { name: 'NoSuchKey' });
});

test('a body that does not match its Content-MD5 is refused with BadDigest and not stored', async () => {
  const wrong = md5(Buffer.from('something else')).digest('base64');
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket, Key: 'bad', Body: patternBuffer(10), ContentMD5: wrong })), { name: 'BadDigest' });
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket, Key: 'bad' })), { name: 'NotFound' });
});

test('multipart: parts are hashed and Complete answers md5(part md5s)-N', async () => {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp' }));
  const parts = [patternBuffer(5000), patternBuffer(123)];
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: i + 1, Body: body }));
    etags.push(r.ETag!);
  }
  const done = await s3.send(new CompleteMultipartUploadCommand({
    Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
  }));
  const expected = createHash('md5').update(Buffer.concat(parts.map((p) => md5(p).digest()))).digest('hex');
  assert.equal(done.ETag, `"${expected}-2"`);
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'mp' }));
  assert.equal(head.ContentLength, 5123);
  await assert.rejects(s3.send(new CompleteMultipartUploadCommand({
    Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ ETag: etags[0], PartNumber: 1 }] },
  })), { name: 'NoSuchUpload' });
});

test('aws-chunked bodies are refused rather than stored with their framing', async () => {
  const defaults = new S3Client({
    endpoint: sink.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
  });
  try {
    await assert.rejects(
      defaults.send(new PutObjectCommand({ Bucket, Key: 'chunked', Body: Readable.from([patternBuffer(1000)]), ContentLength: 1000 })),
      { name: 'NotImplemented' },
    );
  } finally {
    defaults.destroy();
  }
});

test('a hop warm-up sends PUT, GET and HEAD in turn and leaves its objects readable', async () => {
  const ops = await warmHop(s3, Bucket, 300);
  assert.ok(ops >= 16, `${ops} operations`);
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'warm-up/63' }));
  assert.equal(head.ContentLength, 4096);
  assert.equal(await warmHop(s3, Bucket, 0), 0, 'no warm-up asked, none done');
});
