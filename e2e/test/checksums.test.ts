// The additional checksums (x-amz-checksum-*, docs/architecture.md §6 "Checksums"): what
// default-config SDK clients send is stored and answered with x-amz-checksum-mode: ENABLED,
// so their own response validation runs against it; multipart uploads answer the part and
// COMPOSITE / FULL_OBJECT object checksums as AWS does.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MiB, crc32Base64, expectS3Error, getBytes, patternBytes, startSystem, type E2ESystem } from '../src/index.js';

function crc32Digest(data: Uint8Array): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out;
}

describe('x-amz-checksum-* stored and answered', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let plain: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client(undefined, { maxAttempts: 1 }); // the SDK's defaults: CRC32 on every upload, validation on GET
    plain = sys.client(undefined, { maxAttempts: 1, checksums: 'when-required' });
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  test('a default-config PutObject (header and aws-chunked trailer) answers its CRC32 on GET/HEAD with checksum mode, and the SDK validates it', async () => {
    const data = patternBytes(300 * 1024, 'sum/put');
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/buffer', Body: data }));
    assert.equal(put.ChecksumCRC32, crc32Base64(data));
    // A stream body goes aws-chunked with the CRC32 in the trailer.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/stream', Body: Readable.from([data]), ContentLength: data.length }));
    for (const key of ['sum/buffer', 'sum/stream']) {
      const { body, output } = await getBytes(s3, { Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' });
      assert.ok(body.equals(data));
      assert.equal(output.ChecksumCRC32, crc32Base64(data), key);
      assert.equal(output.ChecksumType, 'FULL_OBJECT');
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(head.ChecksumCRC32, crc32Base64(data));
    }
    // Without checksum mode, and on a range, none (as AWS).
    const { output: noMode } = await getBytes(plain, { Bucket: bucket, Key: 'sum/buffer' });
    assert.equal(noMode.ChecksumCRC32, undefined);
    const { body: ranged, output: rangedOut } = await getBytes(s3, { Bucket: bucket, Key: 'sum/buffer', Range: 'bytes=10-99', ChecksumMode: 'ENABLED' });
    assert.equal(ranged.length, 90);
    assert.equal(rangedOut.ChecksumCRC32, undefined);
  });

  test('SHA256 and CRC64NVME PutObject checksums round-trip; a wrong one is BadDigest and stores nothing', async () => {
    const data = patternBytes(100 * 1024, 'sum/sha');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/sha', Body: data, ChecksumAlgorithm: 'SHA256' }));
    const sha = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sum/sha', ChecksumMode: 'ENABLED' }));
    assert.equal(sha.ChecksumSHA256, createHash('sha256').update(data).digest('base64'));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/nvme', Body: data, ChecksumAlgorithm: 'CRC64NVME' }));
    const nvme = await getBytes(s3, { Bucket: bucket, Key: 'sum/nvme', ChecksumMode: 'ENABLED' }); // validated by the SDK
    assert.ok(nvme.body.equals(data));
    assert.match(nvme.output.ChecksumCRC64NVME ?? '', /^[A-Za-z0-9+/]{11}=$/);
    await expectS3Error(plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/bad', Body: data, ChecksumSHA256: createHash('sha256').update('x').digest('base64') })),
      { code: 'BadDigest', status: 400 });
    await expectS3Error(plain.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sum/bad' })), { status: 404 });
  });

  test('lib-storage (CRC32 by default): parts echo their CRC32, ListParts lists them, the object answers COMPOSITE …-N', async () => {
    const data = patternBytes(11 * MiB, 'sum/mpu');
    const partSize = 5 * MiB;
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: 'sum/mpu', Body: data }, partSize, queueSize: 2 });
    await upload.done();
    const parts = [data.subarray(0, partSize), data.subarray(partSize, 2 * partSize), data.subarray(2 * partSize)];
    const expected = `${crc32Digest(Buffer.concat(parts.map(crc32Digest))).toString('base64')}-3`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'sum/mpu', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, expected);
    assert.equal(head.ChecksumType, 'COMPOSITE');
    const whole = await getBytes(s3, { Bucket: bucket, Key: 'sum/mpu', ChecksumMode: 'ENABLED' });
    assert.ok(whole.body.equals(data));

    // By hand, to see ListParts and Complete's answer.
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sum/hand', ChecksumAlgorithm: 'CRC32' }));
    const done = [];
    for (const [i, body] of parts.entries()) {
      const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'sum/hand', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC32' }));
      assert.equal(out.ChecksumCRC32, crc32Base64(body));
      done.push({ PartNumber: i + 1, ETag: out.ETag!, ChecksumCRC32: out.ChecksumCRC32! });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'sum/hand', UploadId }));
    assert.equal(listed.ChecksumAlgorithm, 'CRC32');
    assert.deepEqual(listed.Parts?.map((p) => p.ChecksumCRC32), parts.map(crc32Base64));
    // A COMPOSITE Complete must list every part's checksum, and a listed one must match.
    await expectS3Error(plain.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'sum/hand', UploadId,
      MultipartUpload: { Parts: done.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) } })), { code: 'InvalidRequest', status: 400 });
    await expectS3Error(plain.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'sum/hand', UploadId,
      MultipartUpload: { Parts: done.map((p, i) => (i === 1 ? { ...p, ChecksumCRC32: crc32Base64('nope') } : p)) } })), { code: 'InvalidPart', status: 400 });
    const completed = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'sum/hand', UploadId, MultipartUpload: { Parts: done } }));
    assert.equal(completed.ChecksumCRC32, expected);
    assert.equal(completed.ChecksumType, 'COMPOSITE');
    const { output: partRead } = await getBytes(s3, { Bucket: bucket, Key: 'sum/hand', PartNumber: 2, ChecksumMode: 'ENABLED' });
    assert.equal(partRead.ChecksumCRC32, undefined, 'a part read carries no object checksum');
  });

  test('a FULL_OBJECT CRC64NVME upload answers the whole object\'s CRC, which the SDK validates on GET', async () => {
    const data = patternBytes(6 * MiB + 123, 'sum/full');
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sum/full', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' }));
    const done = [];
    for (const [i, body] of parts.entries()) {
      const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'sum/full', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC64NVME' }));
      done.push({ PartNumber: i + 1, ETag: out.ETag!, ChecksumCRC64NVME: out.ChecksumCRC64NVME! });
    }
    const completed = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'sum/full', UploadId, MultipartUpload: { Parts: done } }));
    assert.equal(completed.ChecksumType, 'FULL_OBJECT');
    // The same bytes put whole carry the CRC64NVME the SDK computed itself: the derived one must equal it.
    const whole = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sum/full-whole', Body: data, ChecksumAlgorithm: 'CRC64NVME' }));
    assert.equal(completed.ChecksumCRC64NVME, whole.ChecksumCRC64NVME);
    const got = await getBytes(s3, { Bucket: bucket, Key: 'sum/full', ChecksumMode: 'ENABLED' });
    assert.ok(got.body.equals(data));
    assert.equal(got.output.ChecksumCRC64NVME, whole.ChecksumCRC64NVME);
    assert.equal(got.output.ChecksumType, 'FULL_OBJECT');
  });

  test('an upload that chose an algorithm refuses a part without it; a bad choice is refused at Create', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sum/strict', ChecksumAlgorithm: 'SHA1' }));
    await expectS3Error(plain.send(new UploadPartCommand({ Bucket: bucket, Key: 'sum/strict', UploadId, PartNumber: 1, Body: Buffer.from('x') })),
      { code: 'InvalidRequest', status: 400 });
    await expectS3Error(plain.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'sum/x', ChecksumAlgorithm: 'SHA1', ChecksumType: 'FULL_OBJECT' })),
      { code: 'InvalidRequest', status: 400 });
  });
});
