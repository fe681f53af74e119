// CORS (buckets[].cors[]): preflights answered before authentication (403 when no rule
// matches), Access-Control-* on actual answers and on errors, GetBucketCors — and a real
// browser (Debian's chromium driven by playwright-core): a page served from another origin
// uploads with a presigned PUT and reads the object back; a page from an origin no rule
// allows is stopped by the browser.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { GetBucketCorsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { chromium, type Browser } from 'playwright-core';
import { expectS3Error, getBytes, parseErrorXml, rawFetch, startSystem, testNothingEscaped, type E2ESystem } from '../src/index.js';

const CHROMIUM = process.env.S3O_CHROMIUM ?? '/usr/lib/chromium/chromium';

/** A page server: each port is its own origin. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>cors page</title><p>page from another origin</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('CORS', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let allowed: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };

  before(async () => {
    allowed = await pageServer();
    stranger = await pageServer();
    sys = await startSystem({
      overrides: {
        buckets: [
          {
            name: 'e2e-main',
            credentials: [{ access_key_id: 'e2e-main-key', secret_access_key: 'e2e-main-secret-0123456789' }],
            cors: [{ allowed_origins: [allowed.origin], allowed_methods: ['GET', 'PUT', 'HEAD'], allowed_headers: ['*'], expose_headers: ['ETag'], max_age: 600 }],
          },
          { name: 'e2e-other', credentials: [{ access_key_id: 'e2e-other-key', secret_access_key: 'e2e-other-secret-0123456789' }] },
        ],
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(async () => {
    await sys?.stop();
    for (const page of [allowed, stranger]) await new Promise((resolve) => page?.server.close(resolve));
  });

  const preflight = (origin: string, method: string, headers = '') => fetch(`${sys.url}/${bucket}/cors/obj`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
  });

  test('a preflight a rule allows is 200 with its headers; any other is 403 AccessForbidden; no credentials needed', async () => {
    const ok = await preflight(allowed.origin, 'PUT', 'content-type, x-amz-meta-a');
    assert.equal(ok.status, 200, await ok.text());
    assert.equal(ok.headers.get('access-control-allow-origin'), allowed.origin);
    assert.equal(ok.headers.get('access-control-allow-methods'), 'GET, PUT, HEAD');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, x-amz-meta-a');
    assert.equal(ok.headers.get('access-control-expose-headers'), 'ETag');
    assert.equal(ok.headers.get('access-control-max-age'), '600');
    for (const [origin, method] of [[stranger.origin, 'PUT'], [allowed.origin, 'DELETE']] as const) {
      const refused = await preflight(origin, method);
      const body = await refused.text();
      assert.equal(refused.status, 403, body);
      assert.equal(parseErrorXml(body).code, 'AccessForbidden');
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    }
    const noOrigin = await fetch(`${sys.url}/${bucket}/cors/obj`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } });
    assert.equal(noOrigin.status, 400);
    const otherBucket = await fetch(`${sys.url}/e2e-other/x`, { method: 'OPTIONS', headers: { origin: allowed.origin, 'access-control-request-method': 'GET' } });
    assert.equal(otherBucket.status, 403, 'a bucket without rules refuses every preflight');
  });

  test('actual answers from an allowed origin carry Access-Control-*, errors included', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cors/obj', Body: 'x' }));
    const ok = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/cors/obj`, headers: { origin: allowed.origin }, credentials: sys.bucket.credentials });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), allowed.origin);
    assert.equal(ok.headers.get('access-control-expose-headers'), 'ETag');
    const missing = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/cors/none`, headers: { origin: allowed.origin }, credentials: sys.bucket.credentials });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), allowed.origin);
    const unsigned = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/cors/obj`, headers: { origin: allowed.origin } });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('access-control-allow-origin'), allowed.origin);
    const strangerGet = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/cors/obj`, headers: { origin: stranger.origin }, credentials: sys.bucket.credentials });
    assert.equal(strangerGet.status, 200);
    assert.equal(strangerGet.headers.get('access-control-allow-origin'), null);
  });

  test('GetBucketCors answers the configured rules; a bucket without any is NoSuchCORSConfiguration', async () => {
    const out = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
    assert.deepEqual(out.CORSRules, [{
      AllowedHeaders: ['*'], AllowedMethods: ['GET', 'PUT', 'HEAD'], AllowedOrigins: [allowed.origin], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600,
    }]);
    await expectS3Error(sys.client('e2e-other').send(new GetBucketCorsCommand({ Bucket: 'e2e-other' })), { code: 'NoSuchCORSConfiguration', status: 404 });
  });

  test('in Chromium, a page from an allowed origin uploads with a presigned PUT and reads it back; another origin is stopped', async () => {
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      // A browser app's server presigns without a body checksum (it never sees the body).
      const presigner = sys.client(bucket, { checksums: 'when-required' });
      const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: 'cors/from-browser', ContentType: 'text/plain' }), { expiresIn: 300 });
      const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'cors/from-browser' }), { expiresIn: 300 });
      const page = await browser.newPage();
      await page.goto(allowed.origin);
      const result = await page.evaluate(async ({ putUrl, getUrl }) => {
        const put = await fetch(putUrl, { method: 'PUT', body: 'written by a browser', headers: { 'content-type': 'text/plain' } });
        const got = await fetch(getUrl);
        return { putStatus: put.status, etag: put.headers.get('etag'), getStatus: got.status, text: await got.text() };
      }, { putUrl, getUrl });
      assert.equal(result.putStatus, 200);
      assert.match(result.etag ?? '', /^"[0-9a-f]{32}"$/, 'ETag is exposed to the script');
      assert.equal(result.getStatus, 200);
      assert.equal(result.text, 'written by a browser');
      assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'cors/from-browser' })).body.toString(), 'written by a browser');

      const other = await browser.newPage();
      await other.goto(stranger.origin);
      const blocked = await other.evaluate(async (url) => {
        try {
          await fetch(url, { method: 'PUT', body: 'should not land' });
          return 'sent';
        } catch (err) {
          return `blocked: ${String(err)}`;
        }
      }, await getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: 'cors/stranger' }), { expiresIn: 300 }));
      assert.match(blocked, /^blocked/);
      await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'cors/stranger' }), { code: 'NoSuchKey', status: 404 });
    } finally {
      await browser?.close();
    }
  });

  testNothingEscaped(() => sys);
});
