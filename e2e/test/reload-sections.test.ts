// The sections a reload applies live beyond credentials and quotas (docs/architecture.md §7
// "Reloading"): rate limits, replication, rebalance, lifecycle and notification endpoints.
// Each test changes its section in the file, asks every process to re-read it
// (`reload?all=true`), proves the new value takes effect — a lowered rate limit refuses with
// SlowDown, a raised factor makes the next pass create copies, a job turned on runs, a new
// endpoint receives events — and puts the original file back.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  gatewayClient, NotificationReceiver, put, startSystem, testNothingEscaped, waitUntil, type E2ESystem,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('reloading rate limits, replication, rebalance, lifecycle and notifications', () => {
  let sys: E2ESystem;
  let original: string;
  let receiver: NotificationReceiver;

  before(async () => {
    receiver = await NotificationReceiver.start();
    // The replication sweep runs only when a test asks for it.
    sys = await startSystem({ overrides: { ...ADMIN_AUTH_OVERRIDES, replication: { worker_interval: '1h' } } });
    original = await readFile(sys.configPath, 'utf8');
  });
  after(async () => {
    await sys?.stop();
    await receiver?.stop();
  });

  /** Writes the file with `edit` applied to the original, has every process re-read it, and returns each process's status. */
  async function reloadWith(edit: (tree: any) => void): Promise<Array<{ ok: boolean; applied: string[]; restart_needed: string[] }>> {
    const tree = JSON.parse(original);
    edit(tree);
    await writeFile(sys.configPath, JSON.stringify(tree, null, 2));
    const reload = await adminCall(sys.url, 'POST', 'reload', { query: { all: 'true' } });
    assert.equal(reload.status, 200, JSON.stringify(reload.body));
    return reload.body.processes.map((p: { status: unknown }) => p.status);
  }

  async function restoreOriginal(): Promise<void> {
    await reloadWith(() => undefined);
  }

  /** The job's worker record once a process runs it (distributed mode: seen through the heartbeats). */
  function workerSeen(job: string, present = true) {
    return waitUntil(`${job} is ${present ? '' : 'no longer '}listed among the workers`, async () => (await adminCall(sys.url, 'GET', 'workers')).body,
      (w) => w.workers.some((r: { job: string }) => r.job === job) === present);
  }

  async function runNow(job: string): Promise<{ status: number; body: any }> {
    return adminCall(sys.url, 'POST', `jobs/${job}/run`);
  }

  test('a lowered rate limit refuses with SlowDown after the reload, and lifts with the next', async () => {
    const client = gatewayClient(sys.url, sys.bucket.credentials, { maxAttempts: 1 });
    try {
      for (let i = 0; i < 5; i++) await client.send(new ListObjectsV2Command({ Bucket: sys.bucket.name, MaxKeys: 1 }));
      const statuses = await reloadWith((tree) => {
        tree.rate_limit = { enabled: true, requests_per_sec: '0.01', burst: 2 };
      });
      for (const s of statuses) {
        assert.ok(s.applied.includes('rateLimit.enabled'), JSON.stringify(s));
        assert.deepEqual(s.restart_needed, []);
      }
      const refused = await waitUntil('a request is refused with SlowDown', async () => {
        try {
          await client.send(new ListObjectsV2Command({ Bucket: sys.bucket.name, MaxKeys: 1 }));
          return null;
        } catch (err) {
          return err as { name: string; $metadata: { httpStatusCode?: number } };
        }
      }, (e) => e !== null, { timeoutMs: 10_000 });
      assert.equal(refused!.$metadata.httpStatusCode, 503);
      assert.equal(refused!.name, 'SlowDown');
      const running = (await adminCall(sys.url, 'GET', 'config')).body;
      assert.equal(running.config.rateLimit.burst, 2);
      assert.ok(!JSON.stringify(running.last_reload.restart_needed).includes('rateLimit'));
      assert.ok(Object.keys(running.restart_only).includes('server'));
      assert.ok(!Object.keys(running.restart_only).includes('rateLimit'));

      await restoreOriginal();
      for (let i = 0; i < 5; i++) await client.send(new ListObjectsV2Command({ Bucket: sys.bucket.name, MaxKeys: 1 }));
    } finally {
      client.destroy();
    }
  });

  test('a raised replication factor: new writes get their copies, and the next pass copies the older objects', async () => {
    const s3 = sys.client();
    const bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: 'factor/old.txt', Body: Buffer.from('written under factor 1') });
    const okCopies = async (key: string) => ((await adminCall(sys.url, 'GET', 'object-locations', { query: { bucket, key } })).body.copies ?? [])
      .filter((c: { state: string }) => c.state === 'ok').length;
    assert.equal(await okCopies('factor/old.txt'), 1);

    const statuses = await reloadWith((tree) => {
      tree.replication = { ...tree.replication, factor: 2 };
    });
    for (const s of statuses) assert.deepEqual(s.applied, ['replication.factor']);
    await put(s3, { Bucket: bucket, Key: 'factor/new.txt', Body: Buffer.from('written under factor 2') });
    await waitUntil('the new object has two copies', () => okCopies('factor/new.txt'), (n) => n === 2);
    // The scheduled sweep is an hour away: the pass run now is the "next pass".
    await workerSeen('replication-sweep');
    const pass = await runNow('replicate');
    assert.equal(pass.status, 200, JSON.stringify(pass.body));
    await waitUntil('the older object has two copies', () => okCopies('factor/old.txt'), (n) => n === 2);
    await restoreOriginal();
  });

  test('rebalance turned on by a reload runs; turned off, it stops', async () => {
    assert.equal((await runNow('rebalance')).status, 503, 'no process runs the rebalancer before');
    await reloadWith((tree) => {
      tree.rebalance = { enabled: true, interval: '1h', strategy: 'spread', threshold: 0.01 };
    });
    const record = (await workerSeen('rebalance')).workers.find((r: { job: string }) => r.job === 'rebalance');
    assert.equal(record.interval_ms, 60 * 60_000, JSON.stringify(record));
    // Its first scheduled tick may be running a pass: 409 until it ends.
    const pass = await waitUntil('a rebalance pass ran', () => runNow('rebalance'), (r) => r.status !== 409);
    assert.equal(pass.status, 200, JSON.stringify(pass.body));
    assert.equal(pass.body.status, 'ok');
    assert.equal(typeof pass.body.counts.planned, 'number');
    await restoreOriginal();
    await workerSeen('rebalance', false);
  });

  test('a lifecycle rule added by a reload expires objects', async () => {
    const s3 = sys.client();
    const bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: 'expiring/old.txt', Body: Buffer.from('old') });
    await put(s3, { Bucket: bucket, Key: 'expiring/young.txt', Body: Buffer.from('young') });
    // Age one object past the rule (the S3 API cannot write the past; distributed mode reaches its database).
    const aged = sys.distributed !== null;
    if (sys.distributed) {
      await sys.distributed.ledger.query('UPDATE objects SET created_at = created_at - $1 WHERE object_key = $2', [2 * DAY_MS, `${bucket}/expiring/old.txt`]);
    }
    assert.equal((await runNow('lifecycle')).status, 503, 'no lifecycle job runs without rules');
    await reloadWith((tree) => {
      tree.lifecycle = { rules: [{ bucket, prefix: 'expiring/', expiration_days: 1 }], interval: '1h' };
    });
    await workerSeen('lifecycle');
    // A pass now (the job's first scheduled tick may be running it already: 409 until it ends).
    const pass = await waitUntil('a lifecycle pass ran', () => runNow('lifecycle'), (r) => r.status !== 409);
    assert.equal(pass.status, 200, JSON.stringify(pass.body));
    assert.equal(pass.body.status, 'ok');
    const listed = async () => (await adminCall(sys.url, 'GET', 'objects', { query: { bucket, prefix: 'expiring/' } })).body.objects.map((o: { key: string }) => o.key);
    // Whichever pass expired it (the scheduled first tick, or the one run now).
    await waitUntil('the aged object is expired', listed, (keys) => keys.length === (aged ? 1 : 2));
    assert.deepEqual(await listed(), aged ? ['expiring/young.txt'] : ['expiring/old.txt', 'expiring/young.txt']);
    await restoreOriginal();
    await workerSeen('lifecycle', false);
  });

  test('a notification endpoint added by a reload receives the events from then on', async () => {
    const s3 = sys.client();
    const bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: 'notify/before.txt', Body: Buffer.from('before') });
    const statuses = await reloadWith((tree) => {
      tree.notifications = { endpoints: [{ name: 'reloaded', type: 'webhook', url: `${receiver.url}/reloaded`, events: ['s3:ObjectCreated:*'], prefix: 'notify/' }] };
    });
    for (const s of statuses) assert.ok(s.applied.includes('notifications.endpoints'), JSON.stringify(s));
    await put(s3, { Bucket: bucket, Key: 'notify/after.txt', Body: Buffer.from('after') });
    const delivered = await waitUntil('the new endpoint received the event', async () => receiver.delivered('/reloaded'), (d) => d.length >= 1);
    const keys = delivered.map((r) => String(JSON.parse(r.body).Records[0].s3.object.key));
    assert.deepEqual(keys, ['notify/after.txt']);
    await restoreOriginal();
  });

  testNothingEscaped(() => sys);
});
