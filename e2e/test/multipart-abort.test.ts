// Aborted multipart uploads end on the backend too. Against a backend that implements
// AbortMultipartUpload (the benchmark's sink: s3rver answers 405) an upload aborted by the
// client, or by the stale-multipart sweep, is aborted on the backend by the cleanup
// service: its parts are gone there (the backend no longer knows the upload), the debt is
// paid, and the space its parts held is free again. Against a backend that cannot abort
// (s3rver) the debt is not dropped while the parts stay: it goes to the dead-letter queue at
// once, still charged to the backend, saying what is left where, until an operator
// discards it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Ledger, MultipartUploadRow } from '@s3o/store';
import {
  BACKEND_BUCKET,
  expectS3Error,
  KiB,
  openSystemLedger,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type SystemOptions,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

const PART = 64 * KiB;

interface Fixture {
  sys: E2ESystem;
  s3: S3Client;
  ledger: Ledger;
}

async function fixture(options: SystemOptions): Promise<Fixture> {
  const sys = await startSystem({ ...options, overrides: { ...ADMIN_AUTH_OVERRIDES, ...options.overrides } });
  return { sys, s3: sys.client(), ledger: await openSystemLedger(sys) };
}

/** Opens an upload with two parts through the gateway; returns its ledger row (backend, backend upload id). */
async function openUpload(f: Fixture, key: string): Promise<MultipartUploadRow> {
  const bucket = f.sys.bucket.name;
  const uploadId = (await f.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId!;
  for (const n of [1, 2]) {
    await f.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: patternBytes(PART, `${key}#${n}`) }));
  }
  return (await f.ledger.getUpload(uploadId))!;
}

/** Asks the backend itself about an upload: the part it takes, or the error it answers. */
async function backendKnowsUpload(f: Fixture, backend: string, upload: MultipartUploadRow): Promise<boolean> {
  const raw = f.sys.backends.find((b) => b.name === backend)!.rawClient;
  try {
    await raw.send(new UploadPartCommand({ Bucket: BACKEND_BUCKET, Key: upload.storageKey, UploadId: upload.backendUploadId, PartNumber: 3, Body: Buffer.from('probe') }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchUpload') return false;
    throw err;
  }
}

const orphanBytes = async (f: Fixture, backend: string) => (await f.ledger.getQuotas()).find((q) => q.backendName === backend)!.orphanBytes;

describe('multipart abort on a backend that can abort (the sink)', () => {
  let f: Fixture;
  before(async () => {
    // b1 holds 300 KiB: an open upload's two parts (128 KiB) leave no room for a 200 KiB PUT.
    f = await fixture({ backends: [{ server: 'sink', quota: 300 * KiB }, {}], routing: 'pack' });
  });
  after(async () => {
    await f?.ledger.close();
    await f?.sys.stop();
  });

  test('a client abort: the upload and its parts are gone from the backend, the debt is paid, the space is free again', async () => {
    const bucket = f.sys.bucket.name;
    const key = 'abort/by-client';
    const upload = await openUpload(f, key);
    assert.equal(upload.backendName, 'b1');
    assert.equal(await backendKnowsUpload(f, 'b1', upload), true, 'the backend holds the upload');
    // The parts hold their space: a 200 KiB object does not fit on b1 beside them.
    await put(f.s3, { Bucket: bucket, Key: 'abort/while-open', Body: patternBytes(200 * KiB, 'open') });
    assert.deepEqual((await f.ledger.getObject(`${bucket}/abort/while-open`))!.locations.map((l) => l.backendName), ['b2']);

    const aborted = await f.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId }));
    assert.equal(aborted.$metadata.httpStatusCode, 204);
    await expectS3Error(f.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId })), { code: 'NoSuchUpload', status: 404 });

    await waitUntil('the cleanup service to abort the upload on the backend', () => backendKnowsUpload(f, 'b1', upload), (known) => !known, { timeoutMs: 30_000 });
    await waitUntil('the debt to be paid', async () => ({ queued: await f.ledger.cleanupDepth(), owed: await orphanBytes(f, 'b1') }),
      (v) => v.queued === 0 && v.owed === 0, { timeoutMs: 30_000 });
    assert.equal((await adminCall(f.sys.url, 'GET', 'cleanup-dlq')).body.depth, 0, 'nothing dead-lettered');
    // The backend's Complete of that upload fails too: nothing can be made of its parts.
    const raw = f.sys.backends[0]!.rawClient;
    await assert.rejects(raw.send(new CompleteMultipartUploadCommand({
      Bucket: BACKEND_BUCKET, Key: upload.storageKey, UploadId: upload.backendUploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] },
    })), { name: 'NoSuchUpload' });

    // The space is free again: the same 200 KiB now lands on b1.
    await put(f.s3, { Bucket: bucket, Key: 'abort/after', Body: patternBytes(200 * KiB, 'after') });
    assert.deepEqual((await f.ledger.getObject(`${bucket}/abort/after`))!.locations.map((l) => l.backendName), ['b1']);
  });

  testNothingEscaped(() => f.sys);
});

describe('multipart abort by the stale-multipart sweep on a backend that can abort (the sink)', () => {
  let f: Fixture;
  before(async () => {
    // An upload untouched for 2 s is stale; the sweep looks every second.
    f = await fixture({ backends: [{ server: 'sink' }], overrides: { cleanup_queue: { multipart_stale_timeout: '2s' } } });
  });
  after(async () => {
    await f?.ledger.close();
    await f?.sys.stop();
  });

  test('a forgotten upload is aborted in the ledger and on the backend, and its debt paid', async () => {
    const upload = await openUpload(f, 'abort/forgotten');
    await waitUntil('the sweep to abort the upload', () => f.ledger.getUpload(upload.uploadId), (row) => row === null, { timeoutMs: 30_000 });
    await waitUntil('the cleanup service to abort the upload on the backend', () => backendKnowsUpload(f, 'b1', upload), (known) => !known, { timeoutMs: 30_000 });
    await waitUntil('the debt to be paid', async () => ({ queued: await f.ledger.cleanupDepth(), owed: await orphanBytes(f, 'b1') }),
      (v) => v.queued === 0 && v.owed === 0, { timeoutMs: 30_000 });
    assert.equal((await adminCall(f.sys.url, 'GET', 'cleanup-dlq')).body.depth, 0, 'nothing dead-lettered');
    await expectS3Error(
      f.s3.send(new ListPartsCommand({ Bucket: f.sys.bucket.name, Key: 'abort/forgotten', UploadId: upload.uploadId })),
      { code: 'NoSuchUpload', status: 404 },
    );
  });

  testNothingEscaped(() => f.sys);
});

describe('multipart abort on a backend that cannot abort (s3rver answers 405)', () => {
  let f: Fixture;
  before(async () => {
    f = await fixture({ backends: [{}] });
  });
  after(async () => {
    await f?.ledger.close();
    await f?.sys.stop();
  });

  test('the debt is dead-lettered at once, still charged, naming the upload left on the backend; discarding it releases the bytes', async () => {
    const bucket = f.sys.bucket.name;
    const key = 'abort/cannot';
    const upload = await openUpload(f, key);
    await f.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.uploadId }));

    const dlq = await waitUntil('the debt in the dead-letter queue', async () => (await adminCall(f.sys.url, 'GET', 'cleanup-dlq')).body,
      (d) => d.depth === 1, { timeoutMs: 30_000 });
    const [dead] = dlq.items;
    assert.equal(dead.kind, 'multipart_upload');
    assert.equal(dead.backend_upload_id, upload.backendUploadId);
    assert.equal(dead.attempts, 1, 'not retried: retrying cannot make the backend abort');
    assert.match(dead.last_error, /cannot abort multipart uploads \(405 MethodNotAllowed\)/);
    assert.ok(dead.last_error.includes(upload.backendUploadId) && dead.last_error.includes(upload.storageKey), dead.last_error);
    assert.equal(await f.ledger.cleanupDepth(), 0);
    assert.equal(await orphanBytes(f, 'b1'), 2 * PART, 'the parts left on the backend stay charged');

    // The operator aborted it with the provider's tools: discarding releases the bytes.
    const discarded = await adminCall(f.sys.url, 'POST', 'cleanup-dlq/discard', { body: { ids: [dead.id] } });
    assert.equal(discarded.status, 200, JSON.stringify(discarded.body));
    assert.deepEqual(discarded.body, { discarded: 1 });
    assert.equal(await orphanBytes(f, 'b1'), 0);
    assert.equal((await adminCall(f.sys.url, 'GET', 'cleanup-dlq')).body.depth, 0);
  });

  testNothingEscaped(() => f.sys);
});
