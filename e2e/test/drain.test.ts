// Draining a backend through the admin API: from the moment the drain starts no write,
// replica or multipart upload goes to the backend; the placement service moves every copy
// away (200 objects here), the drain waits for an upload that was open on the backend, and
// ends `drained` with every object readable and the backend empty; a cancelled drain keeps
// what it moved; the backend is then forgotten, and purging another one reports the objects
// that had no other copy. The admin endpoints refuse unsigned and wrongly signed requests
// with 403 and change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  expectS3Error,
  getBytes,
  KiB,
  listBackend,
  openSystemLedger,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

const OBJECTS = 200;
const OBJECT_BYTES = 64 * KiB;

describe('backend drains', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;
  /** the copies on b1 when the drain starts */
  let onB1 = 0;
  const written = new Map<string, Buffer>();

  const backendsOf = async (key: string) =>
    ((await ledger.getObject(`${bucket}/${key}`))?.locations ?? []).map((l) => l.backendName).sort();

  const drainOf = async (backend: string) => (await adminCall(sys.url, 'GET', `backends/${backend}/drain`)).body;

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: { ...ADMIN_AUTH_OVERRIDES, rebalance: { concurrency: 8 } },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
    for (let i = 0; i < OBJECTS; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const key = `drain/obj-${String(i + j).padStart(3, '0')}`;
        const body = patternBytes(OBJECT_BYTES, key);
        await put(s3, { Bucket: bucket, Key: key, Body: body });
        written.set(key, body);
      }));
    }
    // pack puts every object on b1 — unless b1 failed a write under load and the gateway
    // failed it over (which is right): the drain is about whatever b1 holds.
    onB1 = (await ledger.drains.countBackendRecords('b1')).copies;
    assert.equal((await listBackend(sys.backends[0]!, `${bucket}/drain/`)).length, onB1);
    assert.ok(onB1 > OBJECTS / 2, `only ${onB1} of ${OBJECTS} objects on b1`);
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('unsigned and wrongly signed admin requests are refused with 403 and change nothing', async () => {
    const wrong = { accessKeyId: sys.bucket.credentials.accessKeyId, secretAccessKey: sys.bucket.credentials.secretAccessKey };
    for (const credentials of [null, wrong, { accessKeyId: 'e2e-root', secretAccessKey: 'not-the-secret' }]) {
      for (const [method, path] of [['POST', 'backends/b1/drain'], ['DELETE', 'backends/b1/drain'], ['DELETE', 'backends/b3'], ['GET', 'backends/b1/drain']]) {
        const reply = await adminCall(sys.url, method!, path!, { credentials, query: path === 'backends/b3' ? { purge: 'true' } : undefined });
        assert.equal(reply.status, 403, `${method} ${path} with ${credentials?.accessKeyId ?? 'no signature'}`);
      }
    }
    assert.equal((await adminCall(sys.url, 'GET', 'backends/b1/drain')).status, 404, 'a refused POST started a drain');
    assert.deepEqual((await ledger.getQuotas()).map((q) => q.backendName), ['b1', 'b2', 'b3'], 'a refused DELETE removed a backend');
  });

  test('unknown backends are 404; a second drain of the same backend is 409', async () => {
    assert.equal((await adminCall(sys.url, 'POST', 'backends/nope/drain')).status, 404);
    assert.equal((await adminCall(sys.url, 'GET', 'backends/nope/drain')).status, 404);
    assert.equal((await adminCall(sys.url, 'DELETE', 'backends/nope')).status, 404);
    assert.equal((await adminCall(sys.url, 'DELETE', 'backends/b1/drain')).status, 409, 'cancel without a drain');
  });

  test(`a drain of ${OBJECTS} objects moves every copy away, waits for the open upload, and ends drained`, async (t) => {
    // An upload opened on b1 before the drain: left alone, counted, then moved once completed.
    const uploadKey = 'drain/multipart-open-before';
    const uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: uploadKey }))).UploadId!;
    assert.equal((await ledger.getUpload(uploadId))?.backendName, 'b1');
    const partBody = patternBytes(100 * KiB, uploadKey);
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: uploadKey, UploadId: uploadId, PartNumber: 1, Body: partBody }));

    const started = Date.now();
    const start = await adminCall(sys.url, 'POST', 'backends/b1/drain');
    assert.equal(start.status, 202, JSON.stringify(start.body));
    assert.equal(start.body.state, 'draining');
    assert.equal(start.body.objects_total, onB1);
    assert.equal((await adminCall(sys.url, 'POST', 'backends/b1/drain')).status, 409);

    // From now on nothing new goes to b1: a PUT, a new multipart upload.
    const during = patternBytes(10 * KiB, 'during');
    await put(s3, { Bucket: bucket, Key: 'drain/written-during', Body: during });
    written.set('drain/written-during', during);
    assert.ok(!(await backendsOf('drain/written-during')).includes('b1'));
    const otherUpload = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'drain/mp-during' }))).UploadId!;
    assert.notEqual((await ledger.getUpload(otherUpload))?.backendName, 'b1');

    let firstMove = 0;
    const waiting = await waitUntil('every copy off b1 but the open upload', async () => {
      const d = await drainOf('b1');
      if (firstMove === 0 && d.objects_moved > 0) firstMove = Date.now();
      return d;
    }, (d) => d.remaining.copies === 0 || d.state !== 'draining', { timeoutMs: 300_000, intervalMs: 50 });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(waiting.state, 'draining', 'the drain ended while an upload was still open on b1');
    assert.equal(waiting.remaining.open_uploads, 1);
    assert.equal(waiting.objects_moved, onB1);
    assert.equal(waiting.bytes_moved, onB1 * OBJECT_BYTES);
    t.diagnostic(`drain throughput: ${onB1} objects of ${OBJECT_BYTES / KiB} KiB in ${seconds.toFixed(2)} s = ` +
      `${(onB1 / seconds).toFixed(1)} objects/s, ${((onB1 * OBJECT_BYTES) / 2 ** 20 / seconds).toFixed(2)} MiB/s (mode ${sys.mode}; ` +
      `first copy moved ${((firstMove - started) / 1000).toFixed(2)} s after the POST)`);

    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: uploadKey, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    }));
    written.set(uploadKey, partBody);
    const done = await waitUntil('the drain to end', () => drainOf('b1'), (d) => d.state !== 'draining', { timeoutMs: 120_000 });
    assert.equal(done.state, 'drained', JSON.stringify(done));
    assert.equal(done.objects_moved, onB1 + 1);
    assert.deepEqual(done.remaining, { copies: 0, bytes: 0, intents: 0, open_uploads: 0, debts: done.remaining.debts });
    assert.ok(done.finished_at);

    for (const [key, body] of written) {
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), `${key} changed or unreadable`);
      assert.ok(!(await backendsOf(key)).includes('b1'), `${key} still has a copy on b1`);
    }
    await waitUntil('b1 to be empty', () => listBackend(sys.backends[0]!, `${bucket}/`), (l) => l.length === 0, { timeoutMs: 120_000 });
    const events = (await ledger.readEventsAfter(0, 100_000)).filter((e) => e.resource === 'b1' && e.type.startsWith('backend.drain.'));
    assert.deepEqual(events.map((e) => e.type), ['backend.drain.started', 'backend.drain.completed']);
    assert.equal((await ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.moved').length, onB1 + 1);

    // A drained backend takes no new writes; emptied and its debts paid, it can be forgotten.
    await put(s3, { Bucket: bucket, Key: 'drain/written-after', Body: patternBytes(1000, 'after') });
    assert.ok(!(await backendsOf('drain/written-after')).includes('b1'), 'a drained backend took a write');
    await waitUntil('b1 debts to be cleaned', () => ledger.drains.countBackendRecords('b1'), (c) => c.debts === 0, { timeoutMs: 120_000 });
    const removed = await adminCall(sys.url, 'DELETE', 'backends/b1');
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.ok(!(await ledger.getQuotas()).some((q) => q.backendName === 'b1'));
  });

  test('a cancelled drain keeps what it moved and lets the backend take writes again', async () => {
    // b2 now holds most objects; cancel its drain as soon as some have moved.
    const before = (await ledger.drains.countBackendRecords('b2')).copies;
    assert.ok(before > 50);
    assert.equal((await adminCall(sys.url, 'POST', 'backends/b2/drain')).status, 202);
    await waitUntil('some copies to move off b2', () => drainOf('b2'), (d) => d.objects_moved > 0, { timeoutMs: 120_000, intervalMs: 20 });
    const cancel = await adminCall(sys.url, 'DELETE', 'backends/b2/drain');
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.state, 'cancelled');
    // Moves already copying may still commit (each counts in the drain in its own
    // transaction); none starts after the cancel. Settled = no move intent left, and the
    // same count and copies on b2 twice in a row.
    const moveIntents = async () => (await ledger.listStaleIntents(Number.MAX_SAFE_INTEGER, null, 10_000)).filter((i) => i.kind === 'move').length;
    let previous = '';
    const settled = await waitUntil('the moves in flight at the cancel to finish', async () => {
      const drain = await drainOf('b2');
      const left = (await ledger.drains.countBackendRecords('b2')).copies;
      const inFlight = await moveIntents();
      const again = await drainOf('b2');
      const seen = JSON.stringify({ moved: drain.objects_moved, again: again.objects_moved, left, inFlight });
      const stable = seen === previous;
      previous = seen;
      return { state: again.state as string, moved: again.objects_moved as number, left, inFlight, stable, consistent: drain.objects_moved === again.objects_moved };
    }, (v) => v.inFlight === 0 && v.consistent && v.stable, { timeoutMs: 120_000, intervalMs: 200 });
    assert.equal(settled.state, 'cancelled');
    assert.equal(settled.left, before - settled.moved, 'copies on b2 do not add up with what moved');
    assert.ok(settled.left > 0, 'the cancelled drain moved everything');
    // At most the moves running at the cancel (rebalance.concurrency) finished after it.
    assert.ok(settled.moved - cancel.body.objects_moved <= 8, `${settled.moved - cancel.body.objects_moved} copies moved after the cancel`);
    for (const [key, body] of written) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), key);
    assert.equal((await ledger.drains.countBackendRecords('b2')).copies, settled.left, 'copies kept moving after the cancel');
    assert.equal((await adminCall(sys.url, 'DELETE', 'backends/b2/drain')).status, 409, 'cancelled twice');
  });

  test('a backend that holds objects is not forgotten unless purged after a confirmation; purging reports the lost objects', async () => {
    const refused = await adminCall(sys.url, 'DELETE', 'backends/b2');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'BackendNotEmpty');

    // b3 holds objects only it has: purging reports them.
    const onlyB3 = (await ledger.drains.listBackendCopies('b3', null, 1000)).map((c) => c.objectKey);
    assert.ok(onlyB3.length > 0);
    const ask = await adminCall(sys.url, 'DELETE', 'backends/b3', { query: { purge: 'true' } });
    assert.equal(ask.status, 409);
    assert.equal(ask.body.error.code, 'ConfirmationRequired');
    assert.equal(ask.body.objects_without_other_copy, onlyB3.length);
    assert.ok(await ledger.getObject(onlyB3[0]!), 'asking for a confirmation purged something');
    const forged = await adminCall(sys.url, 'DELETE', 'backends/b3', { query: { purge: 'true', confirm: `${Date.now() + 60_000}.${'0'.repeat(64)}` } });
    assert.equal(forged.body.error.code, 'ConfirmationRequired');
    const purged = await adminCall(sys.url, 'DELETE', 'backends/b3', { query: { purge: 'true', confirm: ask.body.confirm } });
    assert.equal(purged.status, 200, JSON.stringify(purged.body));
    assert.deepEqual(purged.body.lost.map((o: { object_key: string }) => o.object_key).sort(), [...onlyB3].sort());
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: onlyB3[0]!.slice(bucket.length + 1) }), { code: 'NoSuchKey', status: 404 });
    const lostEvents = (await ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.lost');
    assert.equal(lostEvents.length, onlyB3.length);
  });

  testNothingEscaped(() => sys);
});
