// Answers strict clients depend on, each as AWS gives it: a 304's validators, list encoding,
// an empty continuation token, expired presigned URLs, an empty Content-Type, duplicate parts
// in a Complete, a copy from a bucket the caller may not read, and the per-bucket limit on open
// multipart uploads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  expectS3Error,
  getBytes,
  MiB,
  parseErrorXml,
  patternBytes,
  put,
  rawFetch,
  startSystem,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

const MAIN = 'e2e-main';
const OTHER = 'e2e-other';
/** A third bucket, with a cap on its open multipart uploads. */
const SHARED = 'e2e-shared';
const credentialOf = (name: string) => ({ access_key_id: `${name}-key`, secret_access_key: `${name}-secret-0123456789` });
const UPLOAD_LIMIT = 2;

describe('answers that must match AWS', () => {
  let sys: E2ESystem;
  let s3: S3Client;

  before(async () => {
    sys = await startSystem({
      buckets: [MAIN, OTHER, SHARED],
      overrides: {
        buckets: [
          { name: MAIN, credentials: [credentialOf(MAIN)] },
          { name: OTHER, credentials: [credentialOf(OTHER)] },
          { name: SHARED, credentials: [credentialOf(SHARED)], max_multipart_uploads: UPLOAD_LIMIT },
        ],
      },
    });
    s3 = sys.client(MAIN);
  });
  after(() => sys?.stop());
  const credentials = () => sys.bucket.credentials;

  test('a 304 Not Modified carries ETag and Last-Modified', async () => {
    const { ETag } = await put(s3, { Bucket: MAIN, Key: 'corners/304', Body: 'validators' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: MAIN, Key: 'corners/304' }));
    for (const [name, value] of [['if-none-match', ETag!], ['if-modified-since', head.LastModified!.toUTCString()]] as const) {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawFetch(sys.url, { method, path: `/${MAIN}/corners/304`, headers: { [name]: value }, credentials: credentials() });
        assert.equal(res.status, 304, `${method} with ${name}`);
        assert.equal(res.headers.get('etag'), ETag);
        assert.equal(res.headers.get('last-modified'), head.LastModified!.toUTCString());
        assert.equal(res.body, '');
      }
    }
  });

  test('encoding-type=url percent-encodes keys, prefixes, delimiter and markers with %20, never +', async () => {
    for (const key of ['enc dir/a b+c.txt', 'enc dir/sub dir/x', 'enc dir/z!']) await put(s3, { Bucket: MAIN, Key: key, Body: 'x' });
    const v2 = await rawFetch(sys.url, {
      method: 'GET', path: `/${MAIN}`, credentials: credentials(),
      query: { 'list-type': '2', prefix: 'enc dir/', delimiter: ' ', 'encoding-type': 'url', 'start-after': 'enc dir/a', 'max-keys': '1' },
    });
    assert.equal(v2.status, 200, v2.body);
    assert.match(v2.body, /<Prefix>enc%20dir\/<\/Prefix>/);
    assert.match(v2.body, /<Delimiter>%20<\/Delimiter>/);
    assert.match(v2.body, /<StartAfter>enc%20dir\/a<\/StartAfter>/);
    assert.match(v2.body, /<CommonPrefixes><Prefix>enc%20dir\/a%20<\/Prefix><\/CommonPrefixes>/);
    assert.match(v2.body, /<EncodingType>url<\/EncodingType>/);
    assert.doesNotMatch(v2.body, /\+/);

    const v1 = await rawFetch(sys.url, {
      method: 'GET', path: `/${MAIN}`, credentials: credentials(),
      query: { prefix: 'enc dir/', 'encoding-type': 'url', marker: 'enc dir/a b+c.txt', 'max-keys': '1' },
    });
    assert.equal(v1.status, 200, v1.body);
    assert.match(v1.body, /<Marker>enc%20dir\/a%20b%2Bc.txt<\/Marker>/);
    assert.match(v1.body, /<Contents><Key>enc%20dir\/sub%20dir\/x<\/Key>/);
    assert.match(v1.body, /<NextMarker>enc%20dir\/sub%20dir\/x<\/NextMarker>/);
    const all = await rawFetch(sys.url, { method: 'GET', path: `/${MAIN}`, credentials: credentials(), query: { prefix: 'enc dir/z', 'encoding-type': 'url' } });
    assert.match(all.body, /<Key>enc%20dir\/z%21<\/Key>/);

    // Without encoding-type, values are echoed as sent, XML-escaped only.
    const plain = await rawFetch(sys.url, {
      method: 'GET', path: `/${MAIN}`, credentials: credentials(), query: { 'list-type': '2', prefix: 'enc dir/a b+c', delimiter: '&' },
    });
    assert.match(plain.body, /<Prefix>enc dir\/a b\+c<\/Prefix>/);
    assert.match(plain.body, /<Delimiter>&amp;<\/Delimiter>/);
    assert.match(plain.body, /<Key>enc dir\/a b\+c.txt<\/Key>/);
    assert.doesNotMatch(plain.body, /EncodingType/);
  });

  test('an empty continuation-token is the same as none', async () => {
    await put(s3, { Bucket: MAIN, Key: 'token/a', Body: 'a' });
    await put(s3, { Bucket: MAIN, Key: 'token/b', Body: 'b' });
    const res = await rawFetch(sys.url, {
      method: 'GET', path: `/${MAIN}`, credentials: credentials(), query: { 'list-type': '2', prefix: 'token/', 'continuation-token': '' },
    });
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /<Key>token\/a<\/Key><LastModified>/);
    assert.match(res.body, /<KeyCount>2<\/KeyCount>/);
    assert.doesNotMatch(res.body, /<ContinuationToken>/);
    const sdk = await s3.send(new ListObjectsV2Command({ Bucket: MAIN, Prefix: 'token/', ContinuationToken: '' }));
    assert.deepEqual(sdk.Contents?.map((c) => c.Key), ['token/a', 'token/b']);
  });

  test('an expired presigned URL, also one with a negative X-Amz-Expires, is 403 AccessDenied "Request has expired"', async () => {
    await put(s3, { Bucket: MAIN, Key: 'corners/presigned', Body: 'p' });
    const expired = await getSignedUrl(s3, new GetObjectCommand({ Bucket: MAIN, Key: 'corners/presigned' }), {
      expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60_000),
    });
    const valid = await getSignedUrl(s3, new GetObjectCommand({ Bucket: MAIN, Key: 'corners/presigned' }), { expiresIn: 60 });
    assert.equal((await fetch(valid)).status, 200);
    const negative = await getSignedUrl(s3, new GetObjectCommand({ Bucket: MAIN, Key: 'corners/presigned' }), { expiresIn: -1 });
    assert.match(negative, /X-Amz-Expires=-1/);
    for (const url of [expired, negative]) {
      const res = await fetch(url);
      const body = await res.text();
      assert.equal(res.status, 403, body);
      const err = parseErrorXml(body);
      assert.equal(err.code, 'AccessDenied');
      assert.equal(err.message, 'Request has expired');
      assert.ok(res.headers.get('x-amz-request-id'));
    }
  });

  test('an empty Content-Type on PUT is accepted and stored as the default', async () => {
    const res = await rawFetch(sys.url, {
      method: 'PUT', path: `/${MAIN}/corners/no-type`, headers: { 'content-type': '' }, body: 'typed by nobody', credentials: credentials(),
    });
    assert.equal(res.status, 200, res.body);
    const head = await s3.send(new HeadObjectCommand({ Bucket: MAIN, Key: 'corners/no-type' }));
    assert.equal(head.ContentType, 'binary/octet-stream');
    assert.equal((await getBytes(s3, { Bucket: MAIN, Key: 'corners/no-type' })).body.toString(), 'typed by nobody');
  });

  test('a Complete naming one part number twice is InvalidPartOrder and leaves the upload open', async () => {
    const key = 'corners/dup-parts';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: MAIN, Key: key }));
    const part1 = await s3.send(new UploadPartCommand({ Bucket: MAIN, Key: key, UploadId, PartNumber: 1, Body: patternBytes(5 * MiB, 'dup1') }));
    const part2 = await s3.send(new UploadPartCommand({ Bucket: MAIN, Key: key, UploadId, PartNumber: 2, Body: 'tail' }));
    const complete = (parts: Array<{ PartNumber: number; ETag: string }>) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: MAIN, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    await expectS3Error(complete([{ PartNumber: 1, ETag: part1.ETag! }, { PartNumber: 1, ETag: part1.ETag! }, { PartNumber: 2, ETag: part2.ETag! }]),
      { code: 'InvalidPartOrder', status: 400 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: MAIN, Key: key })), { status: 404 });
    await complete([{ PartNumber: 1, ETag: part1.ETag! }, { PartNumber: 2, ETag: part2.ETag! }]);
    assert.equal((await getBytes(s3, { Bucket: MAIN, Key: key })).body.length, 5 * MiB + 4);
  });

  test('CopyObject from a bucket the caller may not read is AccessDenied and writes nothing (copies between granted buckets: identity.test.ts)', async () => {
    const other = sys.client(OTHER);
    await put(other, { Bucket: OTHER, Key: 'theirs', Body: 'not yours' });
    await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: MAIN, Key: 'corners/stolen', CopySource: `${OTHER}/theirs` })),
      { code: 'AccessDenied', status: 403 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: MAIN, Key: 'corners/stolen' })), { status: 404 });
  });

  test('buckets[].max_multipart_uploads: a bucket at its limit opens no more uploads until one ends', async () => {
    const noRetry = sys.client(SHARED, { maxAttempts: 1 });
    const create = (key: string) => noRetry.send(new CreateMultipartUploadCommand({ Bucket: SHARED, Key: key }));
    const first = await create('limit/1');
    await create('limit/2');
    const err = await expectS3Error(create('limit/3'), { code: 'SlowDown', status: 503 });
    assert.match(err.message, /Too many active multipart uploads/);
    // The limit is the bucket's: another bucket still opens uploads.
    await sys.client(MAIN, { maxAttempts: 1 }).send(new CreateMultipartUploadCommand({ Bucket: MAIN, Key: 'limit/elsewhere' }));
    await noRetry.send(new AbortMultipartUploadCommand({ Bucket: SHARED, Key: 'limit/1', UploadId: first.UploadId }));
    await create('limit/3');
  });

  test('buckets[].max_multipart_uploads holds under concurrent creates: exactly the places left are taken', async () => {
    const noRetry = sys.client(SHARED, { maxAttempts: 1 });
    const open = async () => (await noRetry.send(new ListMultipartUploadsCommand({ Bucket: SHARED }))).Uploads ?? [];
    for (const u of await open()) await noRetry.send(new AbortMultipartUploadCommand({ Bucket: SHARED, Key: u.Key, UploadId: u.UploadId }));
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
      noRetry.send(new CreateMultipartUploadCommand({ Bucket: SHARED, Key: `race/${i}` }))));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, UPLOAD_LIMIT);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as { name?: string }).name, 'SlowDown');
    }
    const listed = await open();
    assert.equal(listed.length, UPLOAD_LIMIT);
    for (const u of listed) await noRetry.send(new AbortMultipartUploadCommand({ Bucket: SHARED, Key: u.Key, UploadId: u.UploadId }));
  });

  testNothingEscaped(() => sys);
});
