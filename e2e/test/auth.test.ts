// Authentication and authorisation at the gateway: presigned URLs, every way a signature
// can be wrong, the clock-skew window, per-bucket credentials — and that every refusal is
// an S3 XML error with a request id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  crc32Base64,
  expectS3Error,
  getBytes,
  md5Hex,
  parseErrorXml,
  put,
  rawFetch,
  sha256Hex,
  startSystem,
  testNothingEscaped,
  type E2ESystem,
  type RawResponse,
} from '../src/index.js';

const MINUTE_MS = 60_000;

describe('authentication and authorisation', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let other: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
    other = sys.buckets[1]!.name;
    await put(s3, { Bucket: bucket, Key: 'auth/object', Body: 'secret contents' });
    await put(sys.client(other), { Bucket: other, Key: 'theirs', Body: 'their contents' });
  });
  after(() => sys?.stop());

  /** Asserts the S3 error shape every refusal must have. */
  function assertXmlError(res: RawResponse, status: number, code: string) {
    assert.equal(res.status, status, `status; body: ${res.body}`);
    const error = parseErrorXml(res.body);
    assert.equal(error.code, code, res.body);
    assert.ok(error.requestId, `no <RequestId> in ${res.body}`);
    assert.equal(res.headers.get('x-amz-request-id'), error.requestId, 'x-amz-request-id header differs from <RequestId>');
  }

  test('a presigned GET works with plain fetch', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'auth/object' }), { expiresIn: 300 });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'secret contents');
  });

  test('a presigned PUT works with plain fetch', async () => {
    const key = 'auth/presigned-put';
    // WHEN_REQUIRED: a default-configured SDK pins the CRC32 of an empty body into presigned
    // PUT URLs, which S3 (and the next test) refuse for any other body.
    const url = await getSignedUrl(sys.client(bucket, { checksums: 'when-required' }), new PutObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 300,
    });
    const res = await fetch(url, { method: 'PUT', body: 'uploaded through a presigned URL' });
    assert.equal(res.status, 200, await res.text());
    assert.equal(res.headers.get('etag'), `"${md5Hex('uploaded through a presigned URL')}"`);
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: key })).body.toString(), 'uploaded through a presigned URL');
  });

  test('a presigned PUT applies the x-amz-meta-* signed into its query', async () => {
    const key = 'auth/presigned-meta';
    const plain = sys.client(bucket, { checksums: 'when-required' });
    const url = await getSignedUrl(plain, new PutObjectCommand({ Bucket: bucket, Key: key, Metadata: { origin: 'presigned' } }), { expiresIn: 300 });
    assert.match(url, /x-amz-meta-origin=presigned/, 'the SDK hoists x-amz-meta-* into the query');
    const res = await fetch(url, { method: 'PUT', body: 'with metadata' });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata, { origin: 'presigned' });
  });

  test('a presigned PUT verifies the checksum signed into its query', async () => {
    const plain = sys.client(bucket, { checksums: 'when-required' });
    const body = 'checksummed through a presigned URL';
    const good = await getSignedUrl(plain, new PutObjectCommand({ Bucket: bucket, Key: 'auth/presigned-crc-good', ChecksumCRC32: crc32Base64(body) }), {
      expiresIn: 300,
    });
    const ok = await fetch(good, { method: 'PUT', body });
    assert.equal(ok.status, 200, await ok.text());

    // The CRC32 of an empty body: what a default-configured SDK pins into every presigned PUT.
    const bad = await getSignedUrl(plain, new PutObjectCommand({ Bucket: bucket, Key: 'auth/presigned-crc-bad', ChecksumCRC32: 'AAAAAA==' }), {
      expiresIn: 300,
    });
    const refused = await fetch(bad, { method: 'PUT', body });
    assertXmlError({ status: refused.status, headers: refused.headers, body: await refused.text() }, 400, 'BadDigest');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'auth/presigned-crc-bad' })), { status: 404 });
  });

  test('an expired presigned URL is 403 AccessDenied', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'auth/object' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 10 * MINUTE_MS),
    });
    const res = await fetch(url);
    assertXmlError({ status: res.status, headers: res.headers, body: await res.text() }, 403, 'AccessDenied');
  });

  test('a presigned URL for one key does not open another', async () => {
    const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'auth/object' }), { expiresIn: 300 }));
    url.pathname = `/${bucket}/auth/presigned-put`;
    const res = await fetch(url);
    assertXmlError({ status: res.status, headers: res.headers, body: await res.text() }, 403, 'SignatureDoesNotMatch');
  });

  test('a wrong secret is SignatureDoesNotMatch', async () => {
    const wrong = sys.client(bucket, { credentials: { ...sys.bucket.credentials, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    await expectS3Error(wrong.send(new ListObjectsV2Command({ Bucket: bucket })), { code: 'SignatureDoesNotMatch', status: 403 });
    await expectS3Error(put(wrong, { Bucket: bucket, Key: 'auth/forged', Body: 'forged' }), { code: 'SignatureDoesNotMatch', status: 403 });
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'auth/forged' })), { code: 'NoSuchKey', status: 404 });
  });

  test('an unknown access key id is InvalidAccessKeyId', async () => {
    const stranger = sys.client(bucket, { credentials: { accessKeyId: 'AKIDNOBODYKNOWS', secretAccessKey: 'whatever' }, maxAttempts: 1 });
    await expectS3Error(stranger.send(new ListObjectsV2Command({ Bucket: bucket })), { code: 'InvalidAccessKeyId', status: 403 });
  });

  for (const [label, offsetMs] of [['20 minutes old', -20 * MINUTE_MS], ['20 minutes ahead', 20 * MINUTE_MS]] as const) {
    test(`a signature dated ${label} is RequestTimeTooSkewed`, async () => {
      const res = await rawFetch(sys.url, {
        method: 'GET',
        path: `/${bucket}/auth/object`,
        credentials: sys.bucket.credentials,
        signingDate: new Date(Date.now() + offsetMs),
      });
      assertXmlError(res, 403, 'RequestTimeTooSkewed');
    });
  }

  test('a correctly signed raw request with the current date is accepted', async () => {
    const res = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/auth/object`, credentials: sys.bucket.credentials });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'secret contents');
  });

  test('a body that does not match its signed SHA-256 is XAmzContentSHA256Mismatch and is not stored', async () => {
    const res = await rawFetch(sys.url, {
      method: 'PUT',
      path: `/${bucket}/auth/tampered`,
      credentials: sys.bucket.credentials,
      body: 'the bytes actually sent',
      payloadHash: sha256Hex('the bytes that were signed'),
    });
    assertXmlError(res, 400, 'XAmzContentSHA256Mismatch');
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'auth/tampered' })), { code: 'NoSuchKey', status: 404 });
  });

  test("one bucket's credential is AccessDenied on another bucket", async () => {
    const denied = { code: 'AccessDenied', status: 403 };
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: other })), denied);
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: other, Key: 'theirs' })), denied);
    await expectS3Error(put(s3, { Bucket: other, Key: 'intruder', Body: 'x' }), denied);
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: other })), { status: 403 });
    const theirs = await getBytes(sys.client(other), { Bucket: other, Key: 'theirs' });
    assert.equal(theirs.body.toString(), 'their contents');
    await expectS3Error(sys.client(other).send(new GetObjectCommand({ Bucket: other, Key: 'intruder' })), { code: 'NoSuchKey', status: 404 });
  });

  test('an unknown bucket is 404 NoSuchBucket', async () => {
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-e2e' })), { code: 'NoSuchBucket', status: 404 });
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket-e2e', Key: 'k' })), { code: 'NoSuchBucket', status: 404 });
    await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-e2e' })), { status: 404 });
  });

  test('an anonymous request is AccessDenied', async () => {
    assertXmlError(await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/auth/object` }), 403, 'AccessDenied');
    assertXmlError(await rawFetch(sys.url, { method: 'PUT', path: `/${bucket}/auth/anonymous`, body: 'x' }), 403, 'AccessDenied');
  });

  test('every refusal is an XML error with Code, RequestId and x-amz-request-id', async (t) => {
    const credentials = sys.bucket.credentials;
    const cases: Array<[string, Promise<RawResponse>, number, string]> = [
      ['unsigned', rawFetch(sys.url, { method: 'GET', path: `/${bucket}/` }), 403, 'AccessDenied'],
      [
        'wrong secret',
        rawFetch(sys.url, { method: 'GET', path: `/${bucket}/`, credentials: { ...credentials, secretAccessKey: 'nope' } }),
        403,
        'SignatureDoesNotMatch',
      ],
      [
        'unknown key id',
        rawFetch(sys.url, { method: 'GET', path: `/${bucket}/`, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } }),
        403,
        'InvalidAccessKeyId',
      ],
      ['other bucket', rawFetch(sys.url, { method: 'GET', path: `/${other}/theirs`, credentials }), 403, 'AccessDenied'],
      ['unknown bucket', rawFetch(sys.url, { method: 'GET', path: '/no-such-bucket-e2e/k', credentials }), 404, 'NoSuchBucket'],
      ['missing key', rawFetch(sys.url, { method: 'GET', path: `/${bucket}/auth/missing`, credentials }), 404, 'NoSuchKey'],
      ['subresource', rawFetch(sys.url, { method: 'GET', path: `/${bucket}/auth/object`, query: { acl: '' }, credentials }), 501, 'NotImplemented'],
    ];
    for (const [label, pending, status, code] of cases) {
      const res = await pending;
      await t.test(label, () => assertXmlError(res, status, code));
    }
  });

  testNothingEscaped(() => sys);
});
