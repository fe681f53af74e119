// Issue 20: lose the database, lose nothing. A workload of PUTs, overwrites, deletes, copies,
// multipart uploads and tag changes with replication factor 2; a snapshot of what clients see
// (ListObjectsV2 of every bucket, and per key the ETag, size, content type, metadata, tags and
// an MD5 of the bytes); the orchestrator stopped while deletes and overwrites still owe their
// bytes (the cleanup worker is held back, so the window delete markers close is open); the
// SQLite file deleted / the Postgres database dropped; `s3-orchestrator rebuild` run as its
// own process; the orchestrator started again — the snapshot must be identical, no deleted
// key back, quotas equal to what the backends hold, `admin verify` ok, and once cleanup ran
// no byte and no marker of the deleted and overwritten writes left. Runs on both engines.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectTaggingCommand,
  GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectTaggingCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { runService, serve, type RunningService } from '@s3o/cli';
import { parseConfig } from '@s3o/config';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { openLedger, type Ledger } from '@s3o/store';
import { createLogger } from '@s3o/telemetry';
import { Writable } from 'node:stream';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';
import { gatewayClient, s3rverClient } from '../src/clients.js';
import { buildConfigText, S3RVER_CREDENTIALS, type BusSettings, type LedgerSettings, type VirtualBucket } from '../src/config-text.js';
import { prepareNats } from '../src/distributed/cluster.js';
import { createRunDatabase, testPgUrl, type RunDatabase } from '../src/distributed/run-database.js';
import { BACKEND_BUCKET, KiB, MiB, getBytes, patternBytes, put, waitUntil } from '../src/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../services/cli/src/main.ts', import.meta.url));

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

const BUCKETS: VirtualBucket[] = ['e2e-main', 'e2e-other'].map((name) => ({
  name, credentials: { accessKeyId: `${name}-key`, secretAccessKey: `${name}-secret-0123456789` },
}));

interface KeyView {
  etag: string;
  size: number;
  contentType: string | undefined;
  metadata: Record<string, string> | undefined;
  tags: Array<{ Key?: string; Value?: string }>;
  md5: string;
}
type Snapshot = Record<string, { listing: Array<{ key: string; etag: string; size: number }>; keys: Record<string, KeyView> }>;

async function snapshot(clients: Map<string, S3Client>): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [bucket, s3] of clients) {
    const listing: Array<{ key: string; etag: string; size: number }> = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const c of page.Contents ?? []) listing.push({ key: c.Key!, etag: c.ETag!, size: c.Size! });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const keys: Record<string, KeyView> = {};
    for (const { key } of listing) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      const { body } = await getBytes(s3, { Bucket: bucket, Key: key });
      keys[key] = {
        etag: head.ETag!, size: head.ContentLength!, contentType: head.ContentType, metadata: head.Metadata,
        tags: [...(tagging.TagSet ?? [])].sort((a, b) => (a.Key! < b.Key! ? -1 : 1)), md5: createHash('md5').update(body).digest('hex'),
      };
    }
    out[bucket] = { listing, keys };
  }
  return out;
}

/** The workload; returns the keys it deleted last (each must stay deleted). */
async function workload(main: S3Client, other: S3Client): Promise<string[]> {
  const bucket = 'e2e-main';
  for (let i = 0; i < 24; i++) {
    await put(main, {
      Bucket: bucket, Key: `obj/${i}`, Body: patternBytes(KiB + i * 313, `obj/${i}#1`), ContentType: i % 2 ? 'text/plain' : 'application/x-e2e',
      Metadata: { n: String(i), who: 'e2e' }, ...(i % 3 === 0 ? { Tagging: `color=red&n=${i}` } : {}),
      ...(i % 4 === 0 ? { CacheControl: 'max-age=60', ContentDisposition: 'attachment' } : {}),
    });
  }
  await put(other, { Bucket: 'e2e-other', Key: 'odd key/with spaces/ünïcode', Body: 'other bucket' });
  // Overwrites (the first writes' copies become debts).
  for (let i = 0; i < 24; i += 3) await put(main, { Bucket: bucket, Key: `obj/${i}`, Body: patternBytes(2 * KiB + i, `obj/${i}#2`), Metadata: { v: '2' } });
  // Copies.
  await main.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/1', CopySource: `${bucket}/obj/1` }));
  await main.send(new CopyObjectCommand({
    Bucket: bucket, Key: 'copy/2', CopySource: `${bucket}/obj/2`, MetadataDirective: 'REPLACE', Metadata: { replaced: 'yes' }, ContentType: 'text/x-copied',
    TaggingDirective: 'REPLACE', Tagging: 'copied=1',
  }));
  // Multipart: two parts, completed; one more left open.
  const mp = async (key: string, tagging?: string) => {
    const { UploadId } = await main.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'video/x-e2e', Metadata: { mp: key }, ...(tagging ? { Tagging: tagging } : {}) }));
    const p1 = await main.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: patternBytes(5 * MiB, `${key}#1`) }));
    const p2 = await main.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: patternBytes(100 * KiB, `${key}#2`) }));
    await main.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag! }, { PartNumber: 2, ETag: p2.ETag! }] },
    }));
  };
  await mp('big/one', 'kind=video');
  await mp('big/two');
  await main.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big/open' }));
  // Tag changes without new bytes.
  await main.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'obj/1', Tagging: { TagSet: [{ Key: 'later', Value: 'set and changed' }] } }));
  await main.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'big/two', Tagging: { TagSet: [{ Key: 'stage', Value: 'done' }] } }));
  await main.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'obj/3' }));
  // Deletes (one of an overwritten key, one of a copy, one of a multipart object).
  const deleted = ['obj/5', 'obj/6', 'copy/1', 'big/one'];
  for (const key of deleted) await main.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return deleted.map((k) => `${bucket}/${k}`);
}

interface Backend {
  name: string;
  proc: S3rverProcess;
  raw: S3Client;
}

async function listRaw(b: Backend): Promise<Array<{ key: string; size: number }>> {
  const out: Array<{ key: string; size: number }> = [];
  let token: string | undefined;
  do {
    const page = await b.raw.send(new ListObjectsV2Command({ Bucket: BACKEND_BUCKET, ContinuationToken: token }));
    for (const c of page.Contents ?? []) out.push({ key: c.Key!, size: c.Size! });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

const silent = () => createLogger({ service: 's3o-e2e', level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`rebuild the ledger from the backends (${engine})`, () => {
    let root: string;
    let backends: Backend[] = [];
    let database: RunDatabase | null = null;
    let ledgerSettings: LedgerSettings;
    // Postgres runs with NATS (the memory bus is refused there); the run's own stream.
    let bus: BusSettings = { driver: 'memory' };
    let releaseNats: (() => Promise<void>) | null = null;
    let running: Array<{ stop(): Promise<void> }> = [];
    let gatewayUrl = '';
    const clients: S3Client[] = [];

    const configText = (cleanupTick: string) => buildConfigText({
      ledger: ledgerSettings, bus, buckets: BUCKETS,
      backends: backends.map((b) => ({ name: b.name, endpoint: b.proc.endpoint, bucket: BACKEND_BUCKET, quota: 0 })),
      routing: 'spread',
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        replication: { factor: 2, worker_interval: '300ms' },
        cleanup_queue: { tick: cleanupTick, backoff_base: '200ms', backoff_max: '1s' },
      },
    });
    const configPath = () => join(root, 's3o.yaml');
    /**
     * `held`: the gateway and placement only — no cleanup service, so the bytes of deletes and
     * overwrites are still owed when the system stops (the window delete markers close);
     * otherwise the whole orchestrator (`serve`).
     */
    const start = async (cleanup: 'held' | 'running') => {
      const text = configText(cleanup === 'held' ? '1h' : '200ms');
      await writeFile(configPath(), text);
      const config = parseConfig(text, {}).config;
      if (cleanup === 'held') {
        const gateway: RunningService = await runService('gateway', config, silent(), { host: '127.0.0.1', port: 0 }, { configPath: configPath() });
        running.push(gateway);
        running.push(await runService('placement', config, silent(), { host: '127.0.0.1', port: 0 }));
        gatewayUrl = gateway.url;
      } else {
        const orchestrator = await serve(config, silent(), { configPath: configPath() });
        running.push(orchestrator);
        gatewayUrl = orchestrator.url;
      }
      return new Map(BUCKETS.map((b) => {
        const c = gatewayClient(gatewayUrl, b.credentials);
        clients.push(c);
        return [b.name, c] as const;
      }));
    };
    const stop = async () => {
      for (const r of running.splice(0).reverse()) await r.stop();
    };
    const openTestLedger = (): Promise<Ledger> => ledgerSettings.driver === 'sqlite'
      ? openLedger({ driver: 'sqlite', path: ledgerSettings.path, source: 'e2e-test' })
      : openLedger({
        driver: 'postgres', host: ledgerSettings.host, port: ledgerSettings.port, user: ledgerSettings.user,
        password: ledgerSettings.password ?? undefined, name: ledgerSettings.name, sslMode: 'disable', maxConns: 1, minConns: 0,
        maxConnLifetimeMs: 60_000, source: 'e2e-test',
      });

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 's3o-rebuild-'));
      backends = await Promise.all([1, 2, 3].map(async (n) => {
        const proc = await startS3rver({ dir: join(root, `backend-${n}`), buckets: [BACKEND_BUCKET], port: 0 });
        return { name: `b${n}`, proc, raw: s3rverClient(proc.endpoint, S3RVER_CREDENTIALS) };
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
    });
    after(async () => {
      await stop();
      clients.forEach((c) => c.destroy());
      for (const b of backends) {
        b.raw.destroy();
        await b.proc.stop();
      }
      await database?.drop();
      await releaseNats?.();
      await rm(root, { recursive: true, force: true });
    });

    test('every object a client was told was stored comes back; no deleted key does', async (t) => {
      // Phase 1: no cleanup service, so deletes and overwrites still owe their bytes at the stop.
      const phase1 = await start('held');
      const deleted = await workload(phase1.get('e2e-main')!, phase1.get('e2e-other')!);
      await waitUntil('every object to have its second copy', async () => (await adminCall(gatewayUrl, 'GET', 'status')).body,
        (s) => s.replication?.backlog === 0, { timeoutMs: 60_000 });
      const before = await snapshot(phase1);
      assert.ok(Object.keys(before['e2e-main']!.keys).length >= 20);
      await stop();
      const markers = (await Promise.all(backends.map(listRaw))).flat().filter((o) => o.key.endsWith('!deleted'));
      assert.ok(markers.length >= deleted.length, `delete markers on the backends while the deleted bytes are still owed: ${markers.length}`);

      // Lose the database.
      if (ledgerSettings.driver === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) await rm(`${ledgerSettings.path}${suffix}`, { force: true });
      } else {
        const admin = new pg.Client({ connectionString: testPgUrl() });
        await admin.connect();
        try {
          await admin.query(`DROP DATABASE "${ledgerSettings.name}" WITH (FORCE)`);
          await admin.query(`CREATE DATABASE "${ledgerSettings.name}"`);
        } finally {
          await admin.end();
        }
      }

      const dry = await runCli(['rebuild', '--config', configPath(), '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /dry run, nothing written/);
      const started = Date.now();
      const rebuilt = await runCli(['rebuild', '--config', configPath()]);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      const objectCount = Object.values(before).reduce((n, b) => n + b.listing.length, 0);
      assert.match(rebuilt.stdout, new RegExp(`^rebuild \\(done\\): ${objectCount} objects, ${objectCount * 2} copies`), rebuilt.stdout);
      assert.match(rebuilt.stdout, /skipped: 0 foreign keys, 0 of unknown buckets; 0 failed/, rebuilt.stdout);
      assert.match(rebuilt.stderr, /rebuild: b1: listed \d+ keys \(done\)/, rebuilt.stderr);
      t.diagnostic(`${engine}: ${rebuilt.stdout.trim()} (CLI process included: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
      const again = await runCli(['rebuild', '--config', configPath()]);
      assert.equal(again.code, 1, 'a ledger that is not empty is refused');
      assert.match(again.stderr, /the ledger is not empty/);

      // Quotas equal what the backends hold (copies charged as used, everything else owed).
      const ledger = await openTestLedger();
      try {
        const quotas = new Map((await ledger.getQuotas()).map((q) => [q.backendName, q]));
        for (const b of backends) {
          const held = (await listRaw(b)).reduce((n, o) => n + o.size, 0);
          const q = quotas.get(b.name)!;
          assert.equal(q.bytesUsed + q.orphanBytes, held, `${b.name}: used ${q.bytesUsed} + owed ${q.orphanBytes} vs ${held} held`);
        }
      } finally {
        await ledger.close();
      }

      // Phase 2: the same clients' view, no deleted key back, verify ok.
      const phase2 = await start('running');
      const afterRebuild = await snapshot(phase2);
      assert.deepEqual(afterRebuild, before);
      for (const objectKey of deleted) {
        const [bucket, ...rest] = objectKey.split('/');
        await assert.rejects(phase2.get(bucket!)!.send(new HeadObjectCommand({ Bucket: bucket, Key: rest.join('/') })), /NotFound/);
      }
      const verify = await adminCall(gatewayUrl, 'GET', 'verify');
      assert.equal(verify.status, 200);
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body));

      // Cleanup then deletes the owed bytes, and each marker after the bytes it names.
      await waitUntil('the owed bytes and the markers to be gone', async () => {
        const v = (await adminCall(gatewayUrl, 'GET', 'verify')).body;
        const keys = (await Promise.all(backends.map(listRaw))).flat();
        return { ok: v.ok, debts: v.backends.reduce((n: number, b: { debts: number }) => n + b.debts, 0), markers: keys.filter((k) => k.key.endsWith('!deleted')).length, copies: keys.length };
      }, (s) => s.ok && s.debts === 0 && s.markers === 0, { timeoutMs: 60_000 });
      const copies = (await Promise.all(backends.map(listRaw))).flat().length;
      assert.equal(copies, objectCount * 2, 'exactly two copies of every object are left');
      assert.deepEqual(await snapshot(phase2), before);
    });
  });
}
