// PutObject / GetObject / HeadObject through the gateway with the real SDK: bodies of every
// size and checksum mode, awkward keys, metadata and standard headers, and the request
// errors S3 answers before or after reading a body — with a look at the backends to prove
// that a rejected body left nothing behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  answerBeforeBodyEnds,
  crc32Base64,
  expectS3Error,
  getBytes,
  getDigest,
  KiB,
  listAllKeys,
  md5Base64,
  md5Hex,
  MiB,
  patternBytes,
  patternDigests,
  patternStream,
  put,
  quotedEtag,
  rawFetch,
  signRequest,
  encodeKeyPath,
  parseErrorXml,
  startSystem,
  storedCopies,
  waitUntil,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

describe('objects: PUT, GET and HEAD', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let s3Plain: S3Client;
  let bucket: string;

  before(async () => {
    // A size cap above the largest body below, to test the cap without sending that much.
    sys = await startSystem({ overrides: { server: { max_object_size: '25MiB' } } });
    s3 = sys.client();
    s3Plain = sys.client(undefined, { checksums: 'when-required' });
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const head = (key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const sortedStorageKeys = async (key: string) =>
    (await storedCopies(sys.backends, bucket, key)).map((c) => `${c.backend}:${c.storageKey}`).sort();

  test('an empty object round-trips with the MD5 of nothing as its ETag', async () => {
    const putOut = await put(s3, { Bucket: bucket, Key: 'sizes/empty', Body: '' });
    assert.equal(putOut.ETag, quotedEtag(md5Hex('')));
    const { body, output } = await getBytes(s3, { Bucket: bucket, Key: 'sizes/empty' });
    assert.equal(body.length, 0);
    assert.equal(output.ContentLength, 0);
    assert.equal(output.ETag, quotedEtag(md5Hex('')));
    assert.equal((await head('sizes/empty')).ContentLength, 0);
  });

  for (const [label, size] of [['1 byte', 1], ['1 MiB', MiB]] as const) {
    for (const mode of ['default', 'when-required'] as const) {
      test(`a ${label} Buffer body round-trips (checksums: ${mode})`, async () => {
        const client = mode === 'default' ? s3 : s3Plain;
        const key = `sizes/${size}-${mode}`;
        const data = patternBytes(size, key);
        const putOut = await put(client, { Bucket: bucket, Key: key, Body: data });
        assert.equal(putOut.ETag, quotedEtag(md5Hex(data)));
        const { body, output } = await getBytes(client, { Bucket: bucket, Key: key });
        assert.equal(output.ContentLength, size);
        assert.ok(body.equals(data), 'GET returned other bytes than were PUT');
        const headOut = await head(key);
        assert.equal(headOut.ContentLength, size);
        assert.equal(headOut.ETag, quotedEtag(md5Hex(data)));
      });
    }
  }

  test('a 20 MiB stream (aws-chunked with a CRC32 trailer, larger than the replay buffer) round-trips', async () => {
    const key = 'sizes/20MiB-stream';
    const size = 20 * MiB;
    const expected = await patternDigests(size, key);
    const putOut = await put(s3, { Bucket: bucket, Key: key, Body: patternStream(size, key), ContentLength: size });
    assert.equal(putOut.ETag, quotedEtag(expected.md5));

    const got = await getDigest(s3, { Bucket: bucket, Key: key });
    assert.equal(got.bytes, size);
    assert.equal(got.sha256, expected.sha256);

    // The backend must hold the decoded bytes, not the aws-chunked framing.
    const copies = await storedCopies(sys.backends, bucket, key);
    assert.equal(copies.length, 1, `expected one stored copy, found ${JSON.stringify(copies)}`);
    assert.equal(copies[0]!.size, size);
    const backend = sys.backends.find((b) => b.name === copies[0]!.backend)!;
    const stored = await getDigest(backend.rawClient, { Bucket: backend.bucket, Key: copies[0]!.storageKey });
    assert.equal(stored.sha256, expected.sha256);
  });

  test('a stream upload without checksums (WHEN_REQUIRED, plain Content-Length) round-trips', async () => {
    const key = 'sizes/3MiB-plain-stream';
    const size = 3 * MiB;
    const expected = await patternDigests(size, key);
    const putOut = await put(s3Plain, { Bucket: bucket, Key: key, Body: patternStream(size, key), ContentLength: size });
    assert.equal(putOut.ETag, quotedEtag(expected.md5));
    const got = await getDigest(s3, { Bucket: bucket, Key: key });
    assert.equal(got.sha256, expected.sha256);
  });

  test('aws-chunked framing is not part of the stored Content-Encoding', async () => {
    const key = 'headers/gzip-stream';
    const data = patternBytes(100 * KiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: patternStream(data.length, key), ContentLength: data.length, ContentEncoding: 'gzip' });
    assert.equal((await head(key)).ContentEncoding, 'gzip');
    const { body, output } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.equal(output.ContentEncoding, 'gzip');
    assert.ok(body.equals(data));
  });

  test('a hand-made aws-chunked body with a correct CRC32 trailer is stored decoded', async () => {
    const key = 'trailer/good';
    const data = Buffer.from('hello, trailer checksums');
    const res = await rawFetch(sys.url, chunkedPut(sys, `/${bucket}/${key}`, data, crc32Base64(data)));
    assert.equal(res.status, 200, res.body);
    const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.equal(body.toString(), data.toString());
  });

  test('a wrong CRC32 trailer is BadDigest and nothing is stored', async () => {
    const key = 'trailer/bad';
    const data = Buffer.from('these bytes do not match their trailer');
    const res = await rawFetch(sys.url, chunkedPut(sys, `/${bucket}/${key}`, data, crc32Base64(Buffer.from('other'))));
    assert.equal(res.status, 400, res.body);
    assert.equal(parseErrorXml(res.body).code, 'BadDigest');
    await expectS3Error(head(key), { status: 404 });
    await waitUntil('the rejected write to be cleaned off the backends', () => sortedStorageKeys(key), (keys) => keys.length === 0);
  });

  const awkwardKeys = [
    'keys/double//slash',
    'keys/with space',
    'keys/plus+sign',
    'keys/percent%41literal',
    'keys/ünïcödé/日本語/🙂',
    'keys/query?and#hash&amp;',
    'keys/trailing-dot.',
    `keys/long/${'k'.repeat(1024 - 'keys/long/'.length)}`,
  ];

  test('awkward keys (//, space, +, %, unicode, 1024 bytes) round-trip and list as written', async () => {
    assert.equal(Buffer.byteLength(awkwardKeys.at(-1)!), 1024);
    for (const key of awkwardKeys) {
      await put(s3, { Bucket: bucket, Key: key, Body: `body of ${key}` });
      const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
      assert.equal(body.toString(), `body of ${key}`, `GET of ${JSON.stringify(key)}`);
      assert.equal((await head(key)).ContentLength, Buffer.byteLength(`body of ${key}`));
    }
    const listed = await listAllKeys(s3, bucket, 'keys/');
    const byteOrder = [...awkwardKeys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(listed, byteOrder);
  });

  test('a declared length over server.max_object_size is EntityTooLarge, answered before the body is sent', async () => {
    const signed = await signRequest(sys.url, {
      method: 'PUT',
      path: `/${bucket}/limits/too-large`,
      headers: { 'content-length': String(26 * MiB) },
      credentials: sys.bucket.credentials,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const answer = await answerBeforeBodyEnds(signed, patternBytes(64 * KiB, 'too-large'));
    assert.equal(answer.status, 400, answer.body);
    assert.equal(parseErrorXml(answer.body).code, 'EntityTooLarge');
    await expectS3Error(head('limits/too-large'), { status: 404 });
  });

  test('a 1025-byte key is KeyTooLongError', async () => {
    const key = `keys/toolong/${'k'.repeat(1025 - 'keys/toolong/'.length)}`;
    assert.equal(Buffer.byteLength(key), 1025);
    await expectS3Error(put(s3, { Bucket: bucket, Key: key, Body: 'x' }), { code: 'KeyTooLongError', status: 400 });
  });

  test('user metadata, Content-Type and the standard headers are returned by GET and HEAD', async () => {
    const key = 'headers/all';
    const expires = new Date('2031-02-03T04:05:06Z');
    const sent = {
      ContentType: 'text/x-e2e; charset=utf-8',
      CacheControl: 'max-age=60, private',
      ContentDisposition: 'attachment; filename="report.txt"',
      ContentEncoding: 'identity',
      ContentLanguage: 'de-CH',
    };
    const metadata = { color: 'blue', 'multi-word': 'Two Words' };
    await put(s3, { Bucket: bucket, Key: key, Body: 'with headers', ...sent, Metadata: metadata, Expires: expires });

    const { output: got } = await getBytes(s3, { Bucket: bucket, Key: key });
    const headOut = await head(key);
    for (const [what, out] of [['GET', got], ['HEAD', headOut]] as const) {
      assert.equal(out.ContentType, sent.ContentType, `${what} Content-Type`);
      assert.equal(out.CacheControl, sent.CacheControl, `${what} Cache-Control`);
      assert.equal(out.ContentDisposition, sent.ContentDisposition, `${what} Content-Disposition`);
      assert.equal(out.ContentEncoding, sent.ContentEncoding, `${what} Content-Encoding`);
      assert.equal(out.ContentLanguage, sent.ContentLanguage, `${what} Content-Language`);
      assert.equal(out.Expires?.getTime(), expires.getTime(), `${what} Expires`);
      assert.deepEqual(out.Metadata, metadata, `${what} metadata`);
      assert.ok(out.LastModified instanceof Date, `${what} Last-Modified`);
    }
  });

  test('the stored copy carries the client headers and the self-describing s3o metadata', async () => {
    const key = 'headers/backend-copy';
    await put(s3, { Bucket: bucket, Key: key, Body: 'self-describing', ContentType: 'text/plain', Metadata: { owner: 'e2e' } });
    const [copy] = await storedCopies(sys.backends, bucket, key);
    assert.ok(copy, 'no stored copy found on any backend');
    const backend = sys.backends.find((b) => b.name === copy.backend)!;
    const raw = await backend.rawClient.send(new HeadObjectCommand({ Bucket: backend.bucket, Key: copy.storageKey }));
    assert.equal(raw.ContentType, 'text/plain');
    assert.equal(raw.Metadata?.owner, 'e2e');
    assert.equal(raw.Metadata?.['s3o-bucket'], bucket);
    assert.equal(decodeURIComponent(raw.Metadata?.['s3o-key'] ?? ''), key);
    assert.ok(raw.Metadata?.['s3o-etag']?.includes(md5Hex('self-describing')), `s3o-etag: ${raw.Metadata?.['s3o-etag']}`);
  });

  test('user metadata just under 2 KB is accepted, also with a long key', async () => {
    // Segments under 100 bytes: s3rver maps key segments to file names (255-byte limit).
    const key = `headers/near-limit/${Array.from({ length: 6 }, () => 'n'.repeat(99)).join('/')}`;
    const metadata = { big: 'v'.repeat(2000) };
    await put(s3, { Bucket: bucket, Key: key, Body: 'x', Metadata: metadata });
    assert.deepEqual((await head(key)).Metadata, metadata);
  });

  test('user metadata over 2 KB is MetadataTooLarge and nothing is stored', async () => {
    const key = 'headers/too-much-metadata';
    await expectS3Error(put(s3, { Bucket: bucket, Key: key, Body: 'x', Metadata: { big: 'v'.repeat(2100) } }), {
      code: 'MetadataTooLarge',
      status: 400,
    });
    await expectS3Error(head(key), { status: 404 });
  });

  for (const mode of ['default', 'when-required'] as const) {
    test(`a wrong Content-MD5 is BadDigest, the old object stays and the new bytes are cleaned up (checksums: ${mode})`, async () => {
      const client = mode === 'default' ? s3 : s3Plain;
      const key = `md5/overwrite-${mode}`;
      await put(client, { Bucket: bucket, Key: key, Body: 'the old contents' });
      const before = await sortedStorageKeys(key);
      assert.equal(before.length, 1);

      const fresh = patternBytes(256 * KiB, key);
      await expectS3Error(put(client, { Bucket: bucket, Key: key, Body: fresh, ContentMD5: md5Base64('something else') }), {
        code: 'BadDigest',
        status: 400,
      });
      const { body } = await getBytes(client, { Bucket: bucket, Key: key });
      assert.equal(body.toString(), 'the old contents');
      await waitUntil(
        'the backends to hold only the old write',
        () => sortedStorageKeys(key),
        (keys) => JSON.stringify(keys) === JSON.stringify(before),
      );
    });
  }

  test('a correct Content-MD5 is accepted', async () => {
    const data = Buffer.from('digest me');
    const out = await put(s3Plain, { Bucket: bucket, Key: 'md5/correct', Body: data, ContentMD5: md5Base64(data) });
    assert.equal(out.ETag, quotedEtag(md5Hex(data)));
  });

  test('a malformed Content-MD5 is InvalidDigest', async () => {
    await expectS3Error(put(s3Plain, { Bucket: bucket, Key: 'md5/malformed', Body: 'x', ContentMD5: 'not-a-digest' }), {
      code: 'InvalidDigest',
      status: 400,
    });
    await expectS3Error(head('md5/malformed'), { status: 404 });
  });

  test('If-None-Match: * creates a missing key and refuses an existing one with 412', async () => {
    const key = 'conditional/create-only';
    await put(s3, { Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' });
    await expectS3Error(put(s3, { Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' }), {
      code: 'PreconditionFailed',
      status: 412,
    });
    const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.equal(body.toString(), 'first');
  });

  test('GET of a missing key is NoSuchKey; HEAD of it is 404', async () => {
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'missing/never-written' }), { code: 'NoSuchKey', status: 404 });
    await expectS3Error(head('missing/never-written'), { status: 404 });
  });

  test('a raw GET of a missing key has an XML error body with Code and RequestId', async () => {
    const res = await rawFetch(sys.url, { method: 'GET', path: `/${bucket}/${encodeKeyPath('missing/raw key')}`, credentials: sys.bucket.credentials });
    assert.equal(res.status, 404);
    const error = parseErrorXml(res.body);
    assert.equal(error.code, 'NoSuchKey');
    assert.ok(error.requestId, res.body);
    assert.equal(res.headers.get('x-amz-request-id'), error.requestId);
  });

  testNothingEscaped(() => sys);
});

/** A PUT whose body is framed as aws-chunked by hand, with a CRC32 trailer of our choosing. */
function chunkedPut(sys: E2ESystem, path: string, data: Buffer, trailerCrc32: string) {
  const body = Buffer.concat([
    Buffer.from(`${data.length.toString(16)}\r\n`),
    data,
    Buffer.from(`\r\n0\r\nx-amz-checksum-crc32:${trailerCrc32}\r\n\r\n`),
  ]);
  return {
    method: 'PUT',
    path,
    body,
    credentials: sys.bucket.credentials,
    payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    },
  };
}
