// GET and HEAD semantics beyond a plain read: byte ranges (including the suffix form that
// s3rver gets wrong, so the gateway must not pass it through blindly), conditional
// requests with S3's precedence rules, If-Range, and response header overrides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
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

const TEXT = 'abcdefghijklmnopqrstuvwxyz0123456789';
const KEY = 'get/alphabet';
const HOUR_MS = 3_600_000;

describe('GET: ranges, conditions and overrides', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let etag: string;
  let lastModified: Date;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: KEY, Body: TEXT, ContentType: 'text/plain' });
    const headOut = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }));
    etag = headOut.ETag!;
    lastModified = headOut.LastModified!;
  });
  after(() => sys?.stop());

  const get = (extra: Partial<GetObjectCommandInput> = {}) => getBytes(s3, { Bucket: bucket, Key: KEY, ...extra });
  const headWith = (extra: Record<string, unknown>) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY, ...extra }));

  const ranges: Array<[range: string, body: string, contentRange: string]> = [
    ['bytes=0-4', 'abcde', 'bytes 0-4/36'],
    ['bytes=5-', TEXT.slice(5), 'bytes 5-35/36'],
    ['bytes=-5', '56789', 'bytes 31-35/36'],
    ['bytes=30-1000', TEXT.slice(30), 'bytes 30-35/36'],
    ['bytes=-100', TEXT, 'bytes 0-35/36'],
    ['bytes=35-35', '9', 'bytes 35-35/36'],
  ];
  for (const [range, expected, contentRange] of ranges) {
    test(`Range ${range} answers 206 with ${JSON.stringify(contentRange)}`, async () => {
      const { body, output } = await get({ Range: range });
      assert.equal(output.$metadata.httpStatusCode, 206);
      assert.equal(body.toString(), expected);
      assert.equal(output.ContentRange, contentRange);
      assert.equal(output.ContentLength, expected.length);
    });
  }

  for (const range of ['bytes=36-40', 'bytes=100-']) {
    test(`an unsatisfiable Range ${range} is 416 InvalidRange`, async () => {
      await expectS3Error(get({ Range: range }), { code: 'InvalidRange', status: 416 });
    });
  }

  test('any Range on an empty object is 416 InvalidRange', async () => {
    await put(s3, { Bucket: bucket, Key: 'get/empty', Body: '' });
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'get/empty', Range: 'bytes=0-0' }), { code: 'InvalidRange', status: 416 });
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'get/empty', Range: 'bytes=-1' }), { code: 'InvalidRange', status: 416 });
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'get/empty' })).body.length, 0);
  });

  test('a Range inside a 3 MiB object returns exactly those bytes', async () => {
    const key = 'get/3MiB';
    const data = patternBytes(3 * MiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: data });
    const start = MiB - 7;
    const end = 2 * MiB + 11;
    const { body, output } = await getBytes(s3, { Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` });
    assert.equal(output.ContentRange, `bytes ${start}-${end}/${data.length}`);
    assert.ok(body.equals(data.subarray(start, end + 1)), 'ranged GET returned other bytes');
    const suffix = await getBytes(s3, { Bucket: bucket, Key: key, Range: 'bytes=-1000' });
    assert.ok(suffix.body.equals(data.subarray(data.length - 1000)), 'suffix range did not return the last 1000 bytes');
  });

  test('If-Match: a matching ETag reads, another ETag is 412 PreconditionFailed', async () => {
    assert.equal((await get({ IfMatch: etag })).body.toString(), TEXT);
    await expectS3Error(get({ IfMatch: '"00000000000000000000000000000000"' }), { code: 'PreconditionFailed', status: 412 });
  });

  test('If-None-Match: a matching ETag is 304, another ETag reads', async () => {
    await expectS3Error(get({ IfNoneMatch: etag }), { status: 304 });
    assert.equal((await get({ IfNoneMatch: '"00000000000000000000000000000000"' })).body.toString(), TEXT);
  });

  test('If-Modified-Since: its own Last-Modified is 304, an earlier date reads', async () => {
    await expectS3Error(get({ IfModifiedSince: lastModified }), { status: 304 });
    assert.equal((await get({ IfModifiedSince: new Date(lastModified.getTime() - HOUR_MS) })).body.toString(), TEXT);
  });

  test('If-Unmodified-Since: its own Last-Modified reads, an earlier date is 412', async () => {
    assert.equal((await get({ IfUnmodifiedSince: lastModified })).body.toString(), TEXT);
    await expectS3Error(get({ IfUnmodifiedSince: new Date(lastModified.getTime() - HOUR_MS) }), {
      code: 'PreconditionFailed',
      status: 412,
    });
  });

  test('S3 precedence: If-Match true wins over If-Unmodified-Since false', async () => {
    const { output } = await get({ IfMatch: etag, IfUnmodifiedSince: new Date(lastModified.getTime() - HOUR_MS) });
    assert.equal(output.$metadata.httpStatusCode, 200);
  });

  test('S3 precedence: If-None-Match false (ETag matches) with If-Modified-Since true is 304', async () => {
    await expectS3Error(get({ IfNoneMatch: etag, IfModifiedSince: new Date(lastModified.getTime() - HOUR_MS) }), { status: 304 });
  });

  test('HEAD applies the same conditions', async () => {
    await expectS3Error(headWith({ IfNoneMatch: etag }), { status: 304 });
    await expectS3Error(headWith({ IfMatch: '"00000000000000000000000000000000"' }), { status: 412 });
    assert.equal((await headWith({ IfMatch: etag })).ContentLength, TEXT.length);
  });

  test('If-Range: a current ETag serves the range, a stale one serves the whole object', async () => {
    const path = `/${bucket}/${KEY}`;
    const credentials = sys.bucket.credentials;
    const partial = await rawFetch(sys.url, { method: 'GET', path, credentials, headers: { range: 'bytes=0-4', 'if-range': etag } });
    assert.equal(partial.status, 206, partial.body);
    assert.equal(partial.body, 'abcde');
    const whole = await rawFetch(sys.url, {
      method: 'GET',
      path,
      credentials,
      headers: { range: 'bytes=0-4', 'if-range': '"00000000000000000000000000000000"' },
    });
    assert.equal(whole.status, 200, whole.body);
    assert.equal(whole.body, TEXT);
  });

  test('response-* query parameters override the returned headers', async () => {
    const { output, body } = await get({
      ResponseContentType: 'application/x-override',
      ResponseContentDisposition: 'attachment; filename="override.bin"',
      ResponseCacheControl: 'no-store',
      ResponseContentLanguage: 'fr',
    });
    assert.equal(body.toString(), TEXT);
    assert.equal(output.ContentType, 'application/x-override');
    assert.equal(output.ContentDisposition, 'attachment; filename="override.bin"');
    assert.equal(output.CacheControl, 'no-store');
    assert.equal(output.ContentLanguage, 'fr');
    // The stored identity is unchanged.
    assert.equal((await headWith({})).ContentType, 'text/plain');
  });

  test('an unsatisfiable range answers an XML InvalidRange body with a request id', async () => {
    const res = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/${KEY}`, credentials: sys.bucket.credentials, headers: { range: 'bytes=50-60' } });
    assert.equal(res.status, 416);
    const error = parseErrorXml(res.body);
    assert.equal(error.code, 'InvalidRange');
    assert.ok(error.requestId, res.body);
    assert.equal(res.headers.get('x-amz-request-id'), error.requestId);
  });

  testNothingEscaped(() => sys);
});
