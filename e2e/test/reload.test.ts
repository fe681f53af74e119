// Reloading the configuration without a restart, under load: a quota and a new credential
// change in the file, every process re-reads it (`reload?all=true`; SIGHUP does the same per
// process), the new credential works on every gateway, the ledger's quota follows, keys that
// need a restart are listed — and the load running throughout sees no failed request. An
// invalid file changes nothing: every process says why, keeps serving and keeps its
// configuration. The `admin reload` command exits 0 and 1 accordingly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { gatewayClient, put, startSystem, testNothingEscaped, waitUntil, type E2ESystem } from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, ADMIN_ROOT, adminCall } from '../src/admin-calls.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../services/cli/src/main.ts', import.meta.url));
const NEW_KEY = { accessKeyId: 'e2e-rotated-key', secretAccessKey: 'e2e-rotated-secret-0123456789' };
/** Requests the load sends at most, and for at most this long: it stops by itself. */
const LOAD_MAX_REQUESTS = 4000;
const LOAD_MAX_MS = 120_000;

function admin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_OPTIONS: '', S3O_ACCESS_KEY_ID: ADMIN_ROOT.accessKeyId, S3O_SECRET_ACCESS_KEY: ADMIN_ROOT.secretAccessKey };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'admin', ...args], { cwd: REPO, env },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('configuration reload', () => {
  let sys: E2ESystem;
  let original: string;

  before(async () => {
    sys = await startSystem({ overrides: ADMIN_AUTH_OVERRIDES });
    original = await readFile(sys.configPath, 'utf8');
  });
  after(() => sys?.stop());

  /** The configuration file as the system runs it, changed by `edit`. */
  async function rewrite(edit: (tree: any) => void): Promise<void> {
    const tree = JSON.parse(original);
    edit(tree);
    await writeFile(sys.configPath, JSON.stringify(tree, null, 2));
  }

  test('a quota and a new credential reloaded in every process under load, with no failed request', async () => {
    const bucket = sys.bucket.name;
    const failures: string[] = [];
    let sent = 0;
    let stop = false;
    const started = Date.now();
    // Writes and reads of the bucket's own credential through every gateway, until told to stop.
    // Each lane its own keys: a key overwritten by one lane while another reads it is a
    // different matter (a read racing an overwrite's cleanup), not what this test is about.
    const load = Promise.all(sys.gatewayUrls.flatMap((url, g) => [0, 1].map(async (lane) => {
      const client = gatewayClient(url, sys.bucket.credentials, { maxAttempts: 1 });
      try {
        for (let i = 0; !stop && sent < LOAD_MAX_REQUESTS && Date.now() - started < LOAD_MAX_MS; i++) {
          const key = `load/${g}-${lane}/${i % 20}`;
          sent += 2;
          try {
            await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(`${key} ${i}`) }));
            await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
          } catch (err) {
            failures.push(`${url} ${key}: ${err instanceof Error ? err.name + ' ' + err.message : String(err)}`);
          }
        }
      } finally {
        client.destroy();
      }
    })));

    try {
      while (sent < 40) await new Promise((r) => setTimeout(r, 20)); // the load is under way
      await rewrite((tree) => {
        tree.backends[0].quota_bytes = '3GB';
        tree.buckets[0].credentials.push({ access_key_id: NEW_KEY.accessKeyId, secret_access_key: NEW_KEY.secretAccessKey });
        tree.cleanup_queue = { ...(tree.cleanup_queue ?? {}), tick: '7s' };
      });
      const reload = await adminCall(sys.url, 'POST', 'reload', { query: { all: 'true' } });
      assert.equal(reload.status, 200, JSON.stringify(reload.body));
      const processes = sys.mode === 'single' ? 1 : 6;
      assert.equal(reload.body.processes.length, processes, JSON.stringify(reload.body));
      for (const p of reload.body.processes) {
        assert.equal(p.status.ok, true, JSON.stringify(p));
        assert.ok(p.status.applied.includes('backends[b1].quotaBytes'), JSON.stringify(p.status));
        assert.ok(p.status.applied.includes('buckets'), JSON.stringify(p.status));
        assert.deepEqual(p.status.restart_needed, ['cleanupQueue.tickMs']);
      }
      // Every gateway takes the new key at once.
      for (const url of sys.gatewayUrls) {
        const rotated = gatewayClient(url, NEW_KEY, { maxAttempts: 1 });
        try {
          await put(rotated, { Bucket: bucket, Key: 'reload/new-key.txt', Body: Buffer.from('written with the new key') });
        } finally {
          rotated.destroy();
        }
      }
      const status = (await adminCall(sys.url, 'GET', 'status')).body;
      assert.equal(status.backends.find((b: { name: string }) => b.name === 'b1').quota.limit_bytes, 3_000_000_000);
      // The restart-only key keeps its running value.
      const running = (await adminCall(sys.url, 'GET', 'config')).body.config;
      assert.notEqual(running.cleanupQueue.tickMs, 7_000);
      assert.equal(running.backends[0].quotaBytes, 3_000_000_000);
      while (sent < 400 && Date.now() - started < LOAD_MAX_MS / 2) await new Promise((r) => setTimeout(r, 20)); // load after the reload too
    } finally {
      stop = true;
      await load;
    }
    assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    assert.ok(sent >= 400, `only ${sent} requests were sent`);
  });

  test('an invalid file changes nothing: each process says why and keeps serving', async () => {
    const before = (await adminCall(sys.url, 'GET', 'config')).body.config;
    await rewrite((tree) => {
      delete tree.backends[1].endpoint;
      tree.backends[0].quota_bytes = '1MB';
    });
    const refused = await adminCall(sys.url, 'POST', 'reload', { query: { all: 'true' } });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.ok, false);
    for (const p of refused.body.processes) {
      assert.equal(p.status.ok, false);
      assert.match(p.status.error, /backends\[1\]\.endpoint/);
    }
    const status = (await adminCall(sys.url, 'GET', 'reload-status')).body.status;
    assert.equal(status.ok, false);
    assert.deepEqual((await adminCall(sys.url, 'GET', 'config')).body.config, before, 'the running configuration is unchanged');
    await put(sys.client(), { Bucket: sys.bucket.name, Key: 'reload/after-invalid.txt', Body: Buffer.from('still serving') });

    const cli = await admin(['reload', '--addr', sys.url]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /^refused \(admin-api, .*backends\[1\]\.endpoint/);
    await writeFile(sys.configPath, original);
    const back = await admin(['reload', '--all', '--addr', sys.url]);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /applied: .*backends\[b1\]\.quotaBytes/);
  });

  test('SIGHUP: the process re-reads its file', async () => {
    await rewrite((tree) => {
      tree.backends[1].quota_bytes = '2GB';
    });
    if (sys.distributed) await sys.distributed.service('gateway')[0]!.kill('SIGHUP');
    else process.kill(process.pid, 'SIGHUP'); // single mode: serve runs in this process
    const status = await waitUntil('the gateway has reloaded on SIGHUP', async () => (await adminCall(sys.url, 'GET', 'reload-status')).body.status,
      (s) => s?.trigger === 'SIGHUP');
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.deepEqual(status.applied, ['backends[b2].quotaBytes']);
    const b2 = (await adminCall(sys.url, 'GET', 'status')).body.backends.find((b: { name: string }) => b.name === 'b2');
    assert.equal(b2.quota.limit_bytes, 2_000_000_000);
    await writeFile(sys.configPath, original);
    assert.equal((await adminCall(sys.url, 'POST', 'reload', { query: { all: 'true' } })).status, 200);
  });

  testNothingEscaped(() => sys);
});
