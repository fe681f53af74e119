// CopyObject inside one virtual bucket: the metadata directives, the self-copy rule, and
// the errors for a missing or a forbidden source.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CopyObjectCommand, DeleteObjectCommand, HeadObjectCommand, type CopyObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import {
  expectS3Error,
  getBytes,
  md5Hex,
  MiB,
  patternBytes,
  put,
  startSystem,
  storedCopies,
  waitUntil,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

describe('CopyObject', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const source = (key: string, from = bucket) => `${from}/${encodeURIComponent(key)}`;
  const copy = (input: Omit<CopyObjectCommandInput, 'Bucket'>) => s3.send(new CopyObjectCommand({ Bucket: bucket, ...input }));
  const head = (key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

  test('COPY (the default) keeps the bytes, Content-Type, standard headers and metadata', async () => {
    const data = patternBytes(100_000, 'copy/src');
    await put(s3, {
      Bucket: bucket,
      Key: 'copy/src',
      Body: data,
      ContentType: 'text/x-source',
      CacheControl: 'max-age=5',
      ContentDisposition: 'inline',
      Metadata: { origin: 'source', n: '1' },
    });
    const out = await copy({ Key: 'copy/dst-copy', CopySource: source('copy/src') });
    assert.equal(out.CopyObjectResult?.ETag, `"${md5Hex(data)}"`);

    const headOut = await head('copy/dst-copy');
    assert.equal(headOut.ContentType, 'text/x-source');
    assert.equal(headOut.CacheControl, 'max-age=5');
    assert.equal(headOut.ContentDisposition, 'inline');
    assert.deepEqual(headOut.Metadata, { origin: 'source', n: '1' });
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'copy/dst-copy' })).body.equals(data));
  });

  test('REPLACE takes the new metadata and Content-Type and drops the old headers', async () => {
    await put(s3, { Bucket: bucket, Key: 'copy/src-r', Body: 'replace me', ContentType: 'text/plain', CacheControl: 'max-age=5', Metadata: { old: 'yes' } });
    await copy({
      Key: 'copy/dst-replace',
      CopySource: source('copy/src-r'),
      MetadataDirective: 'REPLACE',
      ContentType: 'application/json',
      Metadata: { fresh: 'new' },
    });
    const headOut = await head('copy/dst-replace');
    assert.equal(headOut.ContentType, 'application/json');
    assert.deepEqual(headOut.Metadata, { fresh: 'new' });
    assert.equal(headOut.CacheControl, undefined);
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'copy/dst-replace' })).body.toString(), 'replace me');
  });

  test('a copy onto itself with COPY is InvalidRequest; with REPLACE it updates the metadata', async () => {
    await put(s3, { Bucket: bucket, Key: 'copy/self', Body: 'self', Metadata: { v: '1' } });
    await expectS3Error(copy({ Key: 'copy/self', CopySource: source('copy/self') }), { code: 'InvalidRequest', status: 400 });
    await copy({ Key: 'copy/self', CopySource: source('copy/self'), MetadataDirective: 'REPLACE', Metadata: { v: '2' } });
    assert.deepEqual((await head('copy/self')).Metadata, { v: '2' });
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'copy/self' })).body.toString(), 'self');
  });

  test('a missing source is NoSuchKey', async () => {
    await expectS3Error(copy({ Key: 'copy/dst-missing', CopySource: source('copy/does-not-exist') }), { code: 'NoSuchKey', status: 404 });
  });

  test('a source in another configured bucket is AccessDenied', async () => {
    const other = sys.buckets[1]!.name;
    await put(sys.client(other), { Bucket: other, Key: 'foreign', Body: 'not yours' });
    await expectS3Error(copy({ Key: 'copy/stolen', CopySource: source('foreign', other) }), { code: 'AccessDenied', status: 403 });
    await expectS3Error(head('copy/stolen'), { status: 404 });
  });

  test('awkward source keys are decoded from x-amz-copy-source', async () => {
    const key = 'copy/ünï cödé+plus%percent';
    await put(s3, { Bucket: bucket, Key: key, Body: 'awkward' });
    await copy({ Key: 'copy/dst-awkward', CopySource: source(key) });
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'copy/dst-awkward' })).body.toString(), 'awkward');
  });

  test('the copy outlives its deleted source', async () => {
    const data = patternBytes(6 * MiB, 'copy/big');
    await put(s3, { Bucket: bucket, Key: 'copy/big', Body: data });
    await copy({ Key: 'copy/big-copy', CopySource: source('copy/big') });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/big' }));
    // Only once cleanup has removed the source's bytes does the read prove the copy has its own.
    await waitUntil('the source bytes to leave the backend', () => storedCopies(sys.backends, bucket, 'copy/big'), (c) => c.length === 0);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'copy/big-copy' })).body.equals(data), 'the copy lost its bytes');
  });

  testNothingEscaped(() => sys);
});
