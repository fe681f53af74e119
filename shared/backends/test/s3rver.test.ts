// BackendClient against a real S3 server: s3rver 3.7.1, started in a child process by
// @s3o/demo-backends' startS3rver (s3rver needs --openssl-legacy-provider; the helper sets
// it for the child only, so this file runs with the plain test command).
//
// s3rver quirks these tests work around (none of them are client behaviour):
// * it stores a key as a file path, so one path segment cannot exceed ~240 bytes: the
//   1024-byte key below is made of several segments;
// * its router cannot match an empty path segment: keys containing "//" get 404 — the wire
//   form of such keys is checked in faults.test.ts;
// * it ignores If-Match (the 412 mapping is checked in faults.test.ts);
// * it writes a PUT body straight into the object file, so after a request destroyed
//   mid-body it shows the truncated bytes, without the metadata (real S3 answers
//   IncompleteBody and stores nothing) — faults.test.ts shows the request never completes;
// * completing an unknown upload answers 500 InternalError instead of 404 NoSuchUpload;
// * multipart ETags are a plain MD5 without "-N"; it cannot abort multipart uploads (405);
// * it does not check SigV4 signatures (faults.test.ts verifies ours with a real verifier);
// * it decodes x-amz-copy-source with decodeURI, so a copy source may not contain + ? # etc.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BackendClient, BackendError, BackendUnsupportedError, type BackendClientConfig } from '../src/index.js';
import { generatedBody, makeTempDir, md5Base64, md5Hex, md5OfStream, patternMd5, readAll } from './helpers.js';

const MiB = 1024 * 1024;

/** A key of exactly 1024 UTF-8 bytes, in segments s3rver's file store can hold. */
function longKey(): string {
  const segment = 'ü'.repeat(100) + 'x'.repeat(54); // 254 bytes
  const key = [segment, segment, segment, segment].join('/') + '/' + 'k'.repeat(1024 - 4 * 254 - 4);
  assert.equal(Buffer.byteLength(key), 1024);
  return key;
}

describe('BackendClient against s3rver', () => {
  let s3: S3rverProcess;
  let storage: { dir: string; remove(): Promise<void> };
  let client: BackendClient;
  let config: BackendClientConfig;

  before(async () => {
    storage = await makeTempDir('s3o-backends-');
    s3 = await startS3rver({ dir: storage.dir, buckets: ['b1'] });
    config = {
      name: 's3rver-1',
      endpoint: s3.endpoint,
      region: 'us-east-1',
      bucket: 'b1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      timeoutMs: 10_000,
    };
    client = new BackendClient(config);
  });

  after(async () => {
    client?.close();
    await s3?.stop();
    await storage?.remove();
  });

  const trickyKeys = ['ü ñ 日本', 'a+b c%d', 'q?x#y&z=1', ' spaced key ', longKey()];
  for (const key of trickyKeys) {
    it(`put/get/head/delete round-trip with metadata: ${JSON.stringify(key.slice(0, 40))}`, async () => {
      const content = `content of ${key}`;
      const metadata = { plain: 'a b', unicode: 'ü ñ 日本 🙂', 's3o-key': encodeURIComponent(key) };
      const { etag } = await client.putObject(key, Readable.from([Buffer.from(content)]), {
        contentLength: Buffer.byteLength(content),
        contentType: 'text/plain; charset=utf-8',
        contentMd5: md5Base64(content),
        metadata,
        headers: { cacheControl: 'max-age=60', contentDisposition: 'attachment; filename="x.txt"', contentLanguage: 'de' },
      });
      assert.equal(etag, md5Hex(content));

      const got = await client.getObject(key);
      assert.equal(got.status, 200);
      assert.equal((await readAll(got.body)).toString(), content);
      assert.equal(got.headers.contentLength, Buffer.byteLength(content));
      assert.equal(got.headers.etag, etag);
      assert.equal(got.headers.contentType, 'text/plain; charset=utf-8');
      assert.deepEqual(got.headers.metadata, metadata);
      assert.deepEqual(got.headers.standard, {
        cacheControl: 'max-age=60',
        contentDisposition: 'attachment; filename="x.txt"',
        contentLanguage: 'de',
      });
      assert.ok(got.headers.lastModified instanceof Date && !Number.isNaN(got.headers.lastModified.getTime()));

      const head = await client.headObject(key);
      assert.ok(head);
      assert.equal(head.size, Buffer.byteLength(content));
      assert.equal(head.etag, etag);
      assert.deepEqual(head.metadata, metadata);
      assert.equal(head.headers.cacheControl, 'max-age=60');

      await client.deleteObject(key);
      assert.equal(await client.headObject(key), null);
      await client.deleteObject(key); // absent: still a success
    });
  }

  it('range GET answers 206 with only the requested bytes', async () => {
    const content = '0123456789abcdef';
    await client.putObject('range/obj', Readable.from([Buffer.from(content)]), { contentLength: content.length });
    const got = await client.getObject('range/obj', { range: 'bytes=2-5' });
    assert.equal(got.status, 206);
    assert.equal(got.headers.contentRange, `bytes 2-5/${content.length}`);
    assert.equal(got.headers.contentLength, 4);
    assert.equal((await readAll(got.body)).toString(), '2345');
  });

  it('getObject with ifMatch of the current ETag reads the object', async () => {
    const { etag } = await client.putObject('cond/obj', Readable.from([Buffer.from('v1')]), { contentLength: 2 });
    const got = await client.getObject('cond/obj', { ifMatch: etag });
    assert.equal((await readAll(got.body)).toString(), 'v1');
  });

  it('streams a 20 MiB body up and down without holding it', async () => {
    const size = 20 * MiB;
    const body = generatedBody(size);
    const { etag } = await client.putObject('big/20m', body.stream, { contentLength: size });
    assert.equal(etag, patternMd5(size));

    const got = await client.getObject('big/20m');
    assert.equal(got.headers.contentLength, size);
    // getObject resolved on the headers: the body is still arriving and is read chunk by chunk.
    assert.ok(got.body.readableLength < size);
    const { md5, size: received } = await md5OfStream(got.body);
    assert.equal(received, size);
    assert.equal(md5, etag);
  });

  it('a reader may stop early by destroying the body, and the client keeps working', async () => {
    const got = await client.getObject('big/20m');
    let read = 0;
    for await (const chunk of got.body as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read >= MiB) break; // ends the iteration and destroys the body
    }
    // An unfinished response that is destroyed closes with an error, and its socket is not reused.
    await assert.rejects(finished(got.body));
    assert.ok(got.body.destroyed);
    assert.ok(read < 20 * MiB);
    assert.equal((await client.headObject('big/20m'))?.size, 20 * MiB);
  });

  /** What s3rver shows after a request destroyed mid-body: nothing, or truncated bytes without our metadata. */
  async function assertNotStored(key: string, size: number): Promise<void> {
    const head = await client.headObject(key);
    if (head === null) return;
    assert.ok(head.size < size, `a complete object was stored at ${key}`);
    assert.deepEqual(head.metadata, {});
  }

  it('abort mid-put destroys the request and stores no object', async () => {
    const controller = new AbortController();
    const size = 8 * MiB;
    // The body stalls after 1 MiB, so the request can only end by being aborted.
    const body = generatedBody(size, { stallAt: MiB });
    const put = client.putObject('aborted/put', body.stream, {
      contentLength: size,
      metadata: { 's3o-etag': patternMd5(size) },
      signal: controller.signal,
    });
    // Abort once that first MiB has been taken by the client.
    await new Promise<void>((resolve) => {
      const check = () => (body.produced() >= MiB && body.stream.readableLength === 0 ? resolve() : setImmediate(check));
      check();
    });
    controller.abort();
    await assert.rejects(put, { name: 'AbortError' });
    assert.ok(body.stream.destroyed);
    await assertNotStored('aborted/put', size);
  });

  it('a body that fails mid-put rejects with the body error and stores no object', async () => {
    const bodyError = new Error('BadDigest: checksum mismatch');
    const body = generatedBody(4 * MiB, { failAt: 2 * MiB, failWith: bodyError });
    const put = client.putObject('failed/put', body.stream, {
      contentLength: 4 * MiB,
      metadata: { 's3o-etag': patternMd5(4 * MiB) },
    });
    await assert.rejects(put, (err: unknown) => {
      assert.equal(err, bodyError);
      return true;
    });
    await assertNotStored('failed/put', 4 * MiB);
  });

  it('multipart: create, upload parts, complete, read back', async () => {
    const key = 'mp/ü object';
    const uploadId = await client.createMultipartUpload(key, {
      contentType: 'application/x-test',
      metadata: { origin: 'multipart', name: 'ü' },
      headers: { cacheControl: 'no-store' },
    });
    assert.ok(uploadId.length > 0);

    const sizes = [5 * MiB, 1000];
    const parts = [];
    for (const [index, size] of sizes.entries()) {
      const body = generatedBody(size);
      const etag = await client.uploadPart(key, uploadId, index + 1, body.stream, size);
      assert.equal(etag, patternMd5(size));
      parts.push({ partNumber: index + 1, etag });
    }
    const { etag } = await client.completeMultipartUpload(key, uploadId, parts);
    assert.ok(etag.length > 0); // s3rver: a plain MD5, not the "-N" form real S3 answers with

    const head = await client.headObject(key);
    assert.ok(head);
    assert.equal(head.size, sizes[0]! + sizes[1]!);
    assert.equal(head.contentType, 'application/x-test');
    assert.deepEqual(head.metadata, { origin: 'multipart', name: 'ü' });
    assert.equal(head.headers.cacheControl, 'no-store');
    const got = await client.getObject(key);
    assert.deepEqual(await md5OfStream(got.body), { md5: patternMd5(...sizes), size: sizes[0]! + sizes[1]! });
  });

  it('completing an unknown upload fails', async () => {
    await assert.rejects(
      client.completeMultipartUpload('mp/none', 'no-such-upload', [{ partNumber: 1, etag: md5Hex('x') }]),
      (err: unknown) => {
        assert.ok(err instanceof BackendError);
        assert.equal(err.operation, 'CompleteMultipartUpload');
        assert.ok(err.status >= 400);
        return true;
      },
    );
  });

  it('abortMultipartUpload on s3rver surfaces BackendUnsupportedError (405)', async () => {
    const uploadId = await client.createMultipartUpload('mp/abort');
    await assert.rejects(client.abortMultipartUpload('mp/abort', uploadId), (err: unknown) => {
      assert.ok(err instanceof BackendUnsupportedError);
      assert.ok(err instanceof BackendError);
      assert.equal(err.status, 405);
      assert.equal(err.code, 'MethodNotAllowed');
      assert.equal(err.retriable, false);
      assert.equal(err.backend, 's3rver-1');
      return true;
    });
  });

  it('copyObject copies bytes, content type and metadata within the bucket', async () => {
    const content = 'copy me';
    await client.putObject('copy/src ü', Readable.from([Buffer.from(content)]), {
      contentLength: content.length,
      contentType: 'text/x-copy',
      metadata: { 's3o-etag': md5Hex(content), note: 'ü' },
    });
    const { etag } = await client.copyObject('copy/src ü', 'copy/dst ñ');
    assert.equal(etag, md5Hex(content));
    const head = await client.headObject('copy/dst ñ');
    assert.ok(head);
    assert.equal(head.contentType, 'text/x-copy');
    assert.deepEqual(head.metadata, { 's3o-etag': md5Hex(content), note: 'ü' });
    const got = await client.getObject('copy/dst ñ');
    assert.equal((await readAll(got.body)).toString(), content);
  });

  it('copyObject from a missing key fails with NoSuchKey', async () => {
    await assert.rejects(client.copyObject('copy/missing', 'copy/x'), { code: 'NoSuchKey', status: 404 });
  });

  it('listObjects pages through a prefix with continuation tokens', async () => {
    const keys = ['list/a', 'list/b b', 'list/c+c', 'list/d/ü', 'list/e'];
    for (const key of keys) {
      await client.putObject(key, Readable.from([Buffer.from(key)]), { contentLength: Buffer.byteLength(key) });
    }
    const seen = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.listObjects({ prefix: 'list/', maxKeys: 2, continuationToken: token });
      assert.ok(page.keys.length <= 2);
      seen.push(...page.keys);
      token = page.nextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen.map((o) => o.key),
      keys,
    );
    for (const listed of seen) {
      assert.equal(listed.size, Buffer.byteLength(listed.key));
      assert.equal(listed.etag, md5Hex(listed.key));
      assert.ok(!Number.isNaN(listed.lastModified.getTime()));
    }
  });

  it('headBucket resolves for the bucket and fails for a missing one', async () => {
    await client.headBucket();
    const missing = new BackendClient({ ...config, name: 'missing', bucket: 'no-such-bucket' });
    try {
      await assert.rejects(missing.headBucket(), { status: 404, retriable: false });
    } finally {
      missing.close();
    }
  });

  it('parses XML errors: NoSuchKey and NoSuchBucket', async () => {
    await assert.rejects(client.getObject('missing/key'), (err: unknown) => {
      assert.ok(err instanceof BackendError);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'NoSuchKey');
      assert.equal(err.operation, 'GetObject');
      assert.equal(err.backend, 's3rver-1');
      assert.equal(err.retriable, false);
      assert.match(err.message, /NoSuchKey/);
      return true;
    });
    const missing = new BackendClient({ ...config, name: 'missing', bucket: 'no-such-bucket' });
    try {
      await assert.rejects(missing.getObject('k'), { code: 'NoSuchBucket', status: 404 });
      await assert.rejects(missing.listObjects(), { code: 'NoSuchBucket', status: 404 });
    } finally {
      missing.close();
    }
  });
});
