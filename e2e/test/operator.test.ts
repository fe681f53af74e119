// The operator surface against the whole system: the admin API's status, config, workers,
// object locations, browsing, logs and log level, and a replication pass run now (with its
// progress), then the `s3-orchestrator admin` command as an operator types it — address and
// credential from the environment or the config file, tables, --json and exit codes. In
// distributed mode the status lists every service process by its heartbeat, the workers are
// those of the placement and cleanup processes, and a pass asked of a gateway runs in the
// process that runs the job.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { put, startSystem, testNothingEscaped, waitUntil, type E2ESystem } from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, ADMIN_ROOT, adminCall } from '../src/admin-calls.js';
import { rawFetch } from '../src/raw-request.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../services/cli/src/main.ts', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command from sources, with only the environment given (no S3O_* of the test runner's). */
function admin(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('S3O_ADMIN') && k !== 'S3O_ACCESS_KEY_ID' && k !== 'S3O_SECRET_ACCESS_KEY'));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'admin', ...args], { cwd: REPO, env: { ...base, NODE_OPTIONS: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('operator surface', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  const keys = ['ops/a.txt', 'ops/b.txt', 'ops/deep/c.txt'];

  before(async () => {
    // The catch-up sweep is the pass this test runs by hand: its schedule is far away.
    sys = await startSystem({ overrides: { ...ADMIN_AUTH_OVERRIDES, replication: { factor: 2, worker_interval: '1h' } } });
    s3 = sys.client();
    bucket = sys.bucket.name;
    for (const key of keys) await put(s3, { Bucket: bucket, Key: key, Body: Buffer.from(`body of ${key}`) });
  });
  after(() => sys?.stop());

  test('status: every backend with its quota and copies, the queues, and every service process seen', async () => {
    const expected = sys.mode === 'single' ? ['serve'] : ['cleanup', 'gateway', 'gateway', 'notifier', 'placement', 'usage'];
    const status = await waitUntil('every process has sent its heartbeat', async () => (await adminCall(sys.url, 'GET', 'status')).body,
      (s) => JSON.stringify(s.services.map((p: { service: string }) => p.service).sort()) === JSON.stringify(expected));
    assert.deepEqual(status.backends.map((b: { name: string }) => b.name), ['b1', 'b2', 'b3']);
    assert.ok(status.objects >= keys.length);
    assert.equal(status.replication.factor, 2);
    const copies = status.backends.reduce((n: number, b: { objects: number }) => n + b.objects, 0);
    assert.ok(copies >= keys.length, `${copies} copies`);
    for (const p of status.services) {
      assert.equal(p.version, '0.1.0');
      assert.ok(p.uptime_seconds >= 0);
    }
    assert.equal(typeof status.cleanup.queue_depth, 'number');
    assert.equal(typeof status.open_uploads, 'number');
  });

  test('workers: the periodic jobs of every process, with who holds their locks', async () => {
    const workers = await waitUntil('the replication sweep is listed', async () => (await adminCall(sys.url, 'GET', 'workers')).body,
      (w) => w.jobs.some((j: { job: string }) => j.job === 'replication-sweep'));
    const sweep = workers.workers.find((w: { job: string }) => w.job === 'replication-sweep');
    assert.equal(sweep.service, sys.mode === 'single' ? 'serve' : 'placement');
    assert.equal(sweep.lock, 'per-run');
    assert.ok(workers.jobs.some((j: { job: string }) => j.job === 'cleanup-queue'));
  });

  test('config: the running configuration with the root secret redacted', async () => {
    const config = (await adminCall(sys.url, 'GET', 'config')).body;
    assert.equal(config.config.auth.root.accessKeyId, ADMIN_ROOT.accessKeyId);
    assert.ok(!JSON.stringify(config).includes(ADMIN_ROOT.secretAccessKey));
  });

  test('replicate now: NDJSON progress, then every object has two copies, each one located', async () => {
    // The events replicate most objects at once; the pass is what an operator runs after a factor change.
    const res = await rawFetch(sys.url, { method: 'POST', path: '/admin/api/jobs/replicate/run', credentials: ADMIN_ROOT, headers: { accept: 'application/x-ndjson' } });
    assert.equal(res.status, 200, res.body);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string; counts?: Record<string, number> });
    assert.equal(lines[0]!.event, 'started');
    assert.equal(lines.at(-1)!.event, 'done', res.body);
    // The summary line: what the pass found and did (every object below the factor had its turn).
    const summary = lines.at(-1)!.counts!;
    assert.deepEqual(Object.keys(summary).sort(), ['over', 'replicated', 'trimmed', 'under']);
    assert.equal(summary['replicated'], summary['under'], res.body);
    for (const line of lines.filter((l) => l.event === 'running' && l.counts)) assert.ok(line.counts!['replicated']! <= line.counts!['under']!, res.body);
    for (const key of keys) {
      const where = await waitUntil(`${key} has two copies`, async () => (await adminCall(sys.url, 'GET', 'object-locations', { query: { bucket, key } })).body,
        (o) => o.copies?.filter((c: { state: string }) => c.state === 'ok').length === 2);
      assert.notEqual(where.copies[0].backend, where.copies[1].backend);
      assert.ok(where.copies.every((c: { storage_key: string }) => c.storage_key.startsWith(`${bucket}/${key}`)));
    }
    const missing = await adminCall(sys.url, 'GET', 'object-locations', { query: { bucket, key: 'ops/none' } });
    assert.equal(missing.status, 404);
  });

  test('objects: the bucket browsed by prefix and delimiter', async () => {
    const page = (await adminCall(sys.url, 'GET', 'objects', { query: { bucket, prefix: 'ops/', delimiter: '/' } })).body;
    assert.deepEqual(page.objects.map((o: { key: string }) => o.key), ['ops/a.txt', 'ops/b.txt']);
    assert.deepEqual(page.common_prefixes, ['ops/deep/']);
  });

  test('logs and log level of the gateway process', async () => {
    const level = (await adminCall(sys.url, 'GET', 'log-level')).body.level;
    const set = await adminCall(sys.url, 'PUT', 'log-level', { body: { level: 'debug' } });
    assert.deepEqual(set.body, { level: 'debug', previous: level });
    const logs = await waitUntil('the level change is in the log', async () => (await adminCall(sys.url, 'GET', 'logs', { query: { limit: '2000' } })).body,
      (l) => l.lines.some((line: { event?: string; level?: string }) => line.event === 'log.level'));
    assert.ok(logs.lines.length <= 2000);
    await adminCall(sys.url, 'PUT', 'log-level', { body: { level } });
  });

  test('the CLI: credential from the environment, tables, --json, exit codes', async () => {
    const env = { S3O_ADMIN_ADDR: sys.url, S3O_ACCESS_KEY_ID: ADMIN_ROOT.accessKeyId, S3O_SECRET_ACCESS_KEY: ADMIN_ROOT.secretAccessKey };
    const status = await admin(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^BACKEND\s+HEALTH\s+WRITES/m);
    assert.match(status.stdout, /^b1\s+ok\s+yes/m);

    const fromConfig = await admin(['status', '--json', '--config', sys.configPath, '--addr', sys.url]);
    assert.equal(fromConfig.code, 0, fromConfig.stderr);
    assert.deepEqual((JSON.parse(fromConfig.stdout) as { backends: Array<{ name: string }> }).backends.map((b) => b.name), ['b1', 'b2', 'b3']);

    const located = await admin(['locate', `${bucket}/ops/a.txt`], env);
    assert.equal(located.code, 0, located.stderr);
    assert.equal(located.stdout.split('\n').filter((l) => /^b\d\s+ok/.test(l)).length, 2, located.stdout);

    const listed = await admin(['ls', bucket, 'ops/', '--delimiter', '/'], env);
    assert.match(listed.stdout, /PRE\s+ops\/deep\//);
    assert.match(listed.stdout, /ops\/a\.txt/);

    const flush = await admin(['usage-flush'], env);
    assert.equal(flush.code, 0, flush.stderr);
    assert.match(flush.stdout, /^usage-flush: done in [\d.]+s: deltas \d+, requests \d+, egressBytes [\d.]+ \w+, ingressBytes [\d.]+ \w+, failed 0$/m);

    const unknownBackend = await admin(['drain-status', 'nope'], env);
    assert.equal(unknownBackend.code, 3);
    assert.match(unknownBackend.stderr, /NoSuchBackend/);
    const wrongSecret = await admin(['workers'], { ...env, S3O_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(wrongSecret.code, 3);
    assert.match(wrongSecret.stderr, /SignatureDoesNotMatch/);
    const badUsage = await admin(['locate'], env);
    assert.equal(badUsage.code, 2);
  });

  testNothingEscaped(() => sys);
});
