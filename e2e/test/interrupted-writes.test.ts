// Writes that end half-way: a client that disconnects mid-body (PUT held in memory, PUT
// streamed through, UploadPart), a client that stops sending mid-body of a streamed PUT, and
// a backend that dies while a PUT larger than the replay buffer streams to it. Each time the
// intent ends, whatever bytes reached the backend become a debt (and are deleted when the
// backend can be reached), the space claimed is given back, and nothing is listed. Each
// backend sits behind a counting proxy, so the test knows when body bytes have really
// reached it before it pulls the plug.
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { IntentRow, Ledger } from '@s3o/store';
import {
  answerBeforeBodyEnds,
  BACKEND_BUCKET,
  encodeKeyPath,
  expectS3Error,
  getBytes,
  KiB,
  MiB,
  openSystemLedger,
  parseErrorXml,
  patternBytes,
  signRequest,
  startMeteredSystem,
  testNothingEscaped,
  waitUntil,
  type CountingProxy,
  type MeteredSystem,
} from '../src/index.js';

const REPLAY_BUFFER = 256 * KiB;

interface Answer {
  status: number;
  body: string;
}

/** A signed request whose body the test writes piece by piece (or never finishes). */
interface OpenRequest {
  req: ClientRequest;
  /** the answer, or the connection error when there was none */
  answer: Promise<Answer | Error>;
}

describe('interrupted writes', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;

  before(async () => {
    m = await startMeteredSystem({
      backends: [{}, {}],
      overrides: { routing_strategy: 'pack', server: { replay_buffer_bytes: String(REPLAY_BUFFER) } },
    });
    // No SDK retries: a failed write must not be hidden by a second attempt.
    s3 = m.sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(m.sys);
    bucket = m.sys.bucket.name;
  });
  after(async () => {
    await ledger?.close();
    await m?.stop();
  });

  async function openWrite(key: string, length: number, query: Record<string, string> = {}): Promise<OpenRequest> {
    const signed = await signRequest(m.sys.url, {
      method: 'PUT', path: `/${bucket}/${encodeKeyPath(key)}`, query, headers: { 'content-length': String(length) },
      credentials: m.sys.bucket.credentials, payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const req = httpRequest(signed.url, { method: 'PUT', headers: signed.headers, agent: false });
    const answer = new Promise<Answer | Error>((resolve) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', resolve);
      });
      req.on('error', resolve);
    });
    return { req, answer };
  }

  const intentsOf = async (key: string): Promise<IntentRow[]> =>
    (await ledger.listStaleIntents(Number.MAX_SAFE_INTEGER, null, 10_000)).filter((i) => i.objectKey === `${bucket}/${key}`);
  const quotaOf = async (backend: string) => (await ledger.getQuotas()).find((q) => q.backendName === backend)!;
  const bytesReaching = (proxy: CountingProxy, since: number) => waitUntil('body bytes to reach the backend', async () => proxy.counts().ingress, (n) => n > since, { timeoutMs: 30_000, intervalMs: 20 });

  /** Nothing of `key` is left: no intent, no object, no listing entry; its space and debts settled on b1. */
  async function assertNothingLeft(key: string, storageKey: string | null): Promise<void> {
    await waitUntil(`the intent of ${key} to end`, () => intentsOf(key), (left) => left.length === 0, { timeoutMs: 30_000 });
    await waitUntil('the debts on b1 to be paid', async () => ({ queued: await ledger.cleanupDepth(), b1: await quotaOf('b1') }),
      (v) => v.queued === 0 && v.b1.orphanBytes === 0, { timeoutMs: 30_000 });
    assert.equal((await quotaOf('b1')).bytesUsed, 0, 'nothing was charged (the first tests leave b1 empty)');
    assert.equal(await ledger.getObject(`${bucket}/${key}`), null);
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { status: 404 });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    assert.deepEqual(listed.Contents ?? [], [], 'nothing is listed');
    if (storageKey) {
      await assert.rejects(m.sys.backends[0]!.rawClient.send(new HeadObjectCommand({ Bucket: BACKEND_BUCKET, Key: storageKey })), { name: 'NotFound' });
    }
  }

  test('a client that disconnects mid-body of a small PUT (held in memory): nothing is written, the claim is dropped', async () => {
    const key = 'cut/small';
    const putsBefore = m.proxies[0]!.counts().byKind['PUT'] ?? 0;
    const w = await openWrite(key, 100 * KiB);
    w.req.write(patternBytes(40 * KiB, key));
    // Space is claimed before the body is read: the intent is there while the body is awaited.
    const [intent] = await waitUntil('the write to claim space', () => intentsOf(key), (i) => i.length === 1, { timeoutMs: 30_000, intervalMs: 20 });
    w.req.destroy();
    await w.answer;
    await assertNothingLeft(key, intent!.storageKey);
    assert.equal(m.proxies[0]!.counts().byKind['PUT'] ?? 0, putsBefore, 'no byte of it went to a backend');
  });

  test('a client that disconnects mid-body of a streamed PUT: the bytes that reached the backend become a debt and are deleted', async () => {
    const key = 'cut/streamed';
    const b1 = m.proxies[0]!;
    const seqBefore = await ledger.latestEventSeq();
    const ingressBefore = b1.counts().ingress;
    const w = await openWrite(key, 2 * MiB);
    w.req.write(patternBytes(1 * MiB, key));
    const [intent] = await waitUntil('the write to claim space', () => intentsOf(key), (i) => i.length === 1, { timeoutMs: 30_000, intervalMs: 20 });
    await bytesReaching(b1, ingressBefore);
    w.req.destroy();
    await w.answer;
    await assertNothingLeft(key, intent!.storageKey);
    const owed = (await ledger.readEventsAfter(seqBefore, 10_000)).filter((e) => e.type === 'cleanup.enqueued' && e.resource === 'b1');
    assert.ok(owed.length >= 1, 'the partial bytes were owed as a debt');
  });

  test('a client that disconnects mid-body of an UploadPart: no part is recorded, its claim stays until the upload ends, and the part can be sent again', async () => {
    const key = 'cut/part';
    const b1 = m.proxies[0]!;
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
    assert.equal((await ledger.getUpload(uploadId))?.backendName, 'b1');
    const ingressBefore = b1.counts().ingress;
    const w = await openWrite(key, 2 * MiB, { partNumber: '1', uploadId });
    w.req.write(patternBytes(1 * MiB, key));
    await waitUntil('the part to claim space', () => ledger.listParts(uploadId), (p) => p.length === 1, { timeoutMs: 30_000, intervalMs: 20 });
    await bytesReaching(b1, ingressBefore);
    w.req.destroy();
    await w.answer;

    // The backend read some of the part and may keep it inside its upload, so the claim stays
    // charged, with no ETag, until the upload ends (docs/architecture.md §11).
    assert.deepEqual((await ledger.listParts(uploadId)).map((p) => [p.partNumber, p.etag]), [[1, null]]);
    assert.deepEqual((await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).Parts ?? [], []);
    const body = patternBytes(2 * MiB, `${key}#again`);
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: body }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), 'the part sent again is the object');
    assert.deepEqual(await ledger.listParts(uploadId), [], 'the claims ended with the upload');
  });

  // Last: b1 stays dead.
  test('a backend that dies mid-stream of a PUT larger than the replay buffer: 503, no failover, the partial bytes owed on it, nothing listed', async () => {
    const key = 'cut/backend-died';
    const [b1, b2] = m.proxies as [CountingProxy, CountingProxy];
    const b2Puts = b2.counts().byKind['PUT'] ?? 0;
    const ingressBefore = b1.counts().ingress;
    const usedBefore = (await quotaOf('b1')).bytesUsed;
    const size = 2 * MiB;
    const w = await openWrite(key, size);
    w.req.write(patternBytes(1 * MiB, key));
    const [intent] = await waitUntil('the write to claim space', () => intentsOf(key), (i) => i.length === 1, { timeoutMs: 30_000, intervalMs: 20 });
    await bytesReaching(b1, ingressBefore);
    m.sys.backends[0]!.process.kill('SIGKILL');
    w.req.end(patternBytes(1 * MiB, `${key}#rest`));
    const answer = await w.answer;
    assert.ok(!(answer instanceof Error), `the client got no answer: ${answer}`);
    assert.equal(answer.status, 503);
    assert.equal(parseErrorXml(answer.body).code, 'ServiceUnavailable');

    await waitUntil('the intent to end', () => intentsOf(key), (left) => left.length === 0, { timeoutMs: 30_000 });
    // b1 is gone: the debt waits (queued, or dead-lettered once its attempts ran out), charged as orphan bytes.
    const owed = [...await ledger.listCleanup(null, 1000), ...await ledger.listDeadLetters(null, 1000)].filter((d) => d.storageKey === intent!.storageKey);
    assert.deepEqual(owed.map((d) => [d.backendName, d.sizeBytes]), [['b1', size]], 'the partial bytes are owed on b1');
    const quota = await quotaOf('b1');
    assert.deepEqual({ used: quota.bytesUsed, orphan: quota.orphanBytes }, { used: usedBefore, orphan: size }, 'owed, not charged as stored');
    assert.equal(b2.counts().byKind['PUT'] ?? 0, b2Puts, 'a stream already consumed is not failed over');
    assert.equal(await ledger.getObject(`${bucket}/${key}`), null);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }))).Contents ?? [], []);
  });

  testNothingEscaped(() => m.sys);
});

describe('a client that stops sending mid-body', () => {
  let m: MeteredSystem;
  let ledger: Ledger;
  before(async () => {
    // The backend call idles while the client does: backend_timeout bounds a stalled stream.
    m = await startMeteredSystem({
      backends: [{}],
      overrides: { server: { replay_buffer_bytes: String(REPLAY_BUFFER), backend_timeout: '2s' } },
    });
    ledger = await openSystemLedger(m.sys);
  });
  after(async () => {
    await ledger?.close();
    await m?.stop();
  });

  test('a streamed PUT whose client stalls: 503 once the backend call idles out, the bytes sent become a debt and are deleted, the space is free', async () => {
    const bucket = m.sys.bucket.name;
    const key = 'stall/streamed';
    const signed = await signRequest(m.sys.url, {
      method: 'PUT', path: `/${bucket}/${encodeKeyPath(key)}`, headers: { 'content-length': String(2 * MiB) },
      credentials: m.sys.bucket.credentials, payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const ingressBefore = m.proxies[0]!.counts().ingress;
    // The connection stays open and silent after the first megabyte; the gateway answers early.
    const early = answerBeforeBodyEnds(signed, patternBytes(1 * MiB, key), 120_000);
    const intents = async () => (await ledger.listStaleIntents(Number.MAX_SAFE_INTEGER, null, 10_000)).filter((i) => i.objectKey === `${bucket}/${key}`);
    const [intent] = await waitUntil('the write to claim space', intents, (i) => i.length === 1, { timeoutMs: 30_000, intervalMs: 20 });
    await waitUntil('body bytes to reach the backend', async () => m.proxies[0]!.counts().ingress, (n) => n > ingressBefore, { timeoutMs: 30_000, intervalMs: 20 });
    const answer = await early;
    assert.equal(answer.status, 503);
    assert.equal(parseErrorXml(answer.body).code, 'ServiceUnavailable');

    await waitUntil('the intent to end', intents, (left) => left.length === 0, { timeoutMs: 30_000 });
    await waitUntil('the debt to be paid', async () => ({ queued: await ledger.cleanupDepth(), owed: (await ledger.getQuotas())[0]!.orphanBytes }),
      (v) => v.queued === 0 && v.owed === 0, { timeoutMs: 60_000 });
    assert.equal((await ledger.getQuotas())[0]!.bytesUsed, 0);
    await assert.rejects(m.sys.backends[0]!.rawClient.send(new HeadObjectCommand({ Bucket: BACKEND_BUCKET, Key: intent!.storageKey })), { name: 'NotFound' });
    const s3 = m.sys.client(undefined, { maxAttempts: 1 });
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }))).Contents ?? [], []);
  });

  testNothingEscaped(() => m.sys);
});
