// Integrity of unencrypted multipart objects through the whole system (docs/architecture.md,
// "Integrity"): real s3rver backends, the AWS SDK as the client, integrity.enabled and two
// copies of every object. UploadPart records each part's SHA-256 and Complete the named parts'
// hashes and their composite (`-N`); a test writes other bytes of the same length over one copy
// directly on its backend and proves that a whole GET, a `?partNumber=N` GET and the scrubber
// all find it: the client gets the right bytes (the other copy) or a broken transfer, the copy
// is marked corrupt and announced, and replication rebuilds it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { compositeSha256, type Ledger } from '@s3o/store';
import { ADMIN_AUTH_OVERRIDES, ADMIN_ROOT, adminCall } from '../src/admin-calls.js';
import { rawFetch } from '../src/raw-request.js';
import {
  getBytes, KiB, listAllKeys, MiB, openSystemLedger, patternBytes, readStored, startSystem, storedCopies, testNothingEscaped, waitUntil,
  type E2ESystem, type StoredCopy,
} from '../src/index.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../services/cli/src/main.ts', import.meta.url));

/** `s3-orchestrator admin …` from sources against `url` with the admin credential. */
function admin(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_OPTIONS: '', S3O_ADMIN_ADDR: url, S3O_ACCESS_KEY_ID: ADMIN_ROOT.accessKeyId, S3O_SECRET_ACCESS_KEY: ADMIN_ROOT.secretAccessKey };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'admin', ...args], { cwd: REPO, env },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

async function uploadParts(s3: S3Client, bucket: string, key: string, parts: Buffer[]): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const done = [];
  for (const [i, body] of parts.entries()) {
    const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: body }));
    done.push({ PartNumber: i + 1, ETag: out.ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
}

describe('integrity: multipart objects are checked part by part', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let ledger: Ledger;

  before(async () => {
    sys = await startSystem({
      routing: 'pack',
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        // Reads up to 6 MiB are held whole and checked before their first byte goes out.
        server: { replay_buffer_bytes: '6MiB' },
        integrity: { enabled: true, scrub_enabled: true, scrub_interval: '1h', scrub_min_age: '0s', scrub_bytes_per_second: '64MiB', scrub_objects_per_pass: 100 },
        replication: { factor: 2, worker_interval: '1s', batch_size: 20, concurrency: 4 },
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
    ledger = await openSystemLedger(sys);
    // The scheduled first scrub pass comes within seconds of the start (then not for an hour):
    // let it end before any copy is spoiled, so only the tests' reads and passes meet them.
    await waitUntil('the scheduled first scrub pass to have run', async () => (await adminCall(sys.url, 'GET', 'workers')).body,
      (b) => b.workers?.some((w: { job: string; last_finished_at: string | null }) => w.job === 'integrity-scrub' && w.last_finished_at != null), { timeoutMs: 30_000 });
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  /** Both copies of `key`, once stored and listed ok, by backend name; each holds `body`. */
  async function twoGood(key: string, body: Buffer): Promise<StoredCopy[]> {
    const copies = await waitUntil(
      `${key}: two ok copies, as stored`,
      async () => {
        const stored = await storedCopies(sys.backends, bucket, key);
        const listed = ((await ledger.getObject(`${bucket}/${key}`))?.locations ?? []).filter((l) => l.state === 'ok');
        return { stored, listed: listed.map((l) => `${l.backendName}:${l.storageKey}`).sort() };
      },
      ({ stored, listed }) => stored.length === 2 && stored.map((c) => `${c.backend}:${c.storageKey}`).sort().join() === listed.join(),
      { timeoutMs: 30_000 },
    );
    for (const copy of copies.stored) {
      assert.ok((await readStored(sys.backends.find((b) => b.name === copy.backend)!, copy.storageKey)).equals(body), `${copy.backend} holds the bytes`);
    }
    return copies.stored.sort((a, b) => (a.backend < b.backend ? -1 : 1));
  }

  /** Other bytes of the same length over `copy`, on its backend, behind the orchestrator's back. */
  async function flip(copy: StoredCopy, at: number): Promise<void> {
    const backend = sys.backends.find((b) => b.name === copy.backend)!;
    const bad = await readStored(backend, copy.storageKey);
    bad[at]! ^= 0x40;
    await backend.rawClient.send(new PutObjectCommand({ Bucket: backend.bucket, Key: copy.storageKey, Body: bad }));
  }

  async function events(key: string): Promise<Array<Record<string, unknown>>> {
    const all = await ledger.readEventsAfter(0, 100_000);
    return all.filter((e) => e.type === 'integrity.corruption_detected' && e.resource === `${bucket}/${key}`).map((e) => e.data as Record<string, unknown>);
  }

  const stateOf = async (key: string, backend: string) => (await ledger.getObject(`${bucket}/${key}`))?.locations.find((l) => l.backendName === backend)?.state;

  test('Complete records the named parts\' SHA-256s and their composite', async () => {
    const key = 'mp/recorded';
    const parts = [patternBytes(5 * MiB, 'r1'), patternBytes(64 * KiB, 'r2')];
    await uploadParts(s3, bucket, key, parts);
    const object = (await ledger.getObject(`${bucket}/${key}`))!.object;
    assert.deepEqual(object.partHashes, parts.map(sha256));
    assert.equal(object.contentHash, compositeSha256(parts.map(sha256)));
    assert.match(object.contentHash ?? '', /-2$/);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(Buffer.concat(parts)));
  });

  test('a held read meets a bad part: the other copy answers before a byte is sent; the copy is marked and rebuilt', async () => {
    const key = 'mp/held';
    const parts = [patternBytes(5 * MiB, 'h1'), patternBytes(200 * KiB, 'h2')];
    const body = Buffer.concat(parts);
    await uploadParts(s3, bucket, key, parts);
    const [first] = await twoGood(key, body);
    await flip(first!, 100); // in part 1

    for (let i = 0; i < 3; i += 1) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), `read ${i + 1}: the right bytes`);
    const found = await waitUntil(`${key}: corruption announced`, () => events(key), (e) => e.length > 0);
    assert.equal(found.length, 1, 'announced once: the marked copy is not read again');
    assert.deepEqual([found[0]!.backend, found[0]!.storage_key, found[0]!.reason, found[0]!.detected_by], [first!.backend, first!.storageKey, 'sha256', 'read']);
    const healed = await twoGood(key, body);
    assert.ok(!healed.some((c) => c.backend === first!.backend && c.storageKey === first!.storageKey), 'the bad storage key is gone');
  });

  test('a streamed read meets a bad first part: the transfer breaks at that part; the next read gets the other copy', async () => {
    const key = 'mp/streamed';
    const parts = [patternBytes(5 * MiB, 's1'), patternBytes(2 * MiB, 's2')];
    const body = Buffer.concat(parts);
    await uploadParts(s3, bucket, key, parts);
    const [first] = await twoGood(key, body);
    await flip(first!, 4 * MiB);

    await assert.rejects(getBytes(s3, { Bucket: bucket, Key: key }), 'the transfer breaks instead of completing with wrong bytes');
    await waitUntil(`${key}: the copy on ${first!.backend} leaves the ok copies`, () => stateOf(key, first!.backend), (s) => s === 'corrupt');
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(body), 'the next read gets the right bytes');
    await twoGood(key, body);
  });

  test('?partNumber=N is checked against that part\'s hash and fails over', async () => {
    const key = 'mp/part-number';
    const parts = [patternBytes(5 * MiB, 'p1'), patternBytes(300 * KiB, 'p2')];
    const body = Buffer.concat(parts);
    await uploadParts(s3, bucket, key, parts);
    const [first] = await twoGood(key, body);
    await flip(first!, 5 * MiB + 1000); // in part 2

    // Part 1 is good on both copies: served, and nothing is found.
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: key, PartNumber: 1 })).body.equals(parts[0]!));
    assert.equal((await events(key)).length, 0);
    for (let i = 0; i < 2; i += 1) assert.ok((await getBytes(s3, { Bucket: bucket, Key: key, PartNumber: 2 })).body.equals(parts[1]!), `read ${i + 1} of part 2`);
    const found = await waitUntil(`${key}: corruption announced`, () => events(key), (e) => e.length > 0);
    assert.deepEqual([found[0]!.backend, found[0]!.reason, found[0]!.detected_by], [first!.backend, 'sha256', 'read']);
    await twoGood(key, body);
  });

  test('the scrubber finds a bad part nobody read; the copy is marked and rebuilt', async () => {
    const key = 'mp/scrubbed';
    const parts = [patternBytes(5 * MiB, 'c1'), patternBytes(100 * KiB, 'c2')];
    const body = Buffer.concat(parts);
    await uploadParts(s3, bucket, key, parts);
    const [, second] = await twoGood(key, body);
    await flip(second!, body.length - 5);

    const res = await waitUntil(
      'a scrub pass to run',
      () => rawFetch(sys.url, { method: 'POST', path: '/admin/api/jobs/scrub/run', credentials: ADMIN_ROOT, headers: { accept: 'application/x-ndjson' } }),
      (r) => r.status !== 409,
    );
    assert.equal(res.status, 200, res.body);
    const done = JSON.parse(res.body.trim().split('\n').at(-1)!) as { event: string; counts?: Record<string, number> };
    assert.equal(done.event, 'done', res.body);
    assert.equal(done.counts?.['corrupt'], 1, res.body);
    const found = await waitUntil(`${key}: corruption announced`, () => events(key), (e) => e.length > 0);
    assert.deepEqual([found[0]!.backend, found[0]!.storage_key, found[0]!.reason, found[0]!.detected_by], [second!.backend, second!.storageKey, 'sha256', 'scrub']);
    const healed = await twoGood(key, body);
    assert.ok(!healed.some((c) => c.backend === second!.backend && c.storageKey === second!.storageKey), 'the bad storage key is gone');
  });

  test('admin scrub --key / --backend: a pass over one object\'s copies, or one backend\'s, whatever their age', async () => {
    const parts = [patternBytes(5 * MiB, 'k1'), patternBytes(10 * KiB, 'k2')];
    const body = Buffer.concat(parts);
    await uploadParts(s3, bucket, 'mp/scoped', parts);
    const other = patternBytes(50 * KiB, 'other');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'mp/other', Body: other }));
    const [first, second] = await twoGood('mp/scoped', body);
    await twoGood('mp/other', other);
    await flip(first!, 10);
    const scrub = async (...args: string[]) => {
      // A pass another test left running holds the lock for a moment: JobBusy (exit 3) is retried.
      const run = await waitUntil(`admin scrub ${args.join(' ')}`, () => admin(sys.url, ['scrub', ...args, '--json']), (r) => !/JobBusy|running now/.test(r.stderr));
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as { counts: Record<string, number> }).counts;
    };

    // Only the other backend's copies: every one is good (and checked though verified minutes ago).
    const onSecond = await scrub('--backend', second!.backend);
    assert.equal(onSecond['corrupt'], 0);
    let okOnSecond = 0;
    for (const k of await listAllKeys(s3, bucket, '')) {
      okOnSecond += (await ledger.getObject(`${bucket}/${k}`))?.locations.filter((l) => l.state === 'ok' && l.backendName === second!.backend).length ?? 0;
    }
    assert.equal(onSecond['verified'], okOnSecond, 'every ok copy on that backend, and none elsewhere');
    assert.equal(await stateOf('mp/scoped', first!.backend), 'ok', 'the bad copy elsewhere was not read');
    // One object: both its copies.
    assert.deepEqual([(await scrub('--key', `${bucket}/mp/other`))['verified']], [2]);
    // One object on one backend: the bad copy, and nothing else.
    const one = await scrub('--key', `${bucket}/mp/scoped`, '--backend', first!.backend);
    assert.deepEqual([one['verified'], one['corrupt']], [0, 1]);
    const found = await waitUntil('mp/scoped: corruption announced', () => events('mp/scoped'), (e) => e.length > 0);
    assert.deepEqual([found[0]!.backend, found[0]!.reason, found[0]!.detected_by], [first!.backend, 'sha256', 'scrub']);
    await twoGood('mp/scoped', body);

    // Bad scopes are refused before anything runs.
    assert.equal((await admin(sys.url, ['scrub', '--key', 'no-slash'])).code, 2, 'a key must be BUCKET/KEY');
    const none = await admin(sys.url, ['scrub', '--key', `${bucket}/mp/none`]);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stderr, /NoSuchKey|not in the ledger/);
    assert.equal((await admin(sys.url, ['scrub', '--backend', 'no-such-backend'])).code, 3);
    const scopedReplicate = await adminCall(sys.url, 'POST', 'jobs/replicate/run', { query: { backend: second!.backend } });
    assert.equal(scopedReplicate.status, 400, JSON.stringify(scopedReplicate.body));
  });

  testNothingEscaped(() => sys);
});
