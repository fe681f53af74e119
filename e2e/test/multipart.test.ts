// Multipart uploads through the gateway: the composite ETag the gateway computes itself
// (s3rver's own lacks the -N suffix), listings answered from the ledger, abort, and the
// Complete errors S3 clients rely on. lib-storage's Upload drives the whole flow once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  expectS3Error,
  getBytes,
  getDigest,
  KiB,
  md5Hex,
  MiB,
  multipartEtag,
  patternBytes,
  patternStream,
  startSystem,
  storedCopies,
  waitUntil,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

const PART = 5 * MiB;

describe('multipart uploads', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const create = async (key: string, extra: { ContentType?: string; Metadata?: Record<string, string> } = {}) =>
    (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }))).UploadId!;
  const uploadPart = async (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<CompletedPart> => {
    const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }));
    return { PartNumber: partNumber, ETag: out.ETag! };
  };
  const complete = (key: string, uploadId: string, parts: CompletedPart[]) =>
    s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  const abort = (key: string, uploadId: string) => s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));

  test('50 MiB in ten 5 MiB parts: composite ETag, identical bytes, metadata from Create', async () => {
    const key = 'mp/50MiB';
    const uploadId = await create(key, { ContentType: 'application/x-big', Metadata: { kind: 'multipart' } });
    const whole = createHash('sha256');
    const partMd5s: string[] = [];
    const parts: CompletedPart[] = [];
    for (let n = 1; n <= 10; n += 1) {
      const data = patternBytes(PART, `${key}#${n}`);
      whole.update(data);
      partMd5s.push(md5Hex(data));
      // Odd parts as Buffers (CRC32 header), even parts as streams (aws-chunked + trailer).
      const body = n % 2 === 1 ? data : patternStream(PART, `${key}#${n}`);
      const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: PART }));
      assert.equal(out.ETag, `"${md5Hex(data)}"`, `ETag of part ${n}`);
      parts.push({ PartNumber: n, ETag: out.ETag! });
    }
    const done = await complete(key, uploadId, parts);
    const expectedEtag = multipartEtag(partMd5s);
    assert.equal(done.ETag, expectedEtag);

    const headOut = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(headOut.ContentLength, 10 * PART);
    assert.equal(headOut.ETag, expectedEtag);
    assert.equal(headOut.ContentType, 'application/x-big');
    assert.deepEqual(headOut.Metadata, { kind: 'multipart' });

    const got = await getDigest(s3, { Bucket: bucket, Key: key });
    assert.equal(got.bytes, 10 * PART);
    assert.equal(got.sha256, whole.digest('hex'));
    assert.equal(got.output.ETag, expectedEtag);

    // A range across the boundary of parts 3 and 4.
    const start = 3 * PART - 10;
    const ranged = await getBytes(s3, { Bucket: bucket, Key: key, Range: `bytes=${start}-${start + 19}` });
    const expectedRange = Buffer.concat([patternBytes(PART, `${key}#3`).subarray(PART - 10), patternBytes(10, `${key}#4`)]);
    assert.ok(ranged.body.equals(expectedRange), 'a range across two parts returned other bytes');
  });

  test('ListParts and ListMultipartUploads answer for an open upload; Abort ends it', async () => {
    const key = 'mp/listed';
    const uploadId = await create(key);
    const p1 = patternBytes(PART, `${key}#1`);
    const p3 = patternBytes(KiB, `${key}#3`);
    await uploadPart(key, uploadId, 1, p1);
    await uploadPart(key, uploadId, 3, p3);

    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    assert.equal(listed.UploadId, uploadId);
    assert.equal(listed.Key, key);
    assert.deepEqual(
      (listed.Parts ?? []).map((p) => ({ n: p.PartNumber, etag: p.ETag, size: p.Size })),
      [
        { n: 1, etag: `"${md5Hex(p1)}"`, size: PART },
        { n: 3, etag: `"${md5Hex(p3)}"`, size: KiB },
      ],
    );

    const firstPage = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 1 }));
    assert.deepEqual((firstPage.Parts ?? []).map((p) => p.PartNumber), [1]);
    assert.equal(firstPage.IsTruncated, true);
    assert.equal(String(firstPage.NextPartNumberMarker), '1');
    const secondPage = await s3.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: firstPage.NextPartNumberMarker }),
    );
    assert.deepEqual((secondPage.Parts ?? []).map((p) => p.PartNumber), [3]);
    assert.equal(secondPage.IsTruncated, false);

    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'mp/listed' }));
    assert.deepEqual((uploads.Uploads ?? []).map((u) => ({ key: u.Key, id: u.UploadId })), [{ key, id: uploadId }]);

    assert.equal((await abort(key, uploadId)).$metadata.httpStatusCode, 204);
    await expectS3Error(uploadPart(key, uploadId, 2, Buffer.from('late')), { code: 'NoSuchUpload', status: 404 });
    await expectS3Error(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })), { code: 'NoSuchUpload', status: 404 });
    await expectS3Error(complete(key, uploadId, [{ PartNumber: 1, ETag: `"${md5Hex(p1)}"` }]), { code: 'NoSuchUpload', status: 404 });
    const remaining = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'mp/listed' }));
    assert.deepEqual(remaining.Uploads ?? [], []);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { status: 404 });
  });

  test('an upload id is bound to its key', async () => {
    const uploadId = await create('mp/bound');
    await expectS3Error(uploadPart('mp/other-key', uploadId, 1, Buffer.from('x')), { code: 'NoSuchUpload', status: 404 });
    await abort('mp/bound', uploadId);
  });

  test('a part under 5 MiB that is not the last is EntityTooSmall', async () => {
    const key = 'mp/too-small';
    const uploadId = await create(key);
    const parts = [await uploadPart(key, uploadId, 1, patternBytes(MiB, 'small#1')), await uploadPart(key, uploadId, 2, patternBytes(MiB, 'small#2'))];
    await expectS3Error(complete(key, uploadId, parts), { code: 'EntityTooSmall', status: 400 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { status: 404 });

    // The upload stays open after a refused Complete: fix part 1 and complete again.
    const big = patternBytes(PART, 'small#1-again');
    const fixed = [await uploadPart(key, uploadId, 1, big), parts[1]!];
    const done = await complete(key, uploadId, fixed);
    assert.equal(done.ETag, multipartEtag([md5Hex(big), md5Hex(patternBytes(MiB, 'small#2'))]));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength, PART + MiB);
  });

  test('a single small part completes: only the last part may be small', async () => {
    const key = 'mp/one-small-part';
    const data = Buffer.from('tiny multipart object');
    const uploadId = await create(key);
    const done = await complete(key, uploadId, [await uploadPart(key, uploadId, 1, data)]);
    assert.equal(done.ETag, multipartEtag([md5Hex(data)]));
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: key })).body.toString(), data.toString());
  });

  test('a multipart upload over an existing object replaces it and its old bytes leave the backend', async () => {
    const key = 'mp/overwrite';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'the simple old version' }));
    const [oldCopy] = await storedCopies(sys.backends, bucket, key);
    assert.ok(oldCopy, 'the simple PUT left no stored copy');

    const uploadId = await create(key);
    const data = patternBytes(64 * KiB, key);
    await complete(key, uploadId, [await uploadPart(key, uploadId, 1, data)]);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(data));
    await waitUntil(
      'the old version to leave the backend',
      () => storedCopies(sys.backends, bucket, key),
      (copies) => !copies.some((c) => c.storageKey === oldCopy.storageKey),
    );
  });

  test('a wrong part ETag or an unknown part number is InvalidPart', async () => {
    const key = 'mp/invalid-part';
    const uploadId = await create(key);
    const part = await uploadPart(key, uploadId, 1, Buffer.from('part one'));
    await expectS3Error(complete(key, uploadId, [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]), {
      code: 'InvalidPart',
      status: 400,
    });
    await expectS3Error(complete(key, uploadId, [part, { PartNumber: 2, ETag: part.ETag! }]), { code: 'InvalidPart', status: 400 });
    await abort(key, uploadId);
  });

  test('parts listed in descending order are InvalidPartOrder', async () => {
    const key = 'mp/descending';
    const uploadId = await create(key);
    const p1 = await uploadPart(key, uploadId, 1, patternBytes(PART, 'desc#1'));
    const p2 = await uploadPart(key, uploadId, 2, Buffer.from('last'));
    await expectS3Error(complete(key, uploadId, [p2, p1]), { code: 'InvalidPartOrder', status: 400 });
    await abort(key, uploadId);
  });

  test('a re-uploaded part number replaces the earlier part', async () => {
    const key = 'mp/reupload';
    const uploadId = await create(key);
    const first = await uploadPart(key, uploadId, 1, Buffer.from('first version'));
    const second = await uploadPart(key, uploadId, 1, Buffer.from('second version'));
    await expectS3Error(complete(key, uploadId, [first]), { code: 'InvalidPart', status: 400 });
    await complete(key, uploadId, [second]);
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: key })).body.toString(), 'second version');
  });

  test('repeating Complete of a finished upload answers 200 with the same ETag', async () => {
    const key = 'mp/complete-twice';
    const uploadId = await create(key);
    const parts = [await uploadPart(key, uploadId, 1, patternBytes(PART, 'twice#1')), await uploadPart(key, uploadId, 2, Buffer.from('end'))];
    const first = await complete(key, uploadId, parts);
    const again = await complete(key, uploadId, parts);
    assert.equal(again.$metadata.httpStatusCode, 200);
    assert.equal(again.ETag, first.ETag);
  });

  for (const partNumber of [0, 10001]) {
    test(`partNumber ${partNumber} is InvalidArgument`, async () => {
      const key = `mp/part-${partNumber}`;
      const uploadId = await create(key);
      await expectS3Error(uploadPart(key, uploadId, partNumber, Buffer.from('x')), { code: 'InvalidArgument', status: 400 });
      await abort(key, uploadId);
    });
  }

  test('lib-storage Upload of a 12 MiB stream of unknown length', async () => {
    const key = 'mp/lib-storage';
    const size = 12 * MiB;
    const data = patternBytes(size, key);
    const result = await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: patternStream(size, key), ContentType: 'application/octet-stream' },
      partSize: PART,
      queueSize: 2,
    }).done();
    const slices = [data.subarray(0, PART), data.subarray(PART, 2 * PART), data.subarray(2 * PART)];
    assert.equal(result.ETag, multipartEtag(slices.map((s) => md5Hex(s))));
    const got = await getDigest(s3, { Bucket: bucket, Key: key });
    assert.equal(got.bytes, size);
    assert.equal(got.sha256, createHash('sha256').update(data).digest('hex'));
  });

  test('lib-storage Upload of a small stream (a single PutObject)', async () => {
    const key = 'mp/lib-storage-small';
    const data = patternBytes(10 * KiB, key);
    await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: patternStream(data.length, key) }, partSize: PART }).done();
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(data));
  });

  testNothingEscaped(() => sys);
});
