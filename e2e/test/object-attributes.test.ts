// GetObjectAttributes and the gateway's default CRC64NVME (docs/architecture.md §6,
// "Checksums"): an object or upload sent without any checksum still answers a FULL_OBJECT
// CRC64NVME with checksum mode, as AWS does since 2025 — computed while the body streams, or
// combined from the parts' at Complete — and copies carry it. GetObjectAttributes answers
// ETag, Checksum, ObjectParts (paged, parts listed when the upload chose a checksum),
// StorageClass and ObjectSize through the real SDK's GetObjectAttributesCommand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, GetObjectAttributesCommand, HeadObjectCommand,
  PutObjectCommand, UploadPartCommand, type ObjectAttributes, type S3Client,
} from '@aws-sdk/client-s3';
import { MiB, crc32Base64, expectS3Error, getBytes, md5Hex, patternBytes, startSystem, type E2ESystem } from '../src/index.js';

const ALL: ObjectAttributes[] = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'];

describe('GetObjectAttributes and the default CRC64NVME', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let plain: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client(undefined, { maxAttempts: 1 }); // SDK defaults: sends CRC32, validates answered checksums
    plain = sys.client(undefined, { maxAttempts: 1, checksums: 'when-required' }); // sends none
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  /** The CRC64NVME the SDK itself computes of `data` (the gateway verifies a PUT against it). */
  async function sdkCrc64(data: Buffer, key: string): Promise<string> {
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ChecksumAlgorithm: 'CRC64NVME' }));
    assert.ok(out.ChecksumCRC64NVME);
    return out.ChecksumCRC64NVME;
  }

  async function completeUpload(client: S3Client, key: string, parts: Buffer[], algorithm?: 'CRC32'): Promise<void> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) }));
    const done = [];
    for (const [i, body] of parts.entries()) {
      const out = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body, ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) }));
      done.push({ PartNumber: i + 1, ETag: out.ETag!, ...(out.ChecksumCRC32 ? { ChecksumCRC32: out.ChecksumCRC32 } : {}) });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  }

  test('a PUT without a checksum answers the CRC64NVME the SDK computes of the same bytes, FULL_OBJECT; copies carry it', async () => {
    const data = patternBytes(700 * 1024 + 5, 'attrs/put');
    const expected = await sdkCrc64(data, 'attrs/put-sdk');
    const put = await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'attrs/put', Body: data }));
    assert.equal(put.ChecksumCRC64NVME, expected, 'PutObject answers it as AWS does');
    const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: 'attrs/put', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC64NVME, expected);
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    const got = await getBytes(s3, { Bucket: bucket, Key: 'attrs/put', ChecksumMode: 'ENABLED' }); // the SDK validates it
    assert.ok(got.body.equals(data));
    assert.equal(got.output.ChecksumCRC64NVME, expected);
    await plain.send(new CopyObjectCommand({ Bucket: bucket, Key: 'attrs/put-copy', CopySource: `${bucket}/attrs/put` }));
    const copied = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: 'attrs/put-copy', ChecksumMode: 'ENABLED' }));
    assert.equal(copied.ChecksumCRC64NVME, expected);
    // A client-sent checksum stays the object's (no default added).
    const head32 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'attrs/put-sdk', ChecksumMode: 'ENABLED' }));
    assert.equal(head32.ChecksumCRC32, undefined);
  });

  test('a multipart upload without checksums gets the CRC64NVME combined from its parts\'; GetObjectAttributes counts its parts', async () => {
    const data = patternBytes(11 * MiB + 77, 'attrs/mpu');
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    await completeUpload(plain, 'attrs/mpu', parts);
    const expected = await sdkCrc64(data, 'attrs/mpu-sdk');
    const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: 'attrs/mpu', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC64NVME, expected);
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    const got = await getBytes(s3, { Bucket: bucket, Key: 'attrs/mpu', ChecksumMode: 'ENABLED' });
    assert.ok(got.body.equals(data));

    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/mpu', ObjectAttributes: ALL }));
    assert.equal(attrs.ETag, head.ETag!.replace(/"/g, ''), 'unquoted, as AWS');
    assert.equal(attrs.ObjectSize, data.length);
    assert.equal(attrs.StorageClass, 'STANDARD');
    assert.equal(attrs.Checksum?.ChecksumCRC64NVME, expected);
    assert.equal(attrs.Checksum?.ChecksumType, 'FULL_OBJECT');
    // No checksum chosen by the client: only the count, as AWS.
    assert.equal(attrs.ObjectParts?.TotalPartsCount, 3);
    assert.equal(attrs.ObjectParts?.Parts, undefined);
    assert.ok(attrs.LastModified instanceof Date);
  });

  test('GetObjectAttributes of a CRC32 multipart object lists its parts with sizes and checksums, paged', async () => {
    const data = patternBytes(12 * MiB + 3, 'attrs/crc');
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    await completeUpload(s3, 'attrs/crc', parts, 'CRC32');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'attrs/crc', ChecksumMode: 'ENABLED' }));
    const all = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/crc', ObjectAttributes: ALL }));
    assert.equal(all.Checksum?.ChecksumType, 'COMPOSITE');
    assert.equal(`${all.Checksum?.ChecksumCRC32}-3`, head.ChecksumCRC32, 'the composite value, without the -N suffix');
    assert.equal(all.ObjectParts?.TotalPartsCount, 3);
    assert.equal(all.ObjectParts?.IsTruncated, false);
    assert.deepEqual(all.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]),
      parts.map((p, i) => [i + 1, p.length, crc32Base64(p)]));

    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/crc', ObjectAttributes: ['ObjectParts'], MaxParts: 2 }));
    assert.equal(first.ObjectParts?.IsTruncated, true);
    assert.equal(first.ObjectParts?.MaxParts, 2);
    assert.deepEqual(first.ObjectParts?.Parts?.map((p) => p.PartNumber), [1, 2]);
    assert.equal(first.ETag, undefined, 'only what was asked for');
    assert.equal(first.ObjectSize, undefined);
    const rest = await s3.send(new GetObjectAttributesCommand({
      Bucket: bucket, Key: 'attrs/crc', ObjectAttributes: ['ObjectParts'], MaxParts: 2, PartNumberMarker: first.ObjectParts?.NextPartNumberMarker,
    }));
    assert.equal(rest.ObjectParts?.IsTruncated, false);
    assert.deepEqual(rest.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]), [[3, parts[2]!.length]]);
  });

  test('GetObjectAttributes of an object written whole: no ObjectParts; errors as AWS', async () => {
    const data = patternBytes(1000, 'attrs/small');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'attrs/small', Body: data }));
    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/small', ObjectAttributes: ALL }));
    assert.equal(attrs.ETag, md5Hex(data));
    assert.equal(attrs.ObjectSize, 1000);
    assert.equal(attrs.Checksum?.ChecksumCRC32, crc32Base64(data));
    assert.equal(attrs.Checksum?.ChecksumType, 'FULL_OBJECT');
    assert.equal(attrs.ObjectParts, undefined);

    await expectS3Error(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/absent', ObjectAttributes: ALL })), { code: 'NoSuchKey', status: 404 });
    await expectS3Error(s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs/small', ObjectAttributes: ['Nonsense' as ObjectAttributes] })),
      { code: 'InvalidArgument', status: 400 });
    await expectS3Error(s3.send(new GetObjectAttributesCommand({ Bucket: 'e2e-other', Key: 'anything', ObjectAttributes: ALL })), { code: 'AccessDenied', status: 403 });
  });
});
