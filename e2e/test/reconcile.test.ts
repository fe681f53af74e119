// Reconcile (reconcile.enabled): the placement service compares the ledger with what the
// backends really hold, every interval, one process at a time.
//  * A copy deleted behind the system's back is marked missing and replication makes a new
//    one; an object whose every copy vanished is reported — GET /admin/api/lost-objects,
//    the s3o_objects_lost gauge, one object.lost event — and stays in the ledger.
//  * A key of our own `…!<id>` form no record accounts for is a leftover of an interrupted
//    write: owed to cleanup (and deleted) once its id is older than the grace period
//    (max(min_age, 1h)); a fresh one is left alone. Never imported.
//  * Other keys are imported into the bucket x-amz-meta-s3o-bucket or the first path
//    segment names; a key for a bucket that is not configured is reported, not imported.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import {
  expectS3Error, getBytes, listBackend, md5Hex, openSystemLedger, put, quotedEtag, rawFetch, startSystem, storedCopies,
  testNothingEscaped, waitUntil, type E2ESystem, type RunningBackend,
} from '../src/index.js';

const ROOT = { accessKeyId: 'e2e-root', secretAccessKey: 'e2e-root-secret-0123456789' };
const HOUR = 3_600_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A write id (ULID) made at `time`, as a gateway would have made it then. */
function writeIdAt(time: number): string {
  let t = BigInt(time);
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[Number(t & 31n)] + head;
    t >>= 5n;
  }
  return head + [...randomBytes(16)].map((b) => CROCKFORD[b & 31]).join('');
}

/** Background work on a loaded machine (both modes, many processes on two cores) can take a while. */
function patiently<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  return waitUntil(what, probe, done, { timeoutMs: 30_000 });
}

async function rawPut(backend: RunningBackend, key: string, body: string, metadata?: Record<string, string>): Promise<void> {
  await backend.rawClient.send(new PutObjectCommand({ Bucket: backend.bucket, Key: key, Body: body, ContentType: 'text/plain', Metadata: metadata }));
}

async function rawDelete(backend: RunningBackend, key: string): Promise<void> {
  await backend.rawClient.send(new DeleteObjectCommand({ Bucket: backend.bucket, Key: key }));
}

describe('reconcile', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;
  let metricsUrl: string;

  /** A counter or gauge of the placement process (0 when it has no sample yet). */
  async function metric(name: string, label?: string): Promise<number> {
    const text = await (await fetch(metricsUrl)).text();
    const series = label ? `${name}{outcome="${label}"}` : name;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  /** Resolves once `passes` more reconcile passes have seen the young leftover (it is seen by every pass). */
  async function passesLater(passes: number): Promise<void> {
    const start = await metric('s3o_reconcile_findings_total', 'leftoversYoung');
    await patiently('more reconcile passes', () => metric('s3o_reconcile_findings_total', 'leftoversYoung'), (n) => n >= start + passes);
  }

  async function lostObjects(): Promise<{ count: number; items: Array<{ bucket: string; key: string; missing_copies: unknown[] }> }> {
    const res = await rawFetch(sys.url, { method: 'GET', path: '/admin/api/lost-objects', credentials: ROOT });
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body);
  }

  const youngLeftover = `e2e-main/fresh.bin!${writeIdAt(Date.now())}`;

  before(async () => {
    sys = await startSystem({
      overrides: {
        auth: { root: { access_key_id: ROOT.accessKeyId, secret_access_key: ROOT.secretAccessKey } },
        reconcile: { enabled: true, interval: '500ms' },
        replication: { factor: 2, worker_interval: '500ms' },
      },
    });
    s3 = sys.client('e2e-main');
    ledger = await openSystemLedger(sys);
    const placement = sys.distributed?.processes.find((p) => p.verb === 'placement');
    metricsUrl = placement ? `${placement.url}/metrics` : `${sys.url}/metrics`;
    // A young leftover sits on b3 for the whole run: every pass counts it, which tells the
    // tests that passes went by.
    await rawPut(sys.backends[2]!, youngLeftover, 'an upload still in flight, maybe');
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  test('a copy deleted behind our back is marked missing and replaced from the other copy', async () => {
    await put(s3, { Bucket: 'e2e-main', Key: 'rec/repair.txt', Body: 'repair me' });
    const copies = await patiently('two copies', () => storedCopies(sys.backends, 'e2e-main', 'rec/repair.txt'), (c) => c.length === 2);
    const victim = copies[1]!;
    const missingBefore = await metric('s3o_reconcile_findings_total', 'copiesMissing');
    await rawDelete(sys.backends.find((b) => b.name === victim.backend)!, victim.storageKey);
    await patiently('reconcile to mark the copy missing', () => metric('s3o_reconcile_findings_total', 'copiesMissing'), (n) => n > missingBefore);
    const repaired = await patiently('two ok copies again', async () => (await ledger.getObject('e2e-main/rec/repair.txt'))!.locations,
      (l) => l.length === 2 && l.every((c) => c.state === 'ok'));
    assert.ok(!repaired.some((c) => c.storageKey === victim.storageKey && c.backendName === victim.backend), 'the lost copy was replaced');
    assert.equal((await storedCopies(sys.backends, 'e2e-main', 'rec/repair.txt')).length, 2);
    assert.equal((await getBytes(s3, { Bucket: 'e2e-main', Key: 'rec/repair.txt' })).body.toString(), 'repair me');
  });

  test('an object whose every copy vanished is reported lost, never dropped', async () => {
    await put(s3, { Bucket: 'e2e-main', Key: 'rec/lost.txt', Body: 'gone for good' });
    const copies = await patiently('two copies', () => storedCopies(sys.backends, 'e2e-main', 'rec/lost.txt'), (c) => c.length === 2);
    for (const c of copies) await rawDelete(sys.backends.find((b) => b.name === c.backend)!, c.storageKey);

    const report = await patiently('the admin API to list the lost object', lostObjects, (r) => r.items.some((i) => i.key === 'rec/lost.txt'));
    const item = report.items.find((i) => i.key === 'rec/lost.txt')!;
    assert.equal(item.bucket, 'e2e-main');
    const byBackend = (a: { backend: string }, b: { backend: string }) => a.backend.localeCompare(b.backend);
    assert.deepEqual([...(item.missing_copies as Array<{ backend: string }>)].sort(byBackend),
      copies.map((c) => ({ backend: c.backend, storage_key: c.storageKey })).sort(byBackend));
    assert.ok(report.count >= 1);
    await patiently('the lost-objects gauge', () => metric('s3o_objects_lost'), (n) => n >= 1);

    const lostEvents = async () => (await ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'object.lost' && e.resource === 'e2e-main/rec/lost.txt');
    const [event] = await patiently('an object.lost event', lostEvents, (e) => e.length > 0);
    assert.equal(event!.data.key, 'rec/lost.txt');
    assert.equal((event!.data.copies as unknown[]).length, 2);
    // Still in the ledger: HEAD answers from it; reading the bytes cannot succeed.
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'e2e-main', Key: 'rec/lost.txt' }))).ContentLength, 'gone for good'.length);
    await passesLater(2);
    assert.equal((await lostEvents()).length, 1, 'object.lost is emitted once, when the last copy is found missing');
    assert.ok((await lostObjects()).items.some((i) => i.key === 'rec/lost.txt'));
    // The admin API answers only the root credential.
    assert.equal((await rawFetch(sys.url, { method: 'GET', path: '/admin/api/lost-objects' })).status, 403);
    assert.equal((await rawFetch(sys.url, { method: 'GET', path: '/admin/api/lost-objects', credentials: sys.bucket.credentials })).status, 403);
  });

  test('a stray key of our own form older than the grace period becomes a debt and is deleted; a fresh one is left', async () => {
    const b3 = sys.backends[2]!;
    const stale = `e2e-main/interrupted.bin!${writeIdAt(Date.now() - 2 * HOUR)}`;
    await rawPut(b3, stale, 'bytes of a write that never committed');
    await patiently('the stale leftover to be deleted', async () => (await listBackend(b3)).map((c) => c.storageKey),
      (keys) => !keys.includes(stale));
    await passesLater(2);
    assert.ok((await listBackend(b3)).some((c) => c.storageKey === youngLeftover), 'the fresh leftover is still there');
    assert.deepEqual(await ledger.findHoldings('b3', youngLeftover), [], 'neither imported nor owed');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: 'e2e-main', Key: youngLeftover.slice('e2e-main/'.length) })), { status: 404 });
  });

  test('a foreign key is imported into the bucket its first path segment (or x-amz-meta-s3o-bucket) names', async () => {
    const b3 = sys.backends[2]!;
    await rawPut(b3, 'e2e-main/foo.txt', 'found on a backend');
    await rawPut(b3, 'moved/bar.txt', 'says it belongs to e2e-other', { 's3o-bucket': 'e2e-other' });
    const got = await patiently('foo.txt to be readable through the gateway', async () => {
      try {
        return await getBytes(s3, { Bucket: 'e2e-main', Key: 'foo.txt' });
      } catch {
        return null;
      }
    }, (r) => r !== null);
    assert.equal(got!.body.toString(), 'found on a backend');
    assert.equal(got!.output.ETag, quotedEtag(md5Hex('found on a backend')));
    assert.equal(got!.output.ContentType, 'text/plain');
    const other = sys.client('e2e-other');
    await patiently('moved/bar.txt in e2e-other', () => ledger.getObject('e2e-other/moved/bar.txt'), (o) => o !== null);
    assert.equal((await getBytes(other, { Bucket: 'e2e-other', Key: 'moved/bar.txt' })).body.toString(), 'says it belongs to e2e-other');
    // Imported in place: the object keeps the storage key it was found under.
    assert.deepEqual((await ledger.getObject('e2e-main/foo.txt'))!.locations.map((l) => [l.backendName, l.storageKey]).filter(([b]) => b === 'b3'),
      [['b3', 'e2e-main/foo.txt']]);
  });

  test('a key for a bucket that is not configured is reported, not imported', async () => {
    const b3 = sys.backends[2]!;
    const before = await metric('s3o_reconcile_findings_total', 'unknownBucket');
    await rawPut(b3, 'no-such-bucket/x.txt', 'whose is this?');
    await patiently('the key to be reported', () => metric('s3o_reconcile_findings_total', 'unknownBucket'), (n) => n > before);
    assert.deepEqual(await ledger.findHoldings('b3', 'no-such-bucket/x.txt'), []);
    assert.ok((await listBackend(b3)).some((c) => c.storageKey === 'no-such-bucket/x.txt'), 'its bytes are left alone');
  });

  testNothingEscaped(() => sys);
});
