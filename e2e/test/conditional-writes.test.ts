// Conditional writes (AWS since 2024): If-Match on PutObject and CompleteMultipartUpload,
// If-None-Match: * on both, and the races — many concurrent conditional writers of one key,
// of which exactly one wins, and a write whose object was replaced while its body was still
// arriving (409 ConditionalRequestConflict), decided under the key lock in the commit.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  KiB, expectS3Error, getBytes, openSystemLedger, parseErrorXml, patternBytes, put, signRequest, startSystem, testNothingEscaped, waitUntil,
  type E2ESystem,
} from '../src/index.js';

describe('conditional writes', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  const read = async (key: string) => (await getBytes(s3, { Bucket: bucket, Key: key })).body.toString();

  test('PutObject If-Match: the current ETag writes; another ETag or an absent key is 412 and writes nothing', async () => {
    const { ETag } = await put(s3, { Bucket: bucket, Key: 'cond/put', Body: 'v1' });
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'cond/put', Body: 'v2', IfMatch: '"0123456789abcdef0123456789abcdef"' }),
      { code: 'PreconditionFailed', status: 412 });
    assert.equal(await read('cond/put'), 'v1');
    const out = await put(s3, { Bucket: bucket, Key: 'cond/put', Body: 'v2', IfMatch: ETag });
    assert.notEqual(out.ETag, ETag);
    assert.equal(await read('cond/put'), 'v2');
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'cond/put', Body: 'v3', IfMatch: ETag }), { code: 'PreconditionFailed', status: 412 });
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'cond/absent', Body: 'x', IfMatch: ETag }), { code: 'PreconditionFailed', status: 412 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond/absent' })), { status: 404 });
  });

  const upload = async (key: string, body: string) => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: body }));
    return (condition: { IfMatch?: string; IfNoneMatch?: string } = {}) => s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] }, ...condition,
    }));
  };
  const openUploads = async (prefix: string) => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads?.length ?? 0;

  test('CompleteMultipartUpload If-None-Match: * completes onto an absent key; onto an existing one it is 412 and the upload stays', async () => {
    const first = await upload('cond/mp-new', 'first');
    await first({ IfNoneMatch: '*' });
    assert.equal(await read('cond/mp-new'), 'first');
    const second = await upload('cond/mp-new', 'second');
    await expectS3Error(second({ IfNoneMatch: '*' }), { code: 'PreconditionFailed', status: 412 });
    assert.equal(await read('cond/mp-new'), 'first');
    assert.equal(await openUploads('cond/mp-new'), 1, 'a condition that failed before the backend was asked leaves the upload open');
    await second();
    assert.equal(await read('cond/mp-new'), 'second');
  });

  test('CompleteMultipartUpload If-Match: the current ETag completes, another is 412', async () => {
    const { ETag } = await put(s3, { Bucket: bucket, Key: 'cond/mp-match', Body: 'plain' });
    const stale = await upload('cond/mp-match', 'stale');
    await expectS3Error(stale({ IfMatch: '"ffffffffffffffffffffffffffffffff"' }), { code: 'PreconditionFailed', status: 412 });
    await expectS3Error((await upload('cond/mp-absent', 'x'))({ IfMatch: ETag! }), { code: 'PreconditionFailed', status: 412 });
    await stale({ IfMatch: ETag! });
    assert.equal(await read('cond/mp-match'), 'stale');
  });

  test('a conditional PUT whose object is replaced while its body is still arriving is 409 ConditionalRequestConflict', async () => {
    const key = 'cond/conflict';
    const { ETag } = await put(s3, { Bucket: bucket, Key: key, Body: 'original' });
    const body = patternBytes(256 * KiB, key);
    const signed = await signRequest(sys.url, {
      method: 'PUT', path: `/${bucket}/${key}`, headers: { 'if-match': ETag!, 'content-length': String(body.length) },
      credentials: sys.bucket.credentials, payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(signed.url, { method: 'PUT', headers: signed.headers });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1000));
      // The condition held when the request began: its write claimed space (an intent) and
      // waits for the rest of the body. Another write of the key commits meanwhile.
      void waitUntil('the conditional write to hold an intent', () => ledger.listStaleIntents(Date.now() + 3_600_000, null, 100),
        (intents) => intents.some((i) => i.objectKey === `${bucket}/${key}` && i.kind === 'write'))
        .then(() => put(s3, { Bucket: bucket, Key: key, Body: 'the winner' }))
        .then(() => req.end(body.subarray(1000)), reject);
    });
    const res = await answer;
    assert.equal(res.status, 409, res.body);
    assert.equal(parseErrorXml(res.body).code, 'ConditionalRequestConflict');
    assert.equal(await read(key), 'the winner');
  });

  test('many concurrent If-Match writers of one key: exactly one wins, the others are 412 or 409', async () => {
    const key = 'cond/race-match';
    const { ETag } = await put(s3, { Bucket: bucket, Key: key, Body: 'start' });
    const writers = 12;
    const bodies = Array.from({ length: writers }, (_, i) => Buffer.concat([Buffer.from(`writer ${i} `), patternBytes(64 * KiB, `${key}${i}`)]));
    const outcomes = await Promise.allSettled(bodies.map((Body) => put(s3, { Bucket: bucket, Key: key, Body, IfMatch: ETag })));
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, `exactly one conditional writer wins; ${won.length} did`);
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        const status = (o.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        assert.ok(status === 412 || status === 409, `a loser answers 412 or 409, got ${status}: ${String(o.reason)}`);
      }
    }
    const stored = (await getBytes(s3, { Bucket: bucket, Key: key })).body;
    assert.ok(stored.equals(bodies[won[0]!]!), 'the object is the winner\'s');
  });

  test('many concurrent If-None-Match: * writers of a new key: exactly one wins, the others are 412', async () => {
    const key = 'cond/race-absent';
    const writers = 12;
    const outcomes = await Promise.allSettled(Array.from({ length: writers }, (_, i) =>
      put(s3, { Bucket: bucket, Key: key, Body: `writer ${i}`, IfNoneMatch: '*' })));
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, `exactly one writer creates the key; ${won.length} did`);
    for (const o of outcomes) {
      if (o.status === 'rejected') assert.equal((o.reason as { name: string }).name, 'PreconditionFailed');
    }
    assert.equal(await read(key), `writer ${won[0]}`);
  });

  testNothingEscaped(() => sys);
});
