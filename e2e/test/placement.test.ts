// Where writes land: "pack" fills backends in config order and overflows when a quota is
// reached, "spread" prefers the least used backend, and a write no backend has room for is
// 507 InsufficientStorage — before the body is read when Content-Length already says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  answerBeforeBodyEnds,
  expectS3Error,
  getBytes,
  KiB,
  parseErrorXml,
  patternBytes,
  put,
  signRequest,
  startSystem,
  storedCopies,
  waitUntil,
  testNothingEscaped,
  type E2ESystem,
} from '../src/index.js';

/** 900 kB: three fit in a 3 MB quota, a fourth does not. */
const OBJECT = 900_000;

async function backendOf(sys: E2ESystem, key: string): Promise<string> {
  const copies = await storedCopies(sys.backends, sys.bucket.name, key);
  assert.equal(copies.length, 1, `${key}: expected one stored copy, found ${JSON.stringify(copies)}`);
  return copies[0]!.backend;
}

describe('placement: pack', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem({ routing: 'pack', backends: [{ quota: '3MB' }, { quota: '3MB' }, { quota: '3MB' }] });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const putObject = (key: string, size = OBJECT) => put(s3, { Bucket: bucket, Key: key, Body: patternBytes(size, key) });

  test('an object larger than every quota is 507 InsufficientStorage', async () => {
    await expectS3Error(putObject('pack/too-big', 3_500_000), { code: 'InsufficientStorage', status: 507 });
  });

  test('fills b1 first, then overflows to b2', async () => {
    for (let n = 1; n <= 4; n += 1) await putObject(`pack/${n}`);
    const where = await Promise.all([1, 2, 3, 4].map((n) => backendOf(sys, `pack/${n}`)));
    assert.deepEqual(where, ['b1', 'b1', 'b1', 'b2']);
  });

  test('fills every backend in order, then answers 507 InsufficientStorage', async () => {
    for (let n = 5; n <= 9; n += 1) await putObject(`pack/${n}`);
    const where = await Promise.all([5, 6, 7, 8, 9].map((n) => backendOf(sys, `pack/${n}`)));
    assert.deepEqual(where, ['b2', 'b2', 'b3', 'b3', 'b3']);
    await expectS3Error(putObject('pack/10'), { code: 'InsufficientStorage', status: 507 });
    // Everything already stored stays readable.
    const { body } = await getBytes(s3, { Bucket: bucket, Key: 'pack/9' });
    assert.ok(body.equals(patternBytes(OBJECT, 'pack/9')));
  });

  test('the 507 is answered from Content-Length before the body is sent', async () => {
    const signed = await signRequest(sys.url, {
      method: 'PUT',
      path: `/${bucket}/pack/early-507`,
      headers: { 'content-length': String(OBJECT) },
      credentials: sys.bucket.credentials,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const answer = await answerBeforeBodyEnds(signed, patternBytes(64 * KiB, 'early'));
    assert.equal(answer.status, 507, answer.body);
    assert.equal(parseErrorXml(answer.body).code, 'InsufficientStorage');
  });

  test('space freed by a delete is used again once cleanup has run', async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'pack/1' }));
    await waitUntil('pack/1 to leave b1', () => storedCopies(sys.backends, bucket, 'pack/1'), (c) => c.length === 0);
    // The quota is released in the ledger right after the backend delete: poll the write.
    await waitUntil(
      'a write to fit into the freed space',
      () => putObject('pack/after-delete').then(() => 'stored', (err: { name?: string }) => err.name ?? 'error'),
      (outcome) => outcome !== 'InsufficientStorage',
    ).then((outcome) => assert.equal(outcome, 'stored'));
    assert.equal(await backendOf(sys, 'pack/after-delete'), 'b1');
  });

  testNothingEscaped(() => sys);
});

describe('placement: spread', () => {
  let sys: E2ESystem;
  let s3: S3Client;

  before(async () => {
    sys = await startSystem({ routing: 'spread', backends: [{ quota: '10MB' }, { quota: '10MB' }, { quota: '10MB' }] });
    s3 = sys.client();
  });
  after(() => sys?.stop());

  test('equal objects are spread evenly over equal backends', async () => {
    const keys = Array.from({ length: 6 }, (_, i) => `spread/${i}`);
    for (const key of keys) await put(s3, { Bucket: sys.bucket.name, Key: key, Body: patternBytes(500_000, key) });
    const where = await Promise.all(keys.map((key) => backendOf(sys, key)));
    const counts = Object.fromEntries(['b1', 'b2', 'b3'].map((b) => [b, where.filter((w) => w === b).length]));
    assert.deepEqual(counts, { b1: 2, b2: 2, b3: 2 });
  });

  testNothingEscaped(() => sys);
});
