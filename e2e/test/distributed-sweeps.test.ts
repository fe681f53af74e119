// Issue 23 item 7, distributed mode: lifecycle expiry, the stale-multipart sweep and the
// intent reaper on their real timers, with two cleanup replicas competing for each sweep's
// leader lock (a Postgres advisory lock). Each piece of work is done, and done once: one
// object.removed (LifecycleExpiration) for the expired object, one promotion of the crashed
// write whose bytes landed, the stale upload aborted, the empty intent owed and its debt
// paid. Then the replica that last ran the reaper is killed: the other one takes the lock
// and reaps the next crashed write.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { newId, type Ledger } from '@s3o/store';
import {
  expectS3Error,
  getBytes,
  KiB,
  openSystemLedger,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type LogRecord,
  type ServiceProcess,
} from '../src/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SIZE = 16 * KiB;

describe('distributed mode: sweeps on their timers, two cleanup replicas', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;

  before(async () => {
    sys = await startSystem({
      mode: 'distributed',
      cleanupReplicas: 2,
      overrides: {
        logging: { level: 'info' },
        lifecycle: { rules: [{ prefix: 'expire/', expiration_days: 1 }], interval: '1s' },
        // The stale-multipart sweep looks every max(1 s, timeout / 10).
        cleanup_queue: { tick: '300ms', backoff_base: '200ms', backoff_max: '1s', multipart_stale_timeout: '4s' },
        write_path: { pending_pattern: { reaper_tick: '500ms', min_age: '2s', heartbeat: '500ms' } },
      },
    });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(sys);
    bucket = sys.bucket.name;
  });
  after(async () => {
    await ledger?.close();
    await sys?.stop();
  });

  const count = async (sql: string, params: unknown[]) => (await sys.distributed!.ledger.query<{ n: number }>(sql, params)).rows[0]!.n;
  const events = (type: string, key: string) =>
    count('SELECT count(*)::int AS n FROM event_log WHERE type = $1 AND resource = $2', [type, `${bucket}/${key}`]);
  const sweepRuns = (p: ServiceProcess, sweep: string) => p.logs().filter((r: LogRecord) => r.worker === sweep && r.msg === `${sweep} run done`);

  /** A write whose gateway died after its bytes landed (or before any did): an intent nobody heartbeats. */
  async function crashedWrite(key: string, land: boolean): Promise<{ intentId: string; storageKey: string; data: Buffer }> {
    const data = patternBytes(SIZE, key);
    const intentId = newId();
    const storageKey = `${bucket}/${key}!${intentId}`;
    const etag = createHash('md5').update(data).digest('hex');
    const claim = await ledger.claim({
      intentId, kind: 'write', objectKey: `${bucket}/${key}`, storageKey, sizeBytes: SIZE, candidates: ['b1'],
      identity: { size: SIZE, etag: '', contentType: 'application/octet-stream', userMetadata: {}, headers: {} },
    });
    assert.ok(claim);
    if (land) {
      const b1 = sys.backends[0]!;
      await b1.rawClient.send(new PutObjectCommand({ Bucket: b1.bucket, Key: storageKey, Body: data, Metadata: { 's3o-bucket': bucket, 's3o-etag': etag } }));
    }
    return { intentId, storageKey, data };
  }

  test('every service process names its Postgres sessions: s3o <service>@<host>:<pid>', async () => {
    const d = sys.distributed!;
    const expected = d.processes.map((p) => ({ verb: p.verb, pid: p.pid }));
    assert.ok(expected.every((e) => e.pid !== null));
    // The services poll the ledger on their timers, so each has a session open soon after start.
    await waitUntil(
      'a session of every service process',
      async () => (await d.ledger.query<{ name: string }>(
        'SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE datname = $1', [d.database],
      )).rows.map((r) => r.name),
      (seen) => expected.every((e) => seen.some((name) => new RegExp(`^s3o ${e.verb}@.+:${e.pid}$`).test(name))),
    );
  });

  test('lifecycle expires once, the stale upload is aborted, crashed writes are promoted or owed', async (t) => {
    for (const key of ['expire/old', 'expire/young', 'keep/old']) await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(SIZE, key) });
    // Age two of them past expiration_days (the API cannot write the past).
    await sys.distributed!.ledger.query('UPDATE objects SET created_at = created_at - $1 WHERE object_key = ANY($2)',
      [2 * DAY_MS, [`${bucket}/expire/old`, `${bucket}/keep/old`]]);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'stale/upload' }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'stale/upload', UploadId, PartNumber: 1, Body: patternBytes(SIZE, 'part') }));
    const landed = await crashedWrite('crashed/landed', true);
    const empty = await crashedWrite('crashed/empty', false);

    await waitUntil('the expired object to go', () => count('SELECT count(*)::int AS n FROM objects WHERE object_key = $1', [`${bucket}/expire/old`]),
      (n) => n === 0, { timeoutMs: 60_000 });
    await waitUntil('the stale upload to be aborted', async () => (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0,
      (n) => n === 0, { timeoutMs: 60_000 });
    await waitUntil('every intent to be resolved and every debt paid',
      async () => [await count('SELECT count(*)::int AS n FROM pending_objects', []), await count('SELECT count(*)::int AS n FROM cleanup_queue', [])],
      ([intents, debts]) => intents === 0 && debts === 0, { timeoutMs: 60_000 });

    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'expire/old' })), { status: 404 });
    for (const key of ['expire/young', 'keep/old']) await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'crashed/landed' })).body.equals(landed.data), 'the landed write was promoted');
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'crashed/empty' })), { status: 404 });
    assert.equal(await count('SELECT count(*)::int AS n FROM multipart_uploads', []), 0);

    // Once each, though two replicas ran the sweeps.
    assert.equal(await events('object.removed', 'expire/old'), 1, 'one LifecycleExpiration');
    assert.equal(await events('object.created', 'crashed/landed'), 1, 'one promotion');
    const cleanups = sys.distributed!.service('cleanup');
    const deleted = (storageKey: string) => cleanups.flatMap((p) => p.logs())
      .filter((r) => r.event === 'cleanup.delete' && r.outcome === 'deleted' && r.storageKey === storageKey).length;
    assert.equal(deleted(empty.storageKey), 1, 'the empty intent\'s key was owed and deleted once');
    for (const sweep of ['reaper', 'lifecycle', 'multipart-sweep']) {
      t.diagnostic(`${sweep}: busy passes per replica ${cleanups.map((p) => `${p.name}=${sweepRuns(p, sweep).length}`).join(', ')}`);
    }
    assert.equal(cleanups.reduce((n, p) => n + sweepRuns(p, 'lifecycle').filter((r) => (r.expired as number) > 0).length, 0), 1,
      'one lifecycle pass expired something');
  });

  test('the replica that ran the reaper is killed: the other takes the lock and reaps', async (t) => {
    const cleanups = sys.distributed!.service('cleanup') as [ServiceProcess, ServiceProcess];
    const last = (p: ServiceProcess) => sweepRuns(p, 'reaper').at(-1)?.time as string | undefined ?? '';
    const [leader, other] = last(cleanups[0]) >= last(cleanups[1]) ? cleanups : [cleanups[1], cleanups[0]];
    await leader.kill('SIGKILL');
    const since = other.logs().length;
    const next = await crashedWrite('crashed/after-failover', true);
    await waitUntil('the write to be promoted', () => count('SELECT count(*)::int AS n FROM objects WHERE object_key = $1', [`${bucket}/crashed/after-failover`]),
      (n) => n === 1, { timeoutMs: 60_000 });
    assert.ok(other.logs().slice(since).some((r) => r.worker === 'reaper' && (r.promoted as number) > 0), `${other.name} promoted it`);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'crashed/after-failover' })).body.equals(next.data));
    t.diagnostic(`${leader.name} killed, ${other.name} reaped`);
    await leader.start(); // so the run ends with every process stopped gracefully
  });

  testNothingEscaped(() => sys);
});
