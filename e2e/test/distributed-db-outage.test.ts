// Distributed mode only: the database goes away for a while (the system runs on a private
// Postgres cluster the test stops and starts; the machine's shared one is never touched).
//   during — the gateways answer writes 503 ServiceUnavailable and serve reads from the
//            backends (degraded mode); placement, cleanup, notifier and usage keep running,
//            log what failed and retry — none exits;
//   after  — writes succeed again and are replicated, a delete's bytes are cleaned up, the
//            notifier delivers the events, the usage totals count every backend request made
//            during the outage (each process kept its unflushed counts), and `admin verify`
//            finds the backends holding exactly what the ledger says.
// Every backend sits behind a CountingProxy: what really reached it is what usage must count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startPrivatePostgres, type PrivatePostgres } from '../../services/gateway/test/support/private-postgres.js';
import { adminCall } from '../src/admin-calls.js';
import { S3RVER_CREDENTIALS } from '../src/config-text.js';
import {
  ADMIN_ROOT,
  adminUsage,
  BACKEND_BUCKET,
  CountingProxy,
  expectS3Error,
  gatewayClient,
  getBytes,
  KiB,
  listBackend,
  NotificationReceiver,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type LogRecord,
} from '../src/index.js';

const SIZE = 64 * KiB;
const HOOK = '/hook';
/** Background services that must notice the outage (each logs a failed pass or handler) and survive it. */
const NOTICING = ['placement', 'cleanup', 'notifier'] as const;

describe('distributed mode: a database outage', () => {
  let pg: PrivatePostgres;
  let receiver: NotificationReceiver;
  let proxies: CountingProxy[] = [];
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    pg = await startPrivatePostgres();
    receiver = await NotificationReceiver.start();
    proxies = await Promise.all([0, 1, 2].map(() => CountingProxy.start()));
    sys = await startSystem({
      mode: 'distributed',
      postgresUrl: `postgres://postgres@127.0.0.1:${pg.port}/postgres`,
      routing: 'spread',
      overrides: {
        auth: { root: { access_key_id: ADMIN_ROOT.accessKeyId, secret_access_key: ADMIN_ROOT.secretAccessKey } },
        backends: proxies.map((proxy, i) => ({
          name: `b${i + 1}`, endpoint: proxy.url, region: 'us-east-1', bucket: BACKEND_BUCKET,
          access_key_id: S3RVER_CREDENTIALS.accessKeyId, secret_access_key: S3RVER_CREDENTIALS.secretAccessKey, force_path_style: true,
        })),
        // The first failed ledger call opens a gateway's database breaker; it probes every second.
        circuit_breaker: { failure_threshold: 1, open_timeout: '1s' },
        replication: { factor: 2, worker_interval: '1s' },
        usage_flush: { interval: '500ms' },
        cleanup_queue: { tick: '300ms', backoff_base: '200ms', backoff_max: '1s' },
        write_path: { pending_pattern: { reaper_tick: '500ms', min_age: '3s', heartbeat: '500ms' } },
        notifications: {
          poll_interval: '200ms', backoff_base: '100ms', backoff_max: '1s',
          endpoints: [{ name: 'all', type: 'webhook', url: `${receiver.url}${HOOK}`, timeout: '2s', events: ['s3:*'], max_retries: 1000 }],
        },
      },
    });
    proxies.forEach((proxy, i) => proxy.setTarget(sys.backends[i]!.endpoint));
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
  });
  after(async () => {
    // The run's database is dropped through the private cluster: it must be up again.
    await pg?.start().catch(() => undefined);
    await sys?.stop();
    await Promise.all(proxies.map((p) => p.stop()));
    await receiver?.stop();
    await pg?.destroy();
  });

  const copiesOf = async (key: string) => {
    const { rows } = await sys.distributed!.ledger.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM object_locations WHERE object_key = $1 AND state = 'ok'", [`${bucket}/${key}`]);
    return rows[0]!.n;
  };
  const notified = (eventName: string, key: string) => receiver.delivered(HOOK).filter((r) => {
    const record = (JSON.parse(r.body) as { Records: Array<{ eventName: string; s3: { object: { key: string } } }> }).Records[0]!;
    return record.eventName === eventName && decodeURIComponent(record.s3.object.key) === key;
  }).length;
  const health = async (url: string) => ((await (await fetch(`${url}/health`)).json()) as { status: string }).status;

  test('before: written, replicated and announced', async () => {
    for (const key of ['before/0', 'before/1']) await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(SIZE, key) });
    await waitUntil('both objects to have two copies', async () => Promise.all(['before/0', 'before/1'].map(copiesOf)), (n) => n.every((c) => c === 2), { timeoutMs: 30_000 });
    await waitUntil('their ObjectCreated notifications', async () => notified('ObjectCreated:Put', 'before/1'), (n) => n === 1, { timeoutMs: 30_000 });
  });

  test('during: writes 503, reads from the backends, every service notices and keeps running', async (t) => {
    const since = new Map(sys.distributed!.processes.map((p) => [p.name, p.logs().length]));
    await pg.stop();

    // Each gateway notices at its first ledger call (a listing, which degraded mode refuses).
    for (const url of sys.gatewayUrls) {
      const client = gatewayClient(url, sys.bucket.credentials, { maxAttempts: 1 });
      try {
        await waitUntil(`${url} to be degraded`, async () => {
          await client.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
          return health(url);
        }, (s) => s === 'degraded', { timeoutMs: 30_000 });
      } finally {
        client.destroy();
      }
    }
    await expectS3Error(put(s3, { Bucket: bucket, Key: 'during/refused', Body: patternBytes(SIZE, 'during') }), { code: 'ServiceUnavailable', status: 503 });
    for (const key of ['before/0', 'before/1']) {
      assert.ok((await getBytes(s3, { Bucket: bucket, Key: key })).body.equals(patternBytes(SIZE, key)), `${key} read in degraded mode`);
    }

    const failed = (r: LogRecord) => r.level === 'error' || r.level === 'warn';
    for (const verb of NOTICING) {
      for (const p of sys.distributed!.service(verb)) {
        const record = await p.waitForLog('a failure while the database is down', failed, { since: since.get(p.name)!, timeoutMs: 60_000 });
        t.diagnostic(`${p.name} during the outage: ${record.level} "${record.msg}"`);
      }
    }
    for (const p of sys.distributed!.processes) assert.ok(p.running, `${p.name} is still running`);
  });

  test('after: writes, replication, cleanup, notifications and usage resume; verify is ok', async () => {
    await pg.start();
    for (const url of sys.gatewayUrls) await waitUntil(`${url} to leave degraded mode`, () => health(url), (s) => s === 'ok', { timeoutMs: 60_000 });

    for (const key of ['after/0', 'after/1']) await put(s3, { Bucket: bucket, Key: key, Body: patternBytes(SIZE, key) });
    await waitUntil('the new objects to have two copies', async () => Promise.all(['after/0', 'after/1'].map(copiesOf)), (n) => n.every((c) => c === 2), { timeoutMs: 60_000 });

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'before/0' }));
    await waitUntil('the deleted object\'s bytes to be gone from every backend',
      async () => (await Promise.all(sys.backends.map((b) => listBackend(b, `${bucket}/before/0!`)))).flat().length, (n) => n === 0, { timeoutMs: 60_000 });

    await waitUntil('the notifications of the writes and the delete', async () => [
      notified('ObjectCreated:Put', 'after/0'), notified('ObjectCreated:Put', 'after/1'), notified('ObjectRemoved:Delete', 'before/0'),
    ], (n) => n.every((c) => c >= 1), { timeoutMs: 60_000 });
    assert.equal(notified('ObjectCreated:Put', 'during/refused'), 0, 'a refused write is never announced');

    // Usage: every request that reached a backend, the degraded reads during the outage
    // included, ends up in the totals (each process kept what it could not flush).
    await waitUntil('the usage totals to match what reached each backend',
      async () => {
        const rows = await adminUsage(sys.gatewayUrls[0]!);
        return proxies.map((proxy, i) => [rows.find((r) => r.backend === `b${i + 1}`)?.api_requests ?? 0, proxy.counts().requests]);
      },
      (pairs) => pairs.every(([counted, seen]) => counted === seen), { timeoutMs: 60_000 });

    const verify = await adminCall(sys.gatewayUrls[0]!, 'GET', 'verify', { credentials: ADMIN_ROOT });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
    for (const p of sys.distributed!.processes) assert.ok(p.running, `${p.name} is still running`);
  });

  testNothingEscaped(() => sys);
});
