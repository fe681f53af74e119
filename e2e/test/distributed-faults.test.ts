// Distributed mode only: what happens to requests, deletions and events when the
// processes around them fail. Either gateway serves what the other wrote; two cleanup replicas share the cleanup_queue without doing anything twice;
// the cleanup service killed with SIGKILL in the middle of a queue of deletions, then
// restarted, loses none of them; NATS stopped for a while delays events but loses none —
// the ledger commits, the outbox keeps the events, and the relays publish them once NATS
// is back. The system runs on its own nats-server so the test can stop it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  getBytes,
  KiB,
  listBackend,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type DistributedControls,
  type E2ESystem,
  type LogRecord,
  type ServiceProcess,
} from '../src/index.js';

/** The queue claim lease (services/cleanup: at least 60 s) must run out before a killed worker's rows are taken again. */
const AFTER_LEASE_MS = 150_000;
const OBJECT_BYTES = 16 * KiB;

/** The cleanup service's audit line for a deletion that succeeded. */
function isFinishedDeletion(r: LogRecord): boolean {
  return r.audit === true && r.event === 'cleanup.delete' && r.outcome === 'deleted';
}

describe('distributed mode: crashes and outages', () => {
  let sys: E2ESystem;
  let d: DistributedControls;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem({
      mode: 'distributed',
      nats: 'private',
      cleanupReplicas: 2,
      // Objects on every backend, so one backend can hang under part of a queue of deletions.
      routing: 'spread',
      overrides: {
        // Each replica writes an audit line for every deletion (event cleanup.delete with its storage key and outcome).
        logging: { level: 'debug' },
        // Small claims, one deletion at a time: a queue of deletions takes long enough to
        // interrupt, and two replicas both get a share of it.
        cleanup_queue: { batch_size: 5, concurrency: 1 },
      },
    });
    if (!sys.distributed) throw new Error('startSystem did not start the distributed mode');
    d = sys.distributed;
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(() => sys?.stop());

  const cleanups = () => d.service('cleanup');

  /** PUTs `count` objects under `prefix`, eight at a time; returns their keys. */
  async function putMany(prefix: string, count: number): Promise<string[]> {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    for (let i = 0; i < keys.length; i += 8) {
      await Promise.all(keys.slice(i, i + 8).map((Key) => put(s3, { Bucket: bucket, Key, Body: patternBytes(OBJECT_BYTES, Key) })));
    }
    return keys;
  }

  /** The storage keys under a virtual prefix, on every backend. */
  async function storedKeys(prefix: string): Promise<string[]> {
    const lists = await Promise.all(sys.backends.map((b) => listBackend(b, `${bucket}/${prefix}`)));
    return lists.flat().map((c) => c.storageKey).sort();
  }

  async function deleteAll(keys: string[]): Promise<void> {
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    assert.deepEqual(out.Errors ?? [], []);
  }

  async function ledgerNumber(sql: string): Promise<number> {
    const { rows } = await d.ledger.query<{ n: string | number }>(sql);
    return Number(rows[0]!.n);
  }

  /** What the ledger still owes: queued deletions, dead-lettered ones, and the bytes charged for them. */
  const debts = async () => ({
    queued: await ledgerNumber('SELECT count(*) AS n FROM cleanup_queue'),
    deadLettered: await ledgerNumber('SELECT count(*) AS n FROM cleanup_dlq'),
    orphanBytes: await ledgerNumber('SELECT coalesce(sum(orphan_bytes), 0) AS n FROM backend_quota_stripes'),
  });
  const settled = { queued: 0, deadLettered: 0, orphanBytes: 0 };

  /** The storage keys a cleanup process reported deleted, from log line `since` on. */
  function deletedBy(proc: ServiceProcess, since: number, prefix: string): string[] {
    return proc
      .logs()
      .slice(since)
      .filter((r) => isFinishedDeletion(r) && typeof r.storageKey === 'string' && r.storageKey.startsWith(`${bucket}/${prefix}`))
      .map((r) => r.storageKey as string);
  }

  test('a write through one gateway is served by the other while the first is frozen, and the other way round', async () => {
    const [gateway1, gateway2] = d.service('gateway') as [ServiceProcess, ServiceProcess];
    // Bounded: if a request went to the frozen gateway it would hang, not fail.
    const within = { abortSignal: AbortSignal.timeout(15_000) };
    const key = 'gateways/written-via-1';
    await put(s3, { Bucket: bucket, Key: key, Body: 'via gateway 1' });
    await gateway1.kill('SIGSTOP');
    try {
      // The client sends reads, listings and deletes to gateway 2.
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), within);
      assert.equal(await got.Body!.transformToString(), 'via gateway 1');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'gateways/' }), within);
      assert.deepEqual((listed.Contents ?? []).map((c) => c.Key), [key]);
    } finally {
      await gateway1.kill('SIGCONT');
    }
    await gateway2.kill('SIGSTOP');
    try {
      // …and writes to gateway 1.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'gateways/written-while-2-frozen', Body: 'x' }), within);
    } finally {
      await gateway2.kill('SIGCONT');
    }
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }, { Key: 'gateways/written-while-2-frozen' }] } }));
  });

  test('two cleanup replicas split a queue of 100 deletions: both work, together all, none twice', async (t) => {
    const prefix = 'split/';
    await waitUntil('earlier deletions to be done', debts, (owed) => JSON.stringify(owed) === JSON.stringify(settled));
    const keys = await putMany(prefix, 100);
    const stored = await storedKeys(prefix);
    assert.equal(stored.length, 100, 'every object should have one stored copy');

    // Both replicas frozen while the deletions are queued, then released together: the
    // queue is there for both from the first moment, not taken whole by whichever wakes first.
    const [first, second] = cleanups() as [ServiceProcess, ServiceProcess];
    const marks = [first.logs().length, second.logs().length] as const;
    await first.kill('SIGSTOP');
    await second.kill('SIGSTOP');
    try {
      await deleteAll(keys);
      assert.equal((await debts()).queued, 100, 'the delete should have queued one deletion per stored copy');
    } finally {
      await first.kill('SIGCONT');
      await second.kill('SIGCONT');
    }

    await waitUntil('the deleted bytes to leave the backends', () => storedKeys(prefix), (left) => left.length === 0, { timeoutMs: 60_000 });
    await waitUntil('the ledger to owe nothing', debts, (owed) => JSON.stringify(owed) === JSON.stringify(settled), { timeoutMs: 30_000 });

    const byFirst = deletedBy(first, marks[0], prefix);
    const bySecond = deletedBy(second, marks[1], prefix);
    t.diagnostic(`deletions: ${first.name} ${byFirst.length}, ${second.name} ${bySecond.length}`);
    assert.ok(byFirst.length > 0 && bySecond.length > 0, `both replicas should have worked: ${byFirst.length} and ${bySecond.length} deletions`);
    const all = [...byFirst, ...bySecond].sort();
    const twice = all.filter((key, i) => all[i + 1] === key);
    assert.deepEqual(twice, [], 'storage keys deleted by both replicas (or twice by one)');
    assert.deepEqual(all, stored, 'the replicas together should have deleted exactly the stored copies');
  });

  test('the cleanup service killed with SIGKILL mid-queue and restarted loses no deletion', { timeout: AFTER_LEASE_MS + 60_000 }, async (t) => {
    const prefix = 'crash/';
    await waitUntil('earlier deletions to be done', debts, (owed) => JSON.stringify(owed) === JSON.stringify(settled));
    const keys = await putMany(prefix, 60);
    const stored = await storedKeys(prefix);
    assert.equal(stored.length, 60);
    // One backend hangs (SIGSTOP) while the queue is worked: deletions of its copies block
    // inside the cleanup processes until backend_timeout, those of the others go through.
    // So when the service is killed, some copies are gone, most of the hung backend's are
    // not, and the killed processes hold claimed rows. (A DELETE a killed process had sent
    // to the hung backend still runs once the backend resumes: it was in its socket buffer.)
    const hung = sys.backends[2]!;
    const onHung = (await listBackend(hung, `${bucket}/${prefix}`)).map((c) => c.storageKey);
    assert.ok(onHung.length > 0 && onHung.length < stored.length, `spread routing should have put some of the objects on ${hung.name}: ${onHung.length}`);

    const replicas = cleanups();
    const marks = replicas.map((p) => p.logs().length);
    let claimedAtKill: number;
    hung.process.kill('SIGSTOP');
    try {
      await deleteAll(keys);
      // Kill the whole cleanup service the moment it has finished three deletions (counted
      // over both replicas, as their log lines arrive).
      let finished = 0;
      const third = (r: LogRecord) => isFinishedDeletion(r) && String(r.storageKey).startsWith(`${bucket}/${prefix}`) && ++finished >= 3;
      await Promise.race(replicas.map((p, i) => p.waitForLog('three finished deletions', third, { timeoutMs: 30_000, since: marks[i]! })));
      await Promise.all(replicas.map((p) => p.kill('SIGKILL')));
      claimedAtKill = await ledgerNumber(`SELECT count(*) AS n FROM cleanup_queue WHERE claimed_until > ${Date.now()}`);
    } finally {
      hung.process.kill('SIGCONT');
    }

    let left: string[];
    let owedAtKill: Awaited<ReturnType<typeof debts>>;
    try {
      left = await storedKeys(prefix);
      owedAtKill = await debts();
    } finally {
      // Restarted whatever happened above, so the next test has a cleanup service. It takes
      // the untouched rows at once, and those the killed processes had claimed once their
      // lease runs out.
      await Promise.all(replicas.filter((p) => !p.running).map((p) => p.start()));
    }
    const reported = replicas.reduce((sum, p, i) => sum + deletedBy(p, marks[i]!, prefix).length, 0);
    // A DELETE that timed out on the hung backend was still in its socket buffer too, and ran
    // when it resumed (a delete waits for its markers, so the queue fills while the backend hangs
    // and a process may time out on it before the kill).
    const timedOutOnHung = replicas.reduce((sum, p, i) => sum + p.logs().slice(marks[i]!).filter((r) =>
      r.audit === true && r.event === 'cleanup.delete' && r.outcome === 'failed' && r.backend === hung.name).length, 0);

    t.diagnostic(`at the kill: ${reported} deletions reported, ${left.length} of ${stored.length} copies left, ${owedAtKill.queued} queued, ${claimedAtKill} claimed by the killed processes`);
    assert.ok(left.length < stored.length, 'no bytes left the backends before the kill');
    // Each killed process had at most one request out (concurrency 1), besides those that timed out.
    const hungGone = onHung.filter((key) => !left.includes(key));
    assert.ok(hungGone.length <= replicas.length + timedOutOnHung,
      `copies on the hung backend ${hung.name} deleted while it hung: ${hungGone.join(', ')} (${timedOutOnHung} deletions timed out on it)`);
    assert.ok(owedAtKill.queued >= left.length, 'every copy still stored should still be owed in the queue');
    assert.ok(claimedAtKill > 0, 'the killed processes should have held claimed deletions');

    await waitUntil('every deleted object to leave the backends', () => storedKeys(prefix), (rest) => rest.length === 0, { timeoutMs: AFTER_LEASE_MS, intervalMs: 500 });
    // The bytes of a row a killed process had claimed may be gone already (its request
    // reached the backend); the row itself is settled only after the lease, by a retry.
    await waitUntil('the ledger to owe nothing', debts, (owed) => JSON.stringify(owed) === JSON.stringify(settled), { timeoutMs: AFTER_LEASE_MS, intervalMs: 500 });
  });

  test('NATS down for a while: the S3 API keeps working, events wait in the outbox, then every one is delivered', { timeout: 180_000 }, async (t) => {
    const server = d.nats.server;
    assert.ok(server, 'this system should run its own nats-server');
    const prefix = 'outage/';
    // Everything so far has been published and consumed: the baseline the outage is measured from.
    await waitUntil('earlier events to be published', () => ledgerNumber('SELECT count(*) AS n FROM event_log WHERE published_at IS NULL'), (n) => n === 0, { timeoutMs: 30_000 });

    await server.stop();
    let keys: string[];
    try {
      keys = await putMany(prefix, 20);
      const { body } = await getBytes(s3, { Bucket: bucket, Key: keys[0]! });
      assert.ok(body.equals(patternBytes(OBJECT_BYTES, keys[0]!)), 'a read during the outage returned other bytes');
      await deleteAll(keys.slice(0, 10));
      const waiting = await ledgerNumber('SELECT count(*) AS n FROM event_log WHERE published_at IS NULL');
      assert.ok(waiting >= 21, `the outage's events (20 writes, 1 delete) should wait in event_log; ${waiting} unpublished`);
    } finally {
      await server.start();
    }

    const back = Date.now();
    await waitUntil('every event to be published', () => ledgerNumber('SELECT count(*) AS n FROM event_log WHERE published_at IS NULL'), (n) => n === 0, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    t.diagnostic(`every event published ${Date.now() - back} ms after NATS came back`);
    const consumers = await waitUntil(
      'every durable consumer to have worked through the stream',
      () => d.nats.consumers(),
      (list) => list.length > 0 && list.every((c) => c.pending === 0 && c.ackPending === 0),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    t.diagnostic(`every consumer caught up ${Date.now() - back} ms after NATS came back`);
    for (const verb of ['placement', 'cleanup', 'notifier', 'usage']) {
      assert.ok(consumers.some((c) => c.name.includes(`-${verb}-`)), `no durable consumer of ${verb} in ${JSON.stringify(consumers)}`);
    }
    assert.equal(await d.nats.streamMessages(), await ledgerNumber('SELECT count(*) AS n FROM event_log'), 'the stream should hold every event of event_log exactly once');
    assert.equal(await ledgerNumber('SELECT count(*) AS n FROM dead_events'), 0, 'no event should have been given up on');

    await waitUntil('the deleted objects to leave the backends', () => storedKeys(prefix), (left) => left.length === 10, { timeoutMs: 30_000 });
    for (const key of keys.slice(10)) {
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(patternBytes(OBJECT_BYTES, key)), `${key} lost its bytes`);
    }
    await waitUntil('the ledger to owe nothing', debts, (owed) => JSON.stringify(owed) === JSON.stringify(settled), { timeoutMs: 30_000 });
  });

  testNothingEscaped(() => sys);
});
