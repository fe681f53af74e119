import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyVerifier } from '../src/body-verifier.js';
import { createChecksum } from '../src/checksum.js';
import { parseContentMd5, verifyContentMd5 } from '../src/content-md5.js';
import { S3Error } from '../src/errors.js';
import { runThrough, startServer } from './helpers.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();

test('parseContentMd5 accepts strict base64 of 16 bytes only', () => {
  const digest = md5(Buffer.from('hello'));
  assert.deepEqual(parseContentMd5(digest.toString('base64')), digest);
  assert.equal(parseContentMd5(undefined), undefined);
  for (const bad of ['', 'abc', digest.toString('hex'), digest.toString('base64').slice(0, -2), digest.toString('base64') + ' ', Buffer.alloc(17).toString('base64')]) {
    assert.throws(() => parseContentMd5(bad), (e: unknown) => e instanceof S3Error && e.code === 'InvalidDigest', JSON.stringify(bad));
  }
});

test('verifyContentMd5 reports BadDigest with both digests', () => {
  verifyContentMd5(md5(Buffer.from('a')), md5(Buffer.from('a')));
  assert.throws(
    () => verifyContentMd5(md5(Buffer.from('a')), md5(Buffer.from('b'))),
    (e: unknown) => e instanceof S3Error && e.code === 'BadDigest' && e.extra?.ExpectedDigest === md5(Buffer.from('a')).toString('base64'),
  );
});

test('a body that matches every expectation passes whole, with its MD5', async () => {
  const body = randomBytes(300_000);
  const crc = createChecksum('crc32c');
  crc.update(body);
  const verifier = new BodyVerifier({
    sha256Hex: createHash('sha256').update(body).digest('hex'),
    contentMd5: md5(body),
    checksum: { algorithm: 'crc32c', value: crc.digestBase64() },
    length: body.length,
  });
  const { output, error } = await runThrough(verifier, body, 10_000);
  assert.equal(error, undefined);
  assert.ok(output.equals(body));
  assert.deepEqual(verifier.md5, md5(body));
  assert.equal(verifier.bytes, body.length);
});

test('every mismatch fails at the end and the last bytes never come out', async () => {
  const body = randomBytes(100_000);
  const cases: Array<[string, ConstructorParameters<typeof BodyVerifier>[0]]> = [
    ['XAmzContentSHA256Mismatch', { sha256Hex: createHash('sha256').update('other').digest('hex') }],
    ['BadDigest', { contentMd5: md5(Buffer.from('other')) }],
    ['BadDigest', { checksum: { algorithm: 'sha1', value: createHash('sha1').update('x').digest('base64') } }],
    ['IncompleteBody', { length: body.length + 1 }],
    ['IncompleteBody', { length: body.length - 1 }],
  ];
  for (const [code, expect] of cases) {
    const verifier = new BodyVerifier(expect);
    const { output, error } = await runThrough(verifier, body, 10_000);
    assert.ok(error instanceof S3Error, code);
    assert.equal(error.code, code);
    assert.ok(output.length < body.length, `${code}: held back (${output.length} of ${body.length} out)`);
    assert.ok(body.subarray(0, output.length).equals(output), 'what came out is a prefix of the body');
    assert.throws(() => verifier.md5);
  }
});

test('a bad body never lands: the backend PUT is cut short, a good one completes', async (t) => {
  const received: Array<{ bytes: number; complete: boolean }> = [];
  const backend = await startServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      received.push({ bytes, complete: true });
      res.end();
    });
    req.on('error', () => received.push({ bytes, complete: false }));
    req.on('aborted', () => undefined);
  });
  t.after(() => backend.close());

  const put = (body: Buffer, verifier: BodyVerifier) => {
    const request = http.request(`${backend.url}/k`, { method: 'PUT', headers: { 'content-length': body.length } });
    const response = new Promise<number>((resolve, reject) => {
      request.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      request.on('error', reject);
    });
    response.catch(() => undefined); // when the verifier fails, the aborted request rejects too
    return pipeline(Readable.from(chunked(body, 16_384)), verifier, request).then(() => response);
  };
  const body = randomBytes(200_000);
  assert.equal(await put(body, new BodyVerifier({ contentMd5: md5(body) })), 200);
  await assert.rejects(put(body, new BodyVerifier({ contentMd5: md5(Buffer.from('nope')) })), (e: unknown) => e instanceof S3Error && e.code === 'BadDigest');
  await waitFor(() => received.length === 2);
  assert.deepEqual(received[0], { bytes: body.length, complete: true });
  assert.equal(received[1]!.complete, false);
  assert.ok(received[1]!.bytes < body.length);
});

function* chunked(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition reached');
}

test('compute: the default checksum of a body sent without one, over the bytes as they stream (no check)', async () => {
  const body = randomBytes(300_000);
  const v = new BodyVerifier({ length: body.length, compute: 'crc64nvme' });
  assert.equal(v.computed, undefined, 'not before the end');
  const chunks: Buffer[] = [];
  v.on('data', (c: Buffer) => chunks.push(c));
  await pipeline(Readable.from([body.subarray(0, 7), body.subarray(7, 100_001), body.subarray(100_001)]), v);
  const reference = createChecksum('crc64nvme');
  reference.update(body);
  assert.equal(v.computed, reference.digestBase64());
  assert.ok(Buffer.concat(chunks).equals(body));
  assert.equal(new BodyVerifier({}).computed, undefined, 'nothing computed unless asked');
});
