// Issue 16's question, asked of every path that writes to a backend: when does the system
// decide that "nothing landed"? A backend may carry out a request and the answer never
// arrive (the connection reset as the answer starts). The FaultProxy in front of each
// backend does exactly that (`loseAnswers`), so the bytes really are on the backend while
// the gateway, the replicator or the cleanup worker sees a failed request. In every case
// the storage key must be owed, and once the answers flow again `admin verify` is ok —
// nothing leaked, nothing missing — with the cleanup queue drained and no intent left.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { adminCall } from '../src/admin-calls.js';
import { startProxiedSystem, type ProxiedSystem } from '../src/chaos/proxied-system.js';
import { Prng } from '../src/chaos/prng.js';
import { expectS3Error, getBytes, KiB, MiB, patternBytes, patternStream, put, storedCopies, testNothingEscaped, waitUntil } from '../src/index.js';

interface VerifyReport {
  ok: boolean;
  backends: Array<{ backend: string; ok: boolean; error: string | null; debts: number; open_intents: number; open_uploads: number; leaked: { count: number } }>;
}

describe('answers lost after the backend carried the request out', () => {
  let system: ProxiedSystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    system = await startProxiedSystem({
      mode: process.env.S3O_E2E_MODE === 'distributed' ? 'distributed' : 'single',
      rng: new Prng(16),
      routing: 'pack',
      overrides: {
        server: { backend_timeout: '5s', replay_buffer_bytes: '1MiB' },
        replication: { factor: 2, worker_interval: '500ms' },
        cleanup_queue: { tick: '200ms', backoff_base: '100ms', backoff_max: '500ms', max_attempts: 1000 },
      },
    });
    s3 = system.sys.client(undefined, { maxAttempts: 1 });
    bucket = system.sys.bucket.name;
  });
  after(() => system?.stop());

  const verify = async (): Promise<VerifyReport> => {
    const reply = await adminCall(system.sys.url, 'GET', 'verify');
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body as VerifyReport;
  };
  /** Every answer flows again; the system works off what it owes: verify ok, no debt, no intent, no upload. */
  const settled = async () => {
    system.proxies.forEach((p) => p.set({}));
    const report = await waitUntil('verify ok with nothing owed or open', verify,
      (r) => r.ok && r.backends.every((b) => b.error === null && b.debts === 0 && b.open_intents === 0 && b.open_uploads === 0),
      { timeoutMs: 60_000, intervalMs: 300 });
    assert.equal(report.backends.reduce((n, b) => n + b.leaked.count, 0), 0);
  };

  test('a small PUT whose answer is lost is written to another backend; the bytes stored on the first are owed and deleted', async () => {
    const [b1] = system.proxies;
    b1!.set({ loseAnswers: 'PUT' });
    const body = patternBytes(64 * KiB, 'lost-put-small');
    await put(s3, { Bucket: bucket, Key: 'lost/small', Body: body });
    assert.ok(b1!.stats.lostAnswers >= 1, 'the first backend stored the bytes and its answer was lost');
    await settled();
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'lost/small' })).body.equals(body));
    const copies = await storedCopies(system.sys.backends, bucket, 'lost/small');
    assert.equal(copies.length, 2, `the object is at the factor: ${JSON.stringify(copies)}`);
  });

  test('a streamed PUT whose answer is lost on every backend answers 503 and leaves no bytes behind', async () => {
    const lostBefore = system.proxies.reduce((n, p) => n + p.stats.lostAnswers, 0);
    system.proxies.forEach((p) => p.set({ loseAnswers: 'PUT' }));
    await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'lost/streamed', Body: patternStream(2 * MiB, 'lost-put-big'), ContentLength: 2 * MiB })),
      { code: 'ServiceUnavailable', status: 503 });
    assert.ok(system.proxies.reduce((n, p) => n + p.stats.lostAnswers, 0) > lostBefore, 'a backend stored the bytes and its answer was lost');
    await settled();
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'lost/streamed' })), { code: 'NoSuchKey', status: 404 });
  });

  test('a CompleteMultipartUpload whose answer is lost: 503, and the object the backend assembled is deleted with the aborted upload', async () => {
    const key = 'lost/multipart';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: patternBytes(300 * KiB, 'lost-part') }));
    const lostBefore = system.proxies.reduce((n, p) => n + p.stats.lostAnswers, 0);
    system.proxies.forEach((p) => p.set({ loseAnswers: 'POST' }));
    await expectS3Error(s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] },
    })), { code: 'ServiceUnavailable', status: 503 });
    assert.ok(system.proxies.reduce((n, p) => n + p.stats.lostAnswers, 0) > lostBefore, 'the backend completed the upload and its answer was lost');
    system.proxies.forEach((p) => p.set({}));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    await settled();
    await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), { code: 'NoSuchKey', status: 404 });
  });

  test('a replica copy whose answer from the target is lost: every copy attempt is owed; once answers flow the object reaches the factor', async () => {
    const [b1, b2, b3] = system.proxies;
    // Pack routing writes to b1; the replicator's copies go to b2 or b3, whose answers are lost.
    b2!.set({ loseAnswers: 'PUT' });
    b3!.set({ loseAnswers: 'PUT' });
    const body = patternBytes(96 * KiB, 'lost-replica');
    await put(s3, { Bucket: bucket, Key: 'lost/replica', Body: body });
    await waitUntil('a replica copy to be stored with its answer lost', async () => b2!.stats.lostAnswers + b3!.stats.lostAnswers, (n) => n >= 1, { timeoutMs: 30_000 });
    assert.equal(b1!.current().loseAnswers, undefined);
    await settled();
    await waitUntil('the object to reach the factor', () => storedCopies(system.sys.backends, bucket, 'lost/replica'), (c) => c.length === 2, { timeoutMs: 30_000 });
    await settled();
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'lost/replica' })).body.equals(body));
  });

  test('a CreateMultipartUpload whose answer is lost: the upload opens on the next backend, and the one opened on the first is owed by its storage key', async () => {
    const [b1] = system.proxies;
    const key = 'lost/create-multipart';
    // Pack routing opens uploads on b1 first: b1 opens this one, and its answer is lost.
    const lostBefore = b1!.stats.lostAnswers;
    b1!.set({ loseAnswers: 'POST' });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    assert.ok(b1!.stats.lostAnswers > lostBefore, 'b1 opened the upload and its answer was lost');
    b1!.set({});
    const storageKey = `${bucket}/${key}!${UploadId}`;
    assert.ok((await uploadsOpenOnDisk(system.sys.backends[0]!.dir!)).includes(storageKey), 'the upload really is open on b1');

    // The client's upload works as usual (on another backend).
    const body = patternBytes(200 * KiB, 'lost-create');
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: body }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] } }));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body));

    // b1's upload is owed: cleanup lists the uploads open at that storage key to abort them.
    // s3rver can list no uploads (501), so the debt ends as a dead letter that names the key
    // for an operator — never silently forgotten.
    const dead = await waitUntil('the lost upload to be owed and dead-lettered', async () => {
      const reply = await adminCall(system.sys.url, 'GET', 'cleanup-dlq', { query: { limit: '1000' } });
      return (reply.body.items as Array<{ backend: string; kind: string; storage_key: string; backend_upload_id: string | null; last_error: string | null }>)
        .filter((d) => d.storage_key === storageKey);
    }, (items) => items.length > 0, { timeoutMs: 30_000 });
    assert.equal(dead.length, 1, JSON.stringify(dead));
    assert.equal(dead[0]!.backend, 'b1');
    assert.equal(dead[0]!.kind, 'multipart_upload');
    assert.equal(dead[0]!.backend_upload_id, null);
    assert.match(dead[0]!.last_error ?? '', /cannot abort multipart uploads it cannot list \(ListMultipartUploads: 501 NotImplemented\)/);
    assert.match(dead[0]!.last_error ?? '', new RegExp(`opened at ${storageKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await settled();
  });

  testNothingEscaped(() => system.sys);
});

/** The storage keys of the multipart uploads open in one s3rver's files (s3rver keeps each as `<bucket>/._S3rver_uploads/<id>/key`). */
async function uploadsOpenOnDisk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const bucketDir of await readdir(dir)) {
    const uploadsDir = join(dir, bucketDir, '._S3rver_uploads');
    const ids = await readdir(uploadsDir).catch(() => [] as string[]);
    for (const id of ids) found.push(await readFile(join(uploadsDir, id, 'key'), 'utf8'));
  }
  return found.sort();
}
