// Integrity through the whole system (docs/architecture.md, "Integrity"): real s3rver backends,
// the AWS SDK as the client, integrity.enabled and two copies of every object. A test writes
// other bytes of the same length over one copy directly on its backend and proves that the
// client gets the right bytes (from the other copy) or a broken transfer — never wrong bytes —,
// that the copy is marked corrupt and announced (event, metric), and that replication rebuilds
// it from the good copy (the bad bytes are deleted as a debt).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import { ADMIN_AUTH_OVERRIDES, ADMIN_ROOT, adminCall } from '../src/admin-calls.js';
import { rawFetch } from '../src/raw-request.js';
import {
  getBytes, KiB, metricValue, MiB, openSystemLedger, parsePrometheusText, patternBytes, put, readStored, startSystem, storedCopies,
  testNothingEscaped, waitUntil, type E2ESystem, type StoredCopy,
} from '../src/index.js';

/** Both copies of `key`, once they are stored and listed ok, by backend name. */
async function twoGoodCopies(sys: E2ESystem, ledger: Ledger, key: string, body: Buffer): Promise<StoredCopy[]> {
  const bucket = sys.bucket.name;
  const copies = await waitUntil(
    `${key}: two ok copies, as stored`,
    async () => {
      const stored = await storedCopies(sys.backends, bucket, key);
      const listed = ((await ledger.getObject(`${bucket}/${key}`))?.locations ?? []).filter((l) => l.state === 'ok');
      return { stored, listed: listed.map((l) => `${l.backendName}:${l.storageKey}`).sort() };
    },
    ({ stored, listed }) => stored.length === 2 && stored.map((c) => `${c.backend}:${c.storageKey}`).sort().join() === listed.join(),
    { timeoutMs: 20_000 },
  );
  for (const copy of copies.stored) {
    const bytes = await readStored(sys.backends.find((b) => b.name === copy.backend)!, copy.storageKey);
    assert.ok(bytes.equals(body), `${copy.backend}:${copy.storageKey} holds the object's bytes`);
  }
  return copies.stored.sort((a, b) => (a.backend < b.backend ? -1 : 1));
}

/** Writes other bytes of the same length over `copy`, on its backend, behind the orchestrator's back. */
async function flipByte(sys: E2ESystem, copy: StoredCopy, at: number): Promise<void> {
  const backend = sys.backends.find((b) => b.name === copy.backend)!;
  const bad = await readStored(backend, copy.storageKey);
  bad[at]! ^= 0x40;
  await backend.rawClient.send(new PutObjectCommand({ Bucket: backend.bucket, Key: copy.storageKey, Body: bad }));
}

async function corruptionEvents(ledger: Ledger, objectKey: string): Promise<Array<Record<string, unknown>>> {
  const events = await ledger.readEventsAfter(0, 100_000);
  return events.filter((e) => e.type === 'integrity.corruption_detected' && e.resource === objectKey).map((e) => e.data as Record<string, unknown>);
}

describe('integrity: a corrupt copy is read around, marked and rebuilt', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: {
        integrity: { enabled: true },
        // Bodies up to 1 MiB are held whole and checked before their first byte goes out.
        server: { replay_buffer_bytes: '1MiB' },
        replication: { factor: 2, worker_interval: '1s', batch_size: 20, concurrency: 4 },
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  const twoGood = (key: string, body: Buffer) => twoGoodCopies(sys, ledger, key, body);
  const flip = (copy: StoredCopy, at: number) => flipByte(sys, copy, at);

  async function stateOf(key: string, backend: string): Promise<string | undefined> {
    return (await ledger.getObject(`${bucket}/${key}`))?.locations.find((l) => l.backendName === backend)?.state;
  }

  const eventsOf = (key: string) => corruptionEvents(ledger, `${bucket}/${key}`);

  test('a small object: every read answers the right bytes from the other copy; the copy is marked, announced and rebuilt', async () => {
    const key = 'small/object';
    const body = patternBytes(300 * KiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    const [first] = await twoGood(key, body);
    await flip(first!, 150 * KiB);

    for (let i = 0; i < 3; i += 1) {
      const { body: got } = await getBytes(s3, { Bucket: bucket, Key: key });
      assert.ok(got.equals(body), `read ${i + 1}: the right bytes`);
    }
    const events = await waitUntil(`${key}: corruption announced`, () => eventsOf(key), (e) => e.length > 0);
    assert.equal(events.length, 1, 'announced once: the marked copy is not read again');
    assert.deepEqual(
      { bucket: events[0]!.bucket, key: events[0]!.key, backend: events[0]!.backend, storage_key: events[0]!.storage_key, reason: events[0]!.reason, by: events[0]!.detected_by },
      { bucket, key, backend: first!.backend, storage_key: first!.storageKey, reason: 'sha256', by: 'read' },
    );
    const texts = await Promise.all(sys.gatewayUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
    const counted = texts.reduce(
      (sum, text) => sum + (metricValue(parsePrometheusText(text), 's3o_integrity_corrupt_copies_total', { backend: first!.backend, reason: 'sha256', detected_by: 'read' }) ?? 0),
      0,
    );
    assert.ok(counted >= 1, 'the corrupt copy is counted');

    // Replication rebuilds it from the good copy; the bad bytes are deleted as a debt.
    const healed = await twoGood(key, body);
    assert.ok(!healed.some((c) => c.storageKey === first!.storageKey && c.backend === first!.backend), 'the bad storage key is gone');
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body));
  });

  test('a large object: the read that meets the bad bytes breaks (never a clean wrong answer); the next reads the other copy', async () => {
    const key = 'large/object';
    const body = patternBytes(4 * MiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    const [first] = await twoGood(key, body);
    await flip(first!, body.length - 10);

    await assert.rejects(getBytes(s3, { Bucket: bucket, Key: key }), 'the transfer breaks instead of completing with wrong bytes');
    await waitUntil(`${key}: the copy on ${first!.backend} leaves the ok copies`, () => stateOf(key, first!.backend), (s) => s !== 'ok');
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), 'the next read gets the right bytes');
    const healed = await twoGood(key, body);
    assert.ok(!healed.some((c) => c.storageKey === first!.storageKey && c.backend === first!.backend), 'the bad storage key is gone');
  });

  test('a copy of the wrong length is read around and marked before a byte is sent', async () => {
    const key = 'short/object';
    const body = patternBytes(2 * MiB, key);
    await put(s3, { Bucket: bucket, Key: key, Body: body });
    const [first] = await twoGood(key, body);
    const backend = sys.backends.find((b) => b.name === first!.backend)!;
    await backend.rawClient.send(new PutObjectCommand({ Bucket: backend.bucket, Key: first!.storageKey, Body: body.subarray(0, body.length - 1) }));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), 'the other copy answers');
    const events = await waitUntil(`${key}: corruption announced`, () => eventsOf(key), (e) => e.length > 0);
    assert.equal(events[0]!.reason, 'length');
    await twoGood(key, body);
  });

  testNothingEscaped(() => sys);
});

describe('integrity: the scrubber finds a corruption nobody read', () => {
  let sys: E2ESystem;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        // A pass only when asked (the scheduled one waits an hour), every copy due, a bounded pace.
        integrity: { enabled: true, scrub_enabled: true, scrub_interval: '1h', scrub_min_age: '0s', scrub_bytes_per_second: '32MiB', scrub_objects_per_pass: 100 },
        replication: { factor: 2, worker_interval: '1s', batch_size: 20, concurrency: 4 },
      },
    });
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('admin scrub: NDJSON progress; the bad copy is marked, announced and rebuilt; good copies show when they were verified', async () => {
    const bucket = sys.bucket.name;
    const s3 = sys.client();
    const bodies = new Map([['scrub/a', patternBytes(200 * KiB, 'a')], ['scrub/b', patternBytes(2 * MiB, 'b')]]);
    for (const [key, body] of bodies) await put(s3, { Bucket: bucket, Key: key, Body: body });
    const copies = new Map<string, StoredCopy[]>();
    for (const [key, body] of bodies) copies.set(key, await twoGoodCopies(sys, ledger, key, body));
    // The scheduled first pass comes within 10 s of the start (then not for an hour): let it
    // end first, so the pass asked for below is the one that meets the bad copy.
    await waitUntil('the scheduled first scrub pass to have run', async () => (await adminCall(sys.url, 'GET', 'workers')).body,
      (b) => b.workers?.some((w: { job: string; last_finished_at: string | null }) => w.job === 'integrity-scrub' && w.last_finished_at != null), { timeoutMs: 30_000 });
    const bad = copies.get('scrub/b')![1]!;
    await flipByte(sys, bad, 1234);

    // The scheduled first pass may hold the lock for a moment: JobBusy is retried.
    const res = await waitUntil(
      'a scrub pass to run',
      () => rawFetch(sys.url, { method: 'POST', path: '/admin/api/jobs/scrub/run', credentials: ADMIN_ROOT, headers: { accept: 'application/x-ndjson' } }),
      (r) => r.status !== 409,
    );
    assert.equal(res.status, 200, res.body);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string; counts?: Record<string, number> });
    assert.equal(lines[0]!.event, 'started');
    const done = lines.at(-1)!;
    assert.equal(done.event, 'done', res.body);
    assert.equal(done.counts?.['corrupt'], 1, res.body);
    assert.ok((done.counts?.['verified'] ?? 0) >= 3, res.body);

    const events = await waitUntil('the corruption to be announced', () => corruptionEvents(ledger, `${bucket}/scrub/b`), (e) => e.length > 0);
    assert.deepEqual([events[0]!.backend, events[0]!.storage_key, events[0]!.reason, events[0]!.detected_by], [bad.backend, bad.storageKey, 'sha256', 'scrub']);
    const texts = await Promise.all(sys.gatewayUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
    // The scrubber runs in the placement process: in single mode that is the gateway's.
    if (sys.mode === 'single') {
      const counted = metricValue(parsePrometheusText(texts[0]!), 's3o_integrity_corrupt_copies_total', { backend: bad.backend, reason: 'sha256', detected_by: 'scrub' });
      assert.equal(counted, 1);
    }

    const healed = await twoGoodCopies(sys, ledger, 'scrub/b', bodies.get('scrub/b')!);
    assert.ok(!healed.some((c) => c.backend === bad.backend && c.storageKey === bad.storageKey), 'the bad storage key is gone');
    const where = (await adminCall(sys.url, 'GET', 'object-locations', { query: { bucket, key: 'scrub/a' } })).body;
    assert.equal(where.copies.length, 2);
    for (const copy of where.copies) assert.ok(typeof copy.verified_at === 'string' && !Number.isNaN(Date.parse(copy.verified_at)), JSON.stringify(copy));
  });

  testNothingEscaped(() => sys);
});
