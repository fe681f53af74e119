// Issue 20, the harder variants of "lose the database, lose nothing" (rebuild.test.ts is the
// orderly one). The orchestrator runs as its own process (`s3-orchestrator serve`, compiled)
// under a workload of PUTs, overwrites and deletes with replication factor 2 and uploads left
// open; it is SIGKILLed mid-workload, the ledger is lost, and `s3-orchestrator rebuild` runs:
//  * every write a client saw acknowledged reads back as acknowledged — a deleted key stays
//    deleted; a key whose last request got no answer may be in either state — quotas equal
//    what the backends hold, `admin verify` ok;
//  * the open uploads are aborted (b1 sits behind a proxy that lists s3rver's real uploads;
//    s3rver itself cannot list them, and the report says so for b2 and b3);
//  * with every object replicated, the ledger is lost again and b3 is stopped: the rebuild
//    refuses, naming b3; `--allow-missing b3` restores every object from b1 and b2; with b3
//    back, `rebuild --force` adds b3's copies and debts — then quotas and verify agree again.
// Runs on both engines.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { openLedger, type Ledger } from '@s3o/store';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';
import { gatewayClient, s3rverClient } from '../src/clients.js';
import { buildConfigText, S3RVER_CREDENTIALS, type BusSettings, type LedgerSettings, type VirtualBucket } from '../src/config-text.js';
import { prepareNats } from '../src/distributed/cluster.js';
import { createRunDatabase, testPgUrl, type RunDatabase } from '../src/distributed/run-database.js';
import { BACKEND_BUCKET, KiB, patternBytes, waitUntil } from '../src/index.js';
import { UploadsListingProxy, uploadsOnDisk } from '../src/uploads-listing-proxy.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const BUCKET: VirtualBucket = { name: 'e2e-crash', credentials: { accessKeyId: 'e2e-crash-key', secretAccessKey: 'e2e-crash-secret-0123456789' } };
const WORKERS = 3;
const KEYS_PER_WORKER = 8;
/** acknowledged operations before the kill */
const OPS_BEFORE_KILL = 90;

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    execFile(process.execPath, ['--no-warnings', CLI_MAIN, ...args], { cwd: REPO, env },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** `s3-orchestrator serve` as its own process; resolves with its URL once it serves. */
async function startServe(configPath: string): Promise<{ child: ChildProcess; url: string }> {
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const child = spawn(process.execPath, ['--no-warnings', CLI_MAIN, 'serve', '--config', configPath], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 180_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as { msg?: string; url?: string };
        if (record.msg === 's3-orchestrator serving' && record.url) {
          clearTimeout(timer);
          resolve(record.url);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}): ${stderr}`));
    });
  });
  return { child, url };
}

/** What a client was told of a key: its bytes' MD5, or null (deleted / never written). */
type Told = string | null;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Backend {
  name: string;
  dir: string;
  proc: S3rverProcess;
  port: number;
  /** b1's endpoint is the uploads-listing proxy */
  proxy: UploadsListingProxy | null;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`rebuild after a crash, and with a backend missing (${engine})`, () => {
    let root: string;
    let backends: Backend[] = [];
    let database: RunDatabase | null = null;
    let ledgerSettings: LedgerSettings;
    let bus: BusSettings = { driver: 'memory' };
    let releaseNats: (() => Promise<void>) | null = null;
    let serveProcess: ChildProcess | null = null;
    const clients: S3Client[] = [];
    /** per key: what the client was last told, and, for a key whose request got no answer, what that request would have made it */
    const told = new Map<string, Told>();
    const unanswered = new Map<string, Told>();

    const configPath = () => join(root, 's3o.yaml');
    const writeConfig = () => writeFile(configPath(), buildConfigText({
      ledger: ledgerSettings, bus, buckets: [BUCKET], logLevel: 'info',
      backends: backends.map((b) => ({ name: b.name, endpoint: b.proxy?.url ?? b.proc.endpoint, bucket: BACKEND_BUCKET, quota: 0 })),
      routing: 'spread',
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        replication: { factor: 2, worker_interval: '300ms' },
        cleanup_queue: { tick: '200ms', backoff_base: '200ms', backoff_max: '1s' },
      },
    }));
    const serveUp = async () => {
      const started = await startServe(configPath());
      serveProcess = started.child;
      const client = gatewayClient(started.url, BUCKET.credentials, { maxAttempts: 1 });
      clients.push(client);
      return { url: started.url, client };
    };
    const serveDown = async () => {
      const child = serveProcess;
      serveProcess = null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    };
    const loseLedger = async () => {
      if (ledgerSettings.driver === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) await rm(`${ledgerSettings.path}${suffix}`, { force: true });
        return;
      }
      const admin = new pg.Client({ connectionString: testPgUrl() });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE "${ledgerSettings.name}" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${ledgerSettings.name}"`);
      } finally {
        await admin.end();
      }
    };
    const openTestLedger = (): Promise<Ledger> => ledgerSettings.driver === 'sqlite'
      ? openLedger({ driver: 'sqlite', path: ledgerSettings.path, source: 'e2e-test' })
      : openLedger({
        driver: 'postgres', host: ledgerSettings.host, port: ledgerSettings.port, user: ledgerSettings.user,
        password: ledgerSettings.password ?? undefined, name: ledgerSettings.name, sslMode: 'disable', maxConns: 1, minConns: 0,
        maxConnLifetimeMs: 60_000, source: 'e2e-test',
      });
    const rawKeys = async (b: Backend) => {
      const raw = s3rverClient(b.proc.endpoint, S3RVER_CREDENTIALS);
      try {
        const out: Array<{ key: string; size: number }> = [];
        let token: string | undefined;
        do {
          const page = await raw.send(new ListObjectsV2Command({ Bucket: BACKEND_BUCKET, ContinuationToken: token }));
          for (const c of page.Contents ?? []) out.push({ key: c.Key!, size: c.Size! });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return out;
      } finally {
        raw.destroy();
      }
    };
    /** Each backend's quota row (used + owed) equals the bytes it holds. */
    const assertQuotasMatch = async (which: Backend[]) => {
      const ledger = await openTestLedger();
      try {
        const quotas = new Map((await ledger.getQuotas()).map((q) => [q.backendName, q]));
        for (const b of which) {
          const held = (await rawKeys(b)).reduce((n, o) => n + o.size, 0);
          const q = quotas.get(b.name)!;
          assert.equal(q.bytesUsed + q.orphanBytes, held, `${b.name}: used ${q.bytesUsed} + owed ${q.orphanBytes} vs ${held} held`);
        }
        return quotas;
      } finally {
        await ledger.close();
      }
    };
    /** The client's view of every key the workload touched: md5 of the bytes, or null when absent. */
    const view = async (client: S3Client) => {
      const seen = new Map<string, Told>();
      for (const key of told.keys()) {
        try {
          const answer = await client.send(new GetObjectCommand({ Bucket: BUCKET.name, Key: key }));
          seen.set(key, md5(Buffer.from(await answer.Body!.transformToByteArray())));
        } catch (err) {
          if ((err as { name?: string }).name !== 'NoSuchKey') throw err;
          seen.set(key, null);
        }
      }
      return seen;
    };

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 's3o-rebuild-crash-'));
      backends = await Promise.all([1, 2, 3].map(async (n) => {
        const dir = join(root, `backend-${n}`);
        const proc = await startS3rver({ dir, buckets: [BACKEND_BUCKET], port: 0 });
        const proxy = n === 1 ? await UploadsListingProxy.start(dir, proc.endpoint) : null;
        return { name: `b${n}`, dir, proc, port: Number(new URL(proc.endpoint).port), proxy };
      }));
      if (engine === 'sqlite') {
        await mkdir(join(root, 'ledger'));
        ledgerSettings = { driver: 'sqlite', path: join(root, 'ledger', 's3o.db') };
      } else {
        database = await createRunDatabase();
        ledgerSettings = database.settings;
        await mkdir(join(root, 'nats'));
        const nats = await prepareNats('shared', join(root, 'nats'));
        releaseNats = () => nats.release();
        bus = { driver: 'nats', url: nats.url, stream: nats.names.stream, subjectPrefix: nats.names.subjectPrefix };
      }
      await writeConfig();
    });
    after(async () => {
      if (serveProcess && serveProcess.exitCode === null) serveProcess.kill('SIGKILL');
      clients.forEach((c) => c.destroy());
      for (const b of backends) {
        await b.proxy?.stop();
        await b.proc.stop();
      }
      await database?.drop();
      await releaseNats?.();
      await rm(root, { recursive: true, force: true });
    });

    test('SIGKILL mid-workload, ledger lost, rebuild: every acknowledged write reads back; open uploads are aborted', async (t) => {
      const { client } = await serveUp();
      // Uploads left open: the ledger that knew them is about to be lost.
      for (const key of ['open/one', 'open/two']) {
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET.name, Key: key }));
        await client.send(new UploadPartCommand({ Bucket: BUCKET.name, Key: key, UploadId, PartNumber: 1, Body: patternBytes(64 * KiB, key) }));
      }
      const openOnB1 = (await uploadsOnDisk(backends[0]!.dir, BACKEND_BUCKET)).length;
      const openElsewhere = (await Promise.all(backends.slice(1).map((b) => uploadsOnDisk(b.dir, BACKEND_BUCKET)))).flat().length;
      assert.equal(openOnB1 + openElsewhere, 2, 'each upload is open on one backend');

      // The workload: each worker owns its keys, so a key's acknowledged state is well defined.
      let acknowledged = 0;
      let killed = false;
      const worker = async (w: number) => {
        for (let n = 0; !killed; n++) {
          const key = `w${w}/k${(n * 7 + w) % KEYS_PER_WORKER}`;
          const del = told.get(key) !== undefined && told.get(key) !== null && n % 4 === 3;
          const body = patternBytes(KiB + ((n * 331 + w * 97) % (6 * KiB)), `${key}#${n}`);
          const outcome: Told = del ? null : md5(body);
          if (!told.has(key)) told.set(key, null);
          unanswered.set(key, outcome);
          try {
            if (del) await client.send(new DeleteObjectCommand({ Bucket: BUCKET.name, Key: key }));
            else await client.send(new PutObjectCommand({ Bucket: BUCKET.name, Key: key, Body: body }));
          } catch (err) {
            if (killed) return; // no answer: either state
            throw err;
          }
          unanswered.delete(key);
          told.set(key, outcome);
          acknowledged++;
        }
      };
      const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
      await waitUntil('the workload to be acknowledged often enough', async () => acknowledged, (n) => n >= OPS_BEFORE_KILL, { timeoutMs: 240_000 });
      killed = true;
      serveProcess!.kill('SIGKILL');
      await Promise.all(running);
      serveProcess = null;
      t.diagnostic(`${engine}: killed after ${acknowledged} acknowledged operations; ${unanswered.size} requests unanswered`);

      await loseLedger();
      const rebuilt = await runCli(['rebuild', '--config', configPath()]);
      assert.equal(rebuilt.code, 0, rebuilt.stderr + rebuilt.stdout);
      t.diagnostic(`${engine}: ${rebuilt.stdout.trim()}`);
      assert.match(rebuilt.stdout, /0 failed/);
      assert.match(rebuilt.stdout, new RegExp(`uploads: ${openOnB1} open, ${openOnB1} aborted, 0 owed \\(not listable on b2, b3\\)`), rebuilt.stdout);
      assert.equal((await uploadsOnDisk(backends[0]!.dir, BACKEND_BUCKET)).length, 0, "b1's open uploads are aborted");
      await assertQuotasMatch(backends);

      const { url, client: after } = await serveUp();
      const seen = await view(after);
      for (const [key, was] of told) {
        const now = seen.get(key);
        if (unanswered.has(key)) {
          assert.ok(now === was || now === unanswered.get(key), `${key}: unanswered; ${now} is neither ${was} nor ${unanswered.get(key)}`);
        } else {
          assert.equal(now, was, `${key}: acknowledged ${was === null ? 'deleted' : `as ${was}`}, reads ${now}`);
        }
      }
      const verify = await adminCall(url, 'GET', 'verify');
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
      // The state the clients were last told is now settled: the unanswered keys take what they read.
      for (const [key, now] of seen) told.set(key, now);
      unanswered.clear();
      await waitUntil('every object to have its second copy and every debt to be paid', async () => {
        const status = (await adminCall(url, 'GET', 'status')).body;
        const v = (await adminCall(url, 'GET', 'verify')).body;
        return { backlog: status.replication?.backlog, ok: v.ok, debts: v.backends.reduce((n: number, b: { debts: number }) => n + b.debts, 0) };
      }, (s) => s.backlog === 0 && s.ok && s.debts === 0, { timeoutMs: 120_000 });
      await serveDown();
    });

    test('a backend missing: refused by name, --allow-missing restores from the others, a later --force adds what it holds', async (t) => {
      await loseLedger();
      const b3 = backends[2]!;
      await b3.proc.stop();
      const refused = await runCli(['rebuild', '--config', configPath()]);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /nothing done, unreachable: b3 \(/);
      assert.match(refused.stderr, /--allow-missing b3/);

      const partial = await runCli(['rebuild', '--config', configPath(), '--allow-missing', 'b3']);
      assert.equal(partial.code, 0, partial.stderr);
      assert.match(partial.stdout, /MISSING backends, not walked: b3/);
      t.diagnostic(`${engine}: without b3: ${partial.stdout.trim()}`);
      const quotas = await assertQuotasMatch(backends.slice(0, 2));
      assert.equal(quotas.get('b3')!.bytesUsed + quotas.get('b3')!.orphanBytes, 0, 'nothing of b3 is recorded yet');

      b3.proc = await startS3rver({ dir: b3.dir, buckets: [BACKEND_BUCKET], port: b3.port });
      const later = await runCli(['rebuild', '--config', configPath(), '--force']);
      assert.equal(later.code, 0, later.stderr);
      t.diagnostic(`${engine}: b3 back: ${later.stdout.trim()}`);
      assert.doesNotMatch(later.stdout, /keys recorded with another write/, 'every object was replicated: b1 and b2 saw every newest write');
      await assertQuotasMatch(backends);

      const { url, client } = await serveUp();
      assert.deepEqual(await view(client), told);
      const verify = await adminCall(url, 'GET', 'verify');
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
      const ledger = await openTestLedger();
      try {
        const rows = await ledger.getQuotas();
        assert.ok(rows.find((q) => q.backendName === 'b3')!.bytesUsed > 0, "b3's copies are recorded again");
      } finally {
        await ledger.close();
      }
      await serveDown();
    });
  });
}
