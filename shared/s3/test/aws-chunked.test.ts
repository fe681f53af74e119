import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, type ChecksumAlgorithm as SdkChecksumAlgorithm } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/types';
import { AwsChunkedDecoder, contentEncodingWithoutAwsChunked, createAwsChunkedDecoder, type AwsChunkedOptions } from '../src/aws-chunked.js';
import { createChecksum, type ChecksumAlgorithm } from '../src/checksum.js';
import { S3Error, errorXml } from '../src/errors.js';
import { credentialScope, deriveSigningKey } from '../src/sigv4-core.js';
import { verifySigV4, type IncomingRequestParts } from '../src/sigv4-verify.js';
import {
  SECRET,
  awsSigner,
  encodeAwsChunked,
  lookup,
  runThrough,
  s3ClientFor,
  splitUrl,
  startRecorder,
  startServer,
  type ChunkSigner,
} from './helpers.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function isS3(code: string) {
  return (e: unknown) => e instanceof S3Error && e.code === code;
}

function signerFor(seedSignature: string, date = '20260301', amzDate = '20260301T120000Z'): ChunkSigner {
  return {
    signingKey: deriveSigningKey(SECRET, date, 'us-east-1', 's3'),
    amzDate,
    scope: credentialScope(date, 'us-east-1', 's3'),
    seedSignature,
  };
}

function signedOptions(decodedLength: number, signer: ChunkSigner, extra: Partial<AwsChunkedOptions> = {}): AwsChunkedOptions {
  const { seedSignature, signingKey, amzDate, scope } = signer;
  return { decodedLength, signing: { seedSignature, signingKey, amzDate, scope }, trailer: 'none', ...extra };
}

const total = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

/**
 * Streams a request body through `decoder` into `sink`. The request is piped rather than
 * put in the pipeline: a failing pipeline destroys its source, and destroying a server
 * request kills the socket before the error response can be written.
 */
function decodeInto(req: http.IncomingMessage, decoder: AwsChunkedDecoder, sink: NodeJS.WritableStream): Promise<void> {
  req.on('error', (err) => decoder.destroy(err));
  req.pipe(decoder);
  return pipeline(decoder, sink);
}

function hashSink(hash: ReturnType<typeof createHash>): Writable {
  return new Writable({ write: (c: Buffer, _e, cb) => (hash.update(c), cb()) });
}

// ---- AWS's published example (S3 API reference, "Signature calculations for the
// Authorization header: transferring payload in multiple chunks") ----

const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const DOC_CHUNK_SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const DOC_TRAILER_SIG = 'df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c';
const DOC_DATA = [Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'a')];
const DOC_REQUEST: IncomingRequestParts = {
  method: 'PUT',
  rawPath: '/examplebucket/chunkObject.txt',
  rawQuery: undefined,
  headers: {
    host: 's3.amazonaws.com',
    'x-amz-date': '20130524T000000Z',
    'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': '66560',
    'content-length': '66824',
    'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class, Signature=' +
      DOC_SEED,
  },
};
const DOC_BODY = Buffer.concat([
  Buffer.from(`10000;chunk-signature=${DOC_CHUNK_SIGS[0]}\r\n`),
  DOC_DATA[0]!,
  Buffer.from(`\r\n400;chunk-signature=${DOC_CHUNK_SIGS[1]}\r\n`),
  DOC_DATA[1]!,
  Buffer.from(`\r\n0;chunk-signature=${DOC_CHUNK_SIGS[2]}\r\n\r\n`),
]);
const DOC_NOW = new Date('2013-05-24T00:00:00Z');
const docLookup = (id: string) => (id === 'AKIAIOSFODNN7EXAMPLE' ? DOC_SECRET : undefined);

test("AWS's published chunked upload: the request verifies and the body decodes", async () => {
  assert.equal(DOC_BODY.length, 66824);
  const auth = verifySigV4(DOC_REQUEST, docLookup, DOC_NOW);
  assert.equal(auth.payload.mode, 'streaming-signed');
  if (auth.payload.mode !== 'streaming-signed') return;
  assert.equal(auth.payload.seedSignature, DOC_SEED);
  const { output, error } = await runThrough(createAwsChunkedDecoder(auth.payload, DOC_REQUEST.headers), DOC_BODY, 1000);
  assert.equal(error, undefined);
  assert.ok(output.equals(Buffer.concat(DOC_DATA)));
});

test("the test encoder reproduces AWS's published chunk signatures", () => {
  const signer = { ...signerFor(DOC_SEED, '20130524', '20130524T000000Z'), signingKey: deriveSigningKey(DOC_SECRET, '20130524', 'us-east-1', 's3') };
  const encoded = encodeAwsChunked(DOC_DATA, { signer });
  assert.deepEqual(encoded.signatures, DOC_CHUNK_SIGS);
  assert.ok(encoded.body.equals(DOC_BODY));
});

test("AWS's signed-trailer vector (aws-c-auth) verifies; a changed trailer does not", async () => {
  const opts: AwsChunkedOptions = {
    decodedLength: 66560,
    signing: { seedSignature: DOC_SEED, signingKey: deriveSigningKey(DOC_SECRET, '20130524', 'us-east-1', 's3'), amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request' },
    trailer: 'signed',
  };
  const withTrailer = (trailer: string) =>
    Buffer.concat([DOC_BODY.subarray(0, DOC_BODY.length - 2), Buffer.from(`${trailer}x-amz-trailer-signature:${DOC_TRAILER_SIG}\r\n\r\n`)]);
  const good = await runThrough(new AwsChunkedDecoder(opts), withTrailer('first:1st\r\nsecond:2nd\r\nthird:3rd\r\n'));
  assert.equal(good.error, undefined);
  assert.equal(good.output.length, 66560);
  const bad = await runThrough(new AwsChunkedDecoder(opts), withTrailer('first:1st\r\nsecond:2nd\r\nthird:3RD\r\n'));
  assert.ok(isS3('SignatureDoesNotMatch')(bad.error));
  assert.ok(bad.output.length < 66560, 'the last bytes were held back');
});

// ---- the real S3 client ----

test('the test encoder frames bodies byte-for-byte like the real S3 client', async (t) => {
  const server = await startRecorder();
  t.after(() => server.close());
  const client = s3ClientFor(server.url);
  t.after(() => client.destroy());
  const pieces = [randomBytes(70000), Buffer.from('yz'), randomBytes(9000)];
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from(pieces), ContentLength: total(pieces) }));
  const recorded = server.requests[0]!;
  assert.equal(recorded.headers['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  assert.equal(recorded.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
  assert.ok(recorded.body.equals(encodeAwsChunked(pieces, { trailerChecksum: 'crc32' }).body));
});

test('PutObject from the real S3 client decodes and verifies with every checksum algorithm', async (t) => {
  const outcomes: Array<{ sha256: string; checksum?: ChecksumAlgorithm }> = [];
  const server = await startServer((req, res) => {
    const fail = (err: unknown) => {
      res.statusCode = err instanceof S3Error ? err.status : 500;
      res.end(err instanceof S3Error ? errorXml(err, 't') : String(err));
    };
    try {
      const auth = verifySigV4({ method: req.method!, ...splitUrl(req.url!), headers: req.headers }, lookup);
      assert.equal(auth.payload.mode, 'streaming-unsigned-trailer');
      if (auth.payload.mode !== 'streaming-unsigned-trailer') return;
      const decoder = createAwsChunkedDecoder(auth.payload, req.headers);
      const hash = createHash('sha256');
      decodeInto(req, decoder, hashSink(hash)).then(
        () => {
          outcomes.push({ sha256: hash.digest('hex'), ...(decoder.checksumResult ? { checksum: decoder.checksumResult.algorithm } : {}) });
          res.setHeader('ETag', '"0"');
          res.end();
        },
        fail,
      );
    } catch (err) {
      fail(err);
    }
  });
  t.after(() => server.close());
  const client = s3ClientFor(server.url);
  t.after(() => client.destroy());
  const algorithms: SdkChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'];
  for (const ChecksumAlgorithm of algorithms) {
    const pieces = Array.from({ length: 6 }, (_, i) => randomBytes(1 + ((i * 37_777) % 70_000)));
    await client.send(
      new PutObjectCommand({ Bucket: 'b', Key: `k-${ChecksumAlgorithm}`, Body: Readable.from(pieces), ContentLength: total(pieces), ChecksumAlgorithm }),
    );
    assert.deepEqual(outcomes.at(-1), { sha256: sha256(Buffer.concat(pieces)), checksum: ChecksumAlgorithm.toLowerCase() });
  }
});

test('a flipped byte in a body from the real S3 client is BadDigest, with the end held back', async (t) => {
  const server = await startRecorder();
  t.after(() => server.close());
  const client = s3ClientFor(server.url);
  t.after(() => client.destroy());
  const pieces = [randomBytes(50_000), randomBytes(50_000)];
  await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from(pieces), ContentLength: 100_000, ChecksumAlgorithm: 'CRC32C' }));
  const recorded = server.requests[0]!;
  const body = Buffer.from(recorded.body);
  body[encodeAwsChunked(pieces).dataOffsets[1]! + 10]! ^= 0x01; // a byte inside the second chunk's data
  const auth = verifySigV4(recorded, lookup);
  assert.equal(auth.payload.mode, 'streaming-unsigned-trailer');
  if (auth.payload.mode !== 'streaming-unsigned-trailer') return;
  const { output, error } = await runThrough(createAwsChunkedDecoder(auth.payload, recorded.headers), body, 4096);
  assert.ok(isS3('BadDigest')(error));
  assert.equal((error as S3Error).message, 'The CRC32C you specified did not match the calculated checksum.');
  assert.ok(output.length < 100_000 && output.length >= 90_000, `${output.length} bytes out`);
});

// ---- signed streaming over a real socket ----

test('a signed streaming upload (with signed trailer) over HTTP verifies chunk by chunk', async (t) => {
  const results: Array<{ sha256: string } | { error: string }> = [];
  const server = await startServer((req, res) => {
    try {
      const auth = verifySigV4({ method: req.method!, ...splitUrl(req.url!), headers: req.headers }, lookup);
      if (auth.payload.mode !== 'streaming-signed') throw new Error(`unexpected mode ${auth.payload.mode}`);
      const hash = createHash('sha256');
      decodeInto(req, createAwsChunkedDecoder(auth.payload, req.headers), hashSink(hash)).then(
        () => (results.push({ sha256: hash.digest('hex') }), res.end()),
        (err: S3Error) => (results.push({ error: err.code }), (res.statusCode = err.status), res.end(errorXml(err, 't'))),
      );
    } catch (err) {
      results.push({ error: (err as S3Error).code });
      res.statusCode = 403;
      res.end();
    }
  });
  t.after(() => server.close());

  const send = async (chunks: Buffer[], tamper?: (body: Buffer) => void) => {
    const date = new Date();
    const encodedLength = encodeAwsChunked(chunks, { signer: signerFor('0'.repeat(64)), trailerChecksum: 'sha256', signTrailer: true }).body.length;
    const request: HttpRequest = {
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path: '/bucket/signed%20stream',
      query: {},
      headers: {
        host: `127.0.0.1:${server.port}`,
        'content-encoding': 'aws-chunked',
        'content-length': String(encodedLength),
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': String(total(chunks)),
        'x-amz-trailer': 'x-amz-checksum-sha256',
      },
    };
    const signedReq = await awsSigner().sign(request, { signingDate: date });
    const seed = /Signature=([0-9a-f]{64})/.exec(signedReq.headers.authorization!)![1]!;
    const amzDate = signedReq.headers['x-amz-date']!;
    const { body } = encodeAwsChunked(chunks, { signer: signerFor(seed, amzDate.slice(0, 8), amzDate), trailerChecksum: 'sha256', signTrailer: true });
    tamper?.(body);
    return new Promise<number>((resolve, reject) => {
      const r = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: signedReq.path, headers: signedReq.headers }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on('error', reject);
      r.end(body);
    });
  };
  const chunks = [randomBytes(65536), randomBytes(65536), randomBytes(1000)];
  assert.equal(await send(chunks), 200);
  assert.deepEqual(results.at(-1), { sha256: sha256(Buffer.concat(chunks)) });
  assert.equal(await send(chunks, (b) => (b[70_000]! ^= 0xff)), 403);
  assert.deepEqual(results.at(-1), { error: 'SignatureDoesNotMatch' });
});

test('a flipped byte in a middle chunk fails before any byte of that chunk comes out', async () => {
  const signer = signerFor('1'.repeat(64));
  const chunks = Array.from({ length: 5 }, () => randomBytes(65536));
  const data = Buffer.concat(chunks);
  const encoded = encodeAwsChunked(chunks, { signer });
  const good = await runThrough(new AwsChunkedDecoder(signedOptions(data.length, signer)), encoded.body, 8192);
  assert.equal(good.error, undefined);
  assert.ok(good.output.equals(data));

  const body = Buffer.from(encoded.body);
  body[encoded.dataOffsets[2]! + 30_000]! ^= 0x20;
  const { output, error } = await runThrough(new AwsChunkedDecoder(signedOptions(data.length, signer)), body, 8192);
  assert.ok(isS3('SignatureDoesNotMatch')(error));
  assert.ok(data.subarray(0, output.length).equals(output), 'only genuine bytes came out');
  assert.ok(output.length > 65536, 'the first chunk streamed through');
  assert.ok(output.length < 2 * 65536, 'the end of chunk 2 was still held when chunk 3 failed');
});

test('a wrong chunk signature in a header fails the same way', async () => {
  const signer = signerFor('2'.repeat(64));
  const chunks = [randomBytes(10_000), randomBytes(10_000)];
  const encoded = encodeAwsChunked(chunks, { signer });
  const body = Buffer.from(encoded.body.toString('latin1').replace(encoded.signatures[1]!, encoded.signatures[0]!), 'latin1');
  const { output, error } = await runThrough(new AwsChunkedDecoder(signedOptions(20_000, signer)), body);
  assert.ok(isS3('SignatureDoesNotMatch')(error));
  assert.ok(output.length < 10_000);
});

test('a wrong trailer checksum is BadDigest and the last bytes are held back', async () => {
  const chunks = [randomBytes(40_000), randomBytes(40_000), randomBytes(5)];
  const data = Buffer.concat(chunks);
  const wrong = createChecksum('crc32');
  wrong.update(Buffer.from('something else'));
  for (const signed of [false, true]) {
    const signer = signerFor('3'.repeat(64));
    const encoded = encodeAwsChunked(chunks, { trailerChecksum: 'crc32', trailerValue: wrong.digestBase64(), ...(signed ? { signer, signTrailer: true } : {}) });
    const opts: AwsChunkedOptions = signed
      ? signedOptions(data.length, signer, { trailer: 'signed', trailerChecksum: 'crc32' })
      : { decodedLength: data.length, trailer: 'unsigned', trailerChecksum: 'crc32' };
    const { output, error } = await runThrough(new AwsChunkedDecoder(opts), encoded.body, 4096);
    assert.ok(isS3('BadDigest')(error), `signed=${signed}`);
    assert.equal((error as S3Error).message, 'The CRC32 you specified did not match the calculated checksum.');
    assert.ok(data.subarray(0, output.length).equals(output));
    assert.ok(output.length < data.length, `held back (${output.length} of ${data.length})`);
  }
});

test('a bad body never lands: the backend PUT behind the decoder is cut short', async (t) => {
  const landed: Array<{ bytes: number; complete: boolean }> = [];
  const backend = await startServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => (landed.push({ bytes, complete: true }), res.end()));
    req.on('error', () => landed.push({ bytes, complete: false }));
  });
  t.after(() => backend.close());
  const gateway = await startServer((req, res) => {
    const fail = (err: S3Error) => {
      res.statusCode = err.status;
      res.end(errorXml(err, 't'));
    };
    try {
      const auth = verifySigV4({ method: req.method!, ...splitUrl(req.url!), headers: req.headers }, lookup);
      if (auth.payload.mode !== 'streaming-unsigned-trailer') throw new Error('unexpected mode');
      const decoder = createAwsChunkedDecoder(auth.payload, req.headers);
      const upstream = http.request(`${backend.url}/store`, { method: 'PUT', headers: { 'content-length': String(req.headers['x-amz-decoded-content-length']) } });
      upstream.on('error', () => undefined); // aborted on purpose when the body fails
      upstream.on('response', (r) => r.resume());
      decodeInto(req, decoder, upstream).then(() => res.end(), fail);
    } catch (err) {
      fail(err as S3Error);
    }
  });
  t.after(() => gateway.close());
  // A relay in front of the gateway flips one byte of the body in flight.
  let corrupt = false;
  const relay = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (corrupt) body[200_000]! ^= 0x01;
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const forward = http.request({ host: '127.0.0.1', port: gateway.port, method: req.method, path: req.url, headers }, (r) => {
        res.statusCode = r.statusCode!;
        r.pipe(res);
      });
      forward.end(body);
    });
  });
  t.after(() => relay.close());
  const client = s3ClientFor(relay.url);
  t.after(() => client.destroy());
  const data = randomBytes(300_000);
  const put = () => client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from([data.subarray(0, 150_000), data.subarray(150_000)]), ContentLength: data.length }));

  await put();
  corrupt = true;
  await assert.rejects(put(), (e: unknown) => (e as { name?: string }).name === 'BadDigest');
  for (let i = 0; i < 200 && landed.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(landed[0], { bytes: data.length, complete: true });
  assert.equal(landed[1]!.complete, false);
  assert.ok(landed[1]!.bytes < data.length);
});

// ---- framing, limits, lengths ----

test('input split into single bytes decodes the same', async () => {
  const signer = signerFor('4'.repeat(64));
  const chunks = [randomBytes(8192), randomBytes(300)];
  const { body } = encodeAwsChunked(chunks, { signer, trailerChecksum: 'crc64nvme', signTrailer: true });
  const { output, error } = await runThrough(
    new AwsChunkedDecoder(signedOptions(8492, signer, { trailer: 'signed', trailerChecksum: 'crc64nvme' })),
    body,
    1,
  );
  assert.equal(error, undefined);
  assert.ok(output.equals(Buffer.concat(chunks)));
});

test('a signed chunk below 8 KiB that is not the last is refused, as AWS does', async () => {
  const signer = signerFor('6'.repeat(64));
  const small = [randomBytes(8191), randomBytes(8192), randomBytes(10)];
  const refused = await runThrough(new AwsChunkedDecoder(signedOptions(16393, signer)), encodeAwsChunked(small, { signer }).body);
  assert.ok(isS3('InvalidChunkSizeError')(refused.error), String(refused.error));
  assert.equal(refused.output.length, 0, 'nothing of the body went downstream');
  // 8 KiB exactly, then a short last chunk: accepted.
  const fine = [randomBytes(8192), randomBytes(10)];
  const ok = await runThrough(new AwsChunkedDecoder(signedOptions(8202, signer)), encodeAwsChunked(fine, { signer }).body);
  assert.equal(ok.error, undefined);
});

test('a signed chunk held whole takes its size from the memory budget until it is verified', async () => {
  const signer = signerFor('7'.repeat(64));
  const chunks = [randomBytes(20_000), randomBytes(100)];
  let held = 0;
  let peak = 0;
  const reserve = (bytes: number) => {
    held += bytes;
    peak = Math.max(peak, held);
    return () => (held -= bytes);
  };
  const r = await runThrough(new AwsChunkedDecoder({ ...signedOptions(20_100, signer), reserve }), encodeAwsChunked(chunks, { signer }).body);
  assert.equal(r.error, undefined);
  assert.equal(peak, 20_000);
  assert.equal(held, 0, 'every reservation was given back');
  const refusing = () => {
    throw new Error('budget spent');
  };
  const refused = await runThrough(new AwsChunkedDecoder({ ...signedOptions(20_100, signer), reserve: refusing }), encodeAwsChunked(chunks, { signer }).body);
  assert.match(String(refused.error), /budget spent/);
});

test('oversized chunks are refused from their header, before any data', async () => {
  const header = Buffer.from(`1000001;chunk-signature=${'0'.repeat(64)}\r\n`);
  const r = await runThrough(new AwsChunkedDecoder(signedOptions(1 << 30, signerFor('5'.repeat(64)))), header);
  assert.ok(isS3('InvalidChunkSizeError')(r.error));
  const small = await runThrough(new AwsChunkedDecoder({ decodedLength: 100, trailer: 'unsigned', maxChunkSize: 10 }), Buffer.from('b\r\n'));
  assert.ok(isS3('InvalidChunkSizeError')(small.error));
});

test('decoded length must match x-amz-decoded-content-length; truncation is IncompleteBody', async () => {
  const chunks = [randomBytes(100)];
  const { body } = encodeAwsChunked(chunks, { trailerChecksum: 'crc32' });
  for (const decodedLength of [99, 101]) {
    const r = await runThrough(new AwsChunkedDecoder({ decodedLength, trailer: 'unsigned', trailerChecksum: 'crc32' }), body);
    assert.ok(isS3('IncompleteBody')(r.error), `decodedLength ${decodedLength}`);
    assert.equal(r.output.length, 0);
  }
  for (const cut of [3, 50, body.length - 20]) {
    const r = await runThrough(new AwsChunkedDecoder({ decodedLength: 100, trailer: 'unsigned', trailerChecksum: 'crc32' }), body.subarray(0, cut));
    assert.ok(isS3('IncompleteBody')(r.error), `cut at ${cut}`);
    assert.ok(r.output.length < 100);
  }
});

test('framing errors are refused', async () => {
  const unsigned: AwsChunkedOptions = { decodedLength: 3, trailer: 'unsigned' };
  const cases: Array<[string, AwsChunkedOptions, string, string]> = [
    ['bad hex', unsigned, 'zz\r\nabc\r\n0\r\n\r\n', 'InvalidChunkSizeError'],
    ['data longer than size', unsigned, '2\r\nabc\r\n0\r\n\r\n', 'InvalidRequest'],
    ['LF without CR', unsigned, '3\nabc\r\n0\r\n\r\n', 'InvalidRequest'],
    ['data after the end', unsigned, '3\r\nabc\r\n0\r\n\r\nmore', 'InvalidRequest'],
    ['trailer when none announced', { decodedLength: 3, trailer: 'none' }, '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n', 'InvalidRequest'],
    ['announced checksum missing', { ...unsigned, trailerChecksum: 'crc32' }, '3\r\nabc\r\n0\r\n\r\n', 'InvalidRequest'],
    ['checksum not base64 of 4 bytes', { ...unsigned, trailerChecksum: 'crc32' }, '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:abc\r\n\r\n', 'InvalidRequest'],
    ['garbage trailer line', unsigned, '3\r\nabc\r\n0\r\nnocolon\r\n\r\n', 'InvalidRequest'],
    ['endless line', unsigned, 'f'.repeat(5000), 'InvalidRequest'],
  ];
  for (const [what, opts, body, code] of cases) {
    const r = await runThrough(new AwsChunkedDecoder(opts), Buffer.from(body), 7);
    assert.ok(isS3(code)(r.error), `${what}: ${String(r.error)}`);
  }
  const signer = signerFor('6'.repeat(64));
  const noSig = await runThrough(new AwsChunkedDecoder(signedOptions(3, signer)), Buffer.from('3\r\nabc\r\n0\r\n\r\n'));
  assert.ok(isS3('SignatureDoesNotMatch')(noSig.error));
  const { body } = encodeAwsChunked([Buffer.from('abc')], { signer, trailerChecksum: 'crc32' });
  const noTrailerSig = await runThrough(new AwsChunkedDecoder(signedOptions(3, signer, { trailer: 'signed', trailerChecksum: 'crc32' })), body);
  assert.ok(isS3('SignatureDoesNotMatch')(noTrailerSig.error));
});

test('a body ending right after its trailer lines is accepted', async () => {
  const { body } = encodeAwsChunked([Buffer.from('hello')], { trailerChecksum: 'crc32c' });
  const r = await runThrough(new AwsChunkedDecoder({ decodedLength: 5, trailer: 'unsigned', trailerChecksum: 'crc32c' }), body.subarray(0, body.length - 2));
  assert.equal(r.error, undefined);
  assert.equal(r.output.toString(), 'hello');
});

test('an empty object decodes to nothing', async () => {
  const { body } = encodeAwsChunked([], { trailerChecksum: 'crc32' });
  const r = await runThrough(new AwsChunkedDecoder({ decodedLength: 0, trailer: 'unsigned', trailerChecksum: 'crc32' }), body);
  assert.equal(r.error, undefined);
  assert.equal(r.output.length, 0);
});

test('createAwsChunkedDecoder reads its settings from the headers', () => {
  const payload = { mode: 'streaming-unsigned-trailer' } as const;
  assert.throws(() => createAwsChunkedDecoder(payload, {}), isS3('MissingContentLength'));
  assert.throws(() => createAwsChunkedDecoder(payload, { 'x-amz-decoded-content-length': '-1' }), isS3('InvalidArgument'));
  assert.throws(() => createAwsChunkedDecoder(payload, { 'x-amz-decoded-content-length': '1', 'x-amz-trailer': 'x-amz-checksum-md5' }), isS3('InvalidRequest'));
  assert.throws(
    () => createAwsChunkedDecoder(payload, { 'x-amz-decoded-content-length': '1', 'x-amz-trailer': 'x-amz-checksum-crc32, x-amz-checksum-sha1' }),
    isS3('InvalidRequest'),
  );
  assert.ok(createAwsChunkedDecoder(payload, { 'x-amz-decoded-content-length': '1', 'x-amz-trailer': 'X-Amz-Checksum-CRC32C' }) instanceof AwsChunkedDecoder);
});

test('contentEncodingWithoutAwsChunked keeps only real encodings', () => {
  assert.equal(contentEncodingWithoutAwsChunked('aws-chunked'), undefined);
  assert.equal(contentEncodingWithoutAwsChunked('aws-chunked,gzip'), 'gzip');
  assert.equal(contentEncodingWithoutAwsChunked('gzip, AWS-CHUNKED, br'), 'gzip, br');
  assert.equal(contentEncodingWithoutAwsChunked(undefined), undefined);
});
