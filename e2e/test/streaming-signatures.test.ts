// STREAMING-AWS4-HMAC-SHA256-PAYLOAD uploads through the gateway, as minio-go and other SDKs
// send them over plain HTTP: the headers signed with the AWS signer, then every chunk of the
// aws-chunked body signed in a chain from that seed signature. The chunk signing below is
// written from the AWS documentation ("Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks"), independently of the gateway's verifier. A body
// held in memory, one streamed through (above the replay buffer) and a part arrive whole; a
// chunk whose signature is wrong mid-body is refused with 403 SignatureDoesNotMatch and
// leaves nothing behind: no object, no listing entry, no intent, no bytes on a backend.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  encodeKeyPath,
  expectS3Error,
  getBytes,
  KiB,
  listBackend,
  md5Hex,
  openSystemLedger,
  parseErrorXml,
  patternBytes,
  sendSigned,
  signRequest,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type Credential,
  type E2ESystem,
} from '../src/index.js';

const REPLAY_BUFFER = 256 * KiB;
const CHUNK = 64 * KiB;
const REGION = 'us-east-1';
const EMPTY_SHA256 = createHash('sha256').digest('hex');

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * The body of a signed streaming upload: `<hex size>;chunk-signature=<sig>\r\n<data>\r\n` per
 * chunk, then the final empty chunk. Each signature is HMAC(signing key, string to sign) with
 *   AWS4-HMAC-SHA256-PAYLOAD \n date \n scope \n previous signature \n sha256("") \n sha256(data)
 * and the seed signature (that of the headers) as the first "previous". `corrupt` spoils the
 * signature of the chunk with that index.
 */
function signedChunkedBody(data: Buffer, seed: string, amzDate: string, secret: string, corrupt?: number): Buffer {
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${REGION}/s3/aws4_request`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), REGION), 's3'), 'aws4_request');
  const parts: Buffer[] = [];
  let previous = seed;
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += CHUNK) chunks.push(data.subarray(at, at + CHUNK));
  chunks.push(Buffer.alloc(0));
  chunks.forEach((chunk, i) => {
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, EMPTY_SHA256, sha256(chunk)].join('\n');
    let signature = hmac(key, toSign).toString('hex');
    previous = signature;
    if (i === corrupt) signature = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`, 'latin1'), chunk, Buffer.from('\r\n'));
  });
  return Buffer.concat(parts);
}

/** The encoded length of `size` bytes in CHUNK-sized signed chunks (needed before signing the headers). */
function encodedLength(size: number): number {
  const frame = (n: number) => n.toString(16).length + ';chunk-signature='.length + 64 + 2 + n + 2;
  let total = frame(0);
  for (let left = size; left > 0; left -= CHUNK) total += frame(Math.min(CHUNK, left));
  return total;
}

/** A signed streaming PUT of `data` to `path` (object or part): status and body of the answer. */
async function streamingPut(url: string, credentials: Credential, path: string, data: Buffer, options: { query?: Record<string, string>; corrupt?: number } = {}) {
  const signingDate = new Date();
  const signed = await signRequest(url, {
    method: 'PUT', path, query: options.query ?? {}, credentials, signingDate,
    payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      'content-length': String(encodedLength(data.length)),
    },
  });
  const seed = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? signed.headers.Authorization ?? '')?.[1];
  const amzDate = signed.headers['x-amz-date'];
  assert.ok(seed && amzDate, 'the request carries a seed signature');
  const body = signedChunkedBody(data, seed, amzDate, credentials.secretAccessKey, options.corrupt);
  assert.equal(body.length, encodedLength(data.length));
  return sendSigned(signed, body);
}

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD uploads', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;

  before(async () => {
    sys = await startSystem({ backends: [{}, {}], overrides: { server: { replay_buffer_bytes: String(REPLAY_BUFFER) } } });
    s3 = sys.client();
    ledger = await openSystemLedger(sys);
    bucket = sys.bucket.name;
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  const objectPath = (key: string) => `/${bucket}/${encodeKeyPath(key)}`;

  for (const [label, size] of [['held in memory', 150 * KiB + 7], ['streamed through', 700 * KiB + 3]] as const) {
    test(`a signed streaming PUT ${label} (${size} bytes) arrives whole, with the MD5 of its bytes as ETag`, async () => {
      const key = `chunked/${label.replace(/ /g, '-')}`;
      const data = patternBytes(size, key);
      const answer = await streamingPut(sys.url, sys.bucket.credentials, objectPath(key), data);
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers.get('etag'), `"${md5Hex(data)}"`);
      const got = await getBytes(s3, { Bucket: bucket, Key: key });
      assert.ok(got.body.equals(data), 'the stored object is the decoded body, without the chunk framing');
      assert.equal(got.output.ContentEncoding, undefined, 'aws-chunked is not stored as the object\'s Content-Encoding');
    });
  }

  test('a part sent with signed chunks completes into the object', async () => {
    const key = 'chunked/multipart';
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    const data = patternBytes(300 * KiB, key);
    const answer = await streamingPut(sys.url, sys.bucket.credentials, objectPath(key), data, { query: { partNumber: '1', uploadId } });
    assert.equal(answer.status, 200, answer.body);
    const etag = answer.headers.get('etag')!;
    assert.equal(etag, `"${md5Hex(data)}"`);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] } }));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(data));
  });

  for (const [label, size] of [['held in memory', 150 * KiB], ['streamed through', 700 * KiB]] as const) {
    test(`a bad chunk signature mid-body of a PUT ${label}: 403 SignatureDoesNotMatch, and nothing is left anywhere`, async () => {
      const key = `chunked/bad-${label.replace(/ /g, '-')}`;
      const answer = await streamingPut(sys.url, sys.bucket.credentials, objectPath(key), patternBytes(size, key), { corrupt: 2 });
      assert.equal(answer.status, 403, answer.body);
      const error = parseErrorXml(answer.body);
      assert.equal(error.code, 'SignatureDoesNotMatch');
      assert.equal(error.requestId, answer.headers.get('x-amz-request-id'));

      await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { status: 404 });
      assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }))).Contents ?? [], []);
      const intents = async () => (await ledger.listStaleIntents(Number.MAX_SAFE_INTEGER, null, 10_000)).filter((i) => i.objectKey === `${bucket}/${key}`);
      await waitUntil('the intent to end', intents, (left) => left.length === 0);
      // Bytes streamed before the bad chunk were owed and are deleted; the backend never completed the PUT.
      await waitUntil('no byte of it on any backend', async () => (await Promise.all(sys.backends.map((b) => listBackend(b, `${bucket}/${key}`)))).flat(),
        (left) => left.length === 0);
      await waitUntil('the space to be free', async () => ({ queued: await ledger.cleanupDepth(), quotas: await ledger.getQuotas() }),
        (v) => v.queued === 0 && v.quotas.every((q) => q.orphanBytes === 0));
    });
  }

  test('a bad chunk signature in a part: 403, no part is listed, and Abort frees what it claimed', async () => {
    const key = 'chunked/bad-part';
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    const answer = await streamingPut(sys.url, sys.bucket.credentials, objectPath(key), patternBytes(300 * KiB, key), { query: { partNumber: '1', uploadId }, corrupt: 3 });
    assert.equal(answer.status, 403, answer.body);
    assert.equal(parseErrorXml(answer.body).code, 'SignatureDoesNotMatch');
    // The backend may hold what it read of the part inside its upload, so a part it began
    // reading keeps its claim (no ETag) until the upload ends (docs/architecture.md §11).
    const claims = await ledger.listParts(uploadId);
    assert.ok(claims.every((p) => p.etag === null), `no part recorded: ${JSON.stringify(claims)}`);
    assert.deepEqual((await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).Parts ?? [], []);

    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    await waitUntil('the part claim to end with the upload', () => ledger.listParts(uploadId), (parts) => parts.length === 0);
    // s3rver cannot abort (405): the upload's debt is dead-lettered at once, still charged;
    // the operator who settled it discards it and the space is free.
    const dead = await waitUntil('the abort debt to be settled', async () => ({
      queued: await ledger.cleanupDepth(),
      dead: (await ledger.listDeadLetters(null, 1000)).filter((d) => d.objectKey === `${bucket}/${key}`),
    }), (v) => v.queued === 0 && v.dead.length === 1);
    assert.equal(await ledger.discardDeadLetters(dead.dead.map((d) => d.id)), 1);
    const quotas = await ledger.getQuotas();
    assert.ok(quotas.every((q) => q.orphanBytes === 0 && q.inflightBytes === 0), JSON.stringify(quotas));
  });

  testNothingEscaped(() => sys);
});
