// Distributed mode against single-process mode, PUT/GET of 4 KiB at concurrency 16 over one
// sink: `node infra/bench/distributed.mjs [seconds]` (build first; needs the Postgres at
// S3O_TEST_PG_URL and the NATS JetStream at S3O_TEST_NATS_URL that the e2e tests use). Runs
// `serve` (SQLite, in-process bus), then the distributed services as processes of their own
// (gateway ×1, then ×2 with the clients split between them; placement, cleanup, usage,
// notifier) over a database and stream of the run's own, removed at the end. Prints ops/s and
// CPU per operation of the gateways, of the other services and of the run's Postgres backends.
// DIST_CLI=PATH runs another build's compiled `services/cli/dist/main.js` (base/new runs
// back to back); DIST_GATEWAYS=1,2,4 the gateway counts (default 1,2); DIST_QUOTA=BYTES the
// backend's quota; DIST_REPLICAS=2 two backends, factor 2 and the commit → replica-written lag;
// DIST_SINGLE=0 skips the single-process run; DIST_CPU_PROF=DIR profiles the gateways
// (DIST_CPU_PROF_VERBS=gateway,usage,… other services too); DIST_WARMUP_MS the load before
// each measured row. The other services' CPU is shown in all and per service, and an idle row
// before each gateway count shows what every process spends with no request.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { startBackend } from './dist/backends.js';
import { patternBuffer } from './dist/pattern.js';
import { freePort } from './dist/modes/gateway-process.js';
import { createBenchClient } from './dist/s3-client.js';
import { runLoad } from './dist/load.js';
import { ProcessProbe } from './dist/process-probe.js';

const CLI = process.env.DIST_CLI || fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const GATEWAY_COUNTS = (process.env.DIST_GATEWAYS || '1,2').split(',').map(Number);
// The backend's quota: 0 (none, the default) lets claims share its row lock; a limit (e.g.
// 1099511627776, 1 TiB) makes every claim take it exclusively (docs/architecture.md "Quota guarantee").
const QUOTA_BYTES = Number(process.env.DIST_QUOTA || 0);
// DIST_REPLICAS=2: a second sink backend and replication.factor 2, and after each PUT phase the
// commit → replica-written lag of its objects (below). Default 1: one backend, no replication.
const REPLICAS = Number(process.env.DIST_REPLICAS || 1);
const seconds = Number(process.argv[2] ?? 6);
// Load before each measured row, so the services' code is compiled (JIT) as in a long-running
// deployment: DIST_WARMUP_MS, default 10 s (with 0.5 s, a run measured the services still compiling:
// docs/performance.md "Distributed mode, warm").
const WARMUP_MS = Number(process.env.DIST_WARMUP_MS || 10_000);
const PG_URL = process.env.S3O_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.env.S3O_TEST_NATS_URL || 'nats://127.0.0.1:4222';
const work = await mkdtemp(join(tmpdir(), 's3o-dist-'));
const backends = [];
for (let i = 0; i < REPLICAS; i++) backends.push(await startBackend('sink', work));
const bucket = { name: 'bench', credentials: { accessKeyId: 'dist', secretAccessKey: 'dist-secret-key' } };
const id = randomBytes(5).toString('hex');
const dbName = `s3o_e2e_${Math.floor(Date.now() / 1000)}_${id}`;
const stream = `S3O_E2E_${id}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const pgUrl = new URL(PG_URL);

function config(port, distributed) {
  return JSON.stringify({
    server: { listen_addr: `127.0.0.1:${port}`, max_object_size: '5GiB' },
    buckets: [{ name: bucket.name, credentials: [{ access_key_id: bucket.credentials.accessKeyId, secret_access_key: bucket.credentials.secretAccessKey }] }],
    database: distributed
      ? { driver: 'postgres', host: pgUrl.hostname, port: Number(pgUrl.port || 5432), user: decodeURIComponent(pgUrl.username) || 'postgres', ...(pgUrl.password ? { password: decodeURIComponent(pgUrl.password) } : {}), name: dbName, ssl_mode: 'disable' }
      : { driver: 'sqlite', path: join(work, 'single.db') },
    ...(distributed ? { bus: { driver: 'nats', url: NATS_URL, stream, subject_prefix: `e2e_${id}` } } : {}),
    backends: backends.map((backend, i) => ({ name: `${backend.name}${i || ''}`, endpoint: backend.endpoint, bucket: backend.bucket, access_key_id: backend.credentials.accessKeyId, secret_access_key: backend.credentials.secretAccessKey, quota_bytes: QUOTA_BYTES })),
    ...(REPLICAS > 1 ? { replication: { factor: REPLICAS } } : {}),
    logging: { level: 'warn' },
  });
}

const children = [];
async function startProcess(verb, cfg, ready, healthPort) {
  const file = join(work, `${verb}-${children.length}.json`);
  await writeFile(file, cfg);
  const args = [CLI, verb, '--config', file];
  if (healthPort) args.push('--health-listen', `127.0.0.1:${healthPort}`);
  // DIST_CPU_PROF=DIR: the gateways (or the services DIST_CPU_PROF_VERBS=gateway,usage,… names)
  // run with --cpu-prof, profiles written there at exit.
  const profiled = (process.env.DIST_CPU_PROF_VERBS || 'gateway').split(',');
  const prof = process.env.DIST_CPU_PROF && profiled.includes(verb) ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DIST_CPU_PROF}`] : [];
  const child = spawn(process.execPath, ['--no-warnings', ...prof, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => { if (out.length < 1e5) out += c; });
  child.stderr.on('data', (c) => { out += c; });
  children.push(child);
  // Up to 5 min: at load 50 on this 2-core machine a service took 1–2 min to be ready.
  for (let i = 0; i < 3000; i++) {
    if (child.exitCode !== null) throw new Error(`${verb} exited: ${out.slice(-2000)}`);
    if (await ready(out)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${verb} not ready: ${out.slice(-2000)}`);
}
const httpReady = (port) => async () => { try { const r = await fetch(`http://127.0.0.1:${port}/health/ready`); await r.arrayBuffer(); return r.status === 200; } catch { return false; } };

async function postgresPids() {
  const r = await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
  return r.rows.map((x) => x.pid);
}
/**
 * Where the run's Postgres sessions spend a transaction, sampled every 25 ms while the load runs:
 * running a statement, waiting for the client's next one (idle in transaction: the gateway's
 * round trips), or waiting for a lock — and which statement waits (the quota row lock of a claim
 * is `SELECT … FROM backend_quotas … FOR UPDATE`, of a commit `INSERT INTO backend_quotas …`
 * before migration 0023 and `INSERT INTO backend_quota_stripes …` after it).
 */
function sampleWaits() {
  const counts = new Map();
  let samples = 0;
  let stopped = false;
  const probe = new pg.Client({ connectionString: PG_URL });
  const done = (async () => {
    await probe.connect();
    while (!stopped) {
      const r = await probe.query(
        `SELECT state, wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS q
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'`, [dbName]);
      samples++;
      for (const row of r.rows) {
        const key = row.wait_event_type === 'Lock' ? `lock ${row.wait_event}: ${row.q}`
          : row.state === 'idle in transaction' ? 'idle in transaction (waiting for the client)'
          : row.wait_event_type === 'Client' ? 'waiting for the client'
          : row.wait_event_type ? `${row.wait_event_type} ${row.wait_event}` : 'running';
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((res) => setTimeout(res, 25));
    }
    await probe.end();
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const parts = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5)
        .map(([k, n]) => `${(100 * n / total).toFixed(0)}% ${k}`);
      return `Postgres sessions in a transaction, ${samples} samples (mean ${(total / Math.max(1, samples)).toFixed(1)} busy): ${parts.join(' · ')}`;
    },
  };
}
// CPU seconds per pid; a window's figure sums only the pids alive at both ends (a pooled
// Postgres connection may close meanwhile, which would otherwise count negative).
const cpuOf = (pids) => new Map(pids.flatMap((p) => { try { return [[p, new ProcessProbe(p).cpuSeconds()]]; } catch { return []; } }));
const cpuDelta = (before, after) => [...after].reduce((n, [p, s]) => (before.has(p) ? n + s - before.get(p) : n), 0);

/**
 * Commit → replica-written lag of the objects a PUT phase wrote (DIST_REPLICAS > 1): each
 * copy's object_locations.created_at is the time its commit ran (the PUT's commit; the
 * replica's, after its bytes were written), so the lag is the last copy's time minus the
 * first's, both from this machine's clock. Waits up to 60 s for replication to catch up.
 */
async function replicationLag(prefix, distributed) {
  const query = `SELECT MAX(created_at) - MIN(created_at) AS lag, COUNT(*) AS copies FROM object_locations
                  WHERE object_key LIKE $1 AND state = 'ok' GROUP BY object_key`;
  // One connection (or file handle) for all the polls below.
  const reader = distributed ? new pg.Client({ connectionString: dbUrl() }) : null;
  if (reader) await reader.connect();
  const db = distributed ? null : new (await import('better-sqlite3')).default(join(work, 'single.db'), { readonly: true });
  const read = async () => {
    const rows = reader ? (await reader.query(query, [`%${prefix}%`])).rows : db.prepare(query.replace('$1', '?')).all(`%${prefix}%`);
    return rows.map((r) => ({ lag: Number(r.lag), copies: Number(r.copies) }));
  };
  try {
    return await waitForReplicas(read);
  } finally {
    await reader?.end();
    db?.close();
  }
}

async function waitForReplicas(read) {
  const started = Date.now();
  let rows = await read();
  while (rows.some((r) => r.copies < REPLICAS) && Date.now() - started < 60_000) {
    await new Promise((r) => setTimeout(r, 250));
    rows = await read();
  }
  const lags = rows.filter((r) => r.copies >= REPLICAS).map((r) => r.lag).sort((a, b) => a - b);
  const at = (q) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))];
  const caughtUp = ((Date.now() - started) / 1000).toFixed(1);
  return lags.length === 0 ? `no object reached ${REPLICAS} copies`
    : `commit → replica written: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${lags.at(-1)} ms over ${lags.length} objects` +
      `${lags.length < rows.length ? ` (${rows.length - lags.length} not replicated after 60 s)` : ''}; all replicated ${caughtUp} s after the phase`;
}
const dbUrl = () => { const u = new URL(PG_URL); u.pathname = `/${dbName}`; return u.toString(); };

// The sink serves the pattern for every GET (it keeps no bytes), so bodies are the pattern:
// a replica read back from a sink then has the bytes, and the MD5, its PUT had.
const body = patternBuffer(4096);
// `others`: the other services' processes as [verb, pid]; their CPU is shown per service and summed.
async function measure(label, gatewayUrls, gatewayPids, others, withPostgres) {
  const clients = gatewayUrls.map((u) => createBenchClient(u, bucket.credentials, 'when-required').s3);
  for (let i = 0; i < 64; i++) await clients[i % clients.length].send(new PutObjectCommand({ Bucket: 'bench', Key: `r/${i}`, Body: body, ContentLength: 4096 }));
  let n = 0;
  const ops = {
    'PUT 4 KiB c16': (i) => clients[i % clients.length].send(new PutObjectCommand({ Bucket: 'bench', Key: `p/${label}/${n++}`, Body: body, ContentLength: 4096 })).then(() => 4096),
    'GET 4 KiB c16': async (i) => { const r = await clients[i % clients.length].send(new GetObjectCommand({ Bucket: 'bench', Key: `r/${i % 64}` })); await r.Body.transformToByteArray(); return 4096; },
  };
  // With replication, a PUT row at concurrency 1 too: the lag of a copy when replication is
  // not behind a saturating write load.
  if (REPLICAS > 1) ops['PUT 4 KiB c1'] = (i) => clients[i % clients.length].send(new PutObjectCommand({ Bucket: 'bench', Key: `p/${label}/c1/${n++}`, Body: body, ContentLength: 4096 })).then(() => 4096);
  for (const [title, op] of Object.entries(ops)) {
    const concurrency = Number(/c(\d+)$/.exec(title)[1]);
    await runLoad({ concurrency, durationMs: WARMUP_MS, minOps: 1, op });
    const pgPids = withPostgres ? await postgresPids() : [];
    const before = [cpuOf(gatewayPids), cpuOf(pgPids), ...others.map(([, pid]) => cpuOf([pid]))];
    const waits = withPostgres ? sampleWaits() : null;
    const res = await runLoad({ concurrency, durationMs: seconds * 1000, minOps: concurrency, op });
    const after = [cpuOf(gatewayPids), cpuOf(pgPids), ...others.map(([, pid]) => cpuOf([pid]))];
    const waited = waits ? await waits.stop() : null;
    const cpuSeconds = (k) => cpuDelta(before[k], after[k]);
    const us = (s) => (s * 1e6 / res.ops).toFixed(0);
    const perService = others.map(([verb], i) => [verb, cpuSeconds(2 + i)]);
    const allOthers = perService.reduce((sum, [, s]) => sum + s, 0);
    console.log(`${label.padEnd(26)} ${title}: ${(res.ops / res.seconds).toFixed(0)} ops/s, p50 ${res.latenciesMs.sort((a, b) => a - b)[res.latenciesMs.length >> 1].toFixed(1)} ms, ` +
      `CPU µs/op: gateways ${us(cpuSeconds(0))}, other services ${us(allOthers)}${perService.length ? ` (${perService.map(([verb, s]) => `${verb} ${us(s)}`).join(', ')})` : ''}, ` +
      `Postgres ${withPostgres ? us(cpuSeconds(1)) : '—'}${res.errors ? `, ${res.errors} errors: ${res.firstError}` : ''}`);
    if (waited) console.log(`${''.padEnd(26)}   ${waited}`);
    if (REPLICAS > 1 && title.startsWith('PUT')) {
      // Settle the c16 row's backlog before the c1 row, and count each row's own keys only.
      const prefix = title.endsWith('c1') ? `p/${label}/c1/` : `p/${label}/`;
      console.log(`${''.padEnd(26)}   ${await replicationLag(prefix, withPostgres)}`);
    }
  }
}

/**
 * What the deployment spends with no request at all (its timers, pulls and heartbeats), in ms of
 * CPU per second: a load row's CPU per operation includes this share, spread over its operations.
 */
async function measureIdle(label, gatewayPids, others) {
  const before = [cpuOf(gatewayPids), ...others.map(([, pid]) => cpuOf([pid]))];
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = [cpuOf(gatewayPids), ...others.map(([, pid]) => cpuOf([pid]))];
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const ms = (k) => (cpuDelta(before[k], after[k]) * 1e3 / wall).toFixed(1);
  console.log(`${label.padEnd(26)} idle: CPU ms/s: gateways ${ms(0)}, ${others.map(([verb], i) => `${verb} ${ms(1 + i)}`).join(', ')}`);
}

try {
  // Single-process mode.
  if (process.env.DIST_SINGLE !== '0') {
    const port = await freePort();
    const serve = await startProcess('serve', config(port, false), httpReady(port));
    await measure('single-process', [`http://127.0.0.1:${port}`], [serve.pid], [], false);
    serve.kill('SIGTERM');
  }
  // Distributed: the other services once, gateways added one by one.
  const others = [];
  for (const verb of ['placement', 'cleanup', 'usage', 'notifier']) {
    const health = await freePort();
    others.push([verb, (await startProcess(verb, config(await freePort(), true), httpReady(health), health)).pid]);
  }
  const gateways = [];
  for (const count of GATEWAY_COUNTS) {
    while (gateways.length < count) {
      const port = await freePort();
      gateways.push({ port, child: await startProcess('gateway', config(port, true), httpReady(port)) });
    }
    await measureIdle(`distributed, ${count} gateway(s)`, gateways.map((g) => g.child.pid), others);
    await measure(`distributed, ${count} gateway(s)`, gateways.map((g) => `http://127.0.0.1:${g.port}`), gateways.map((g) => g.child.pid), others, true);
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const backend of backends) await backend.stop();
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
  await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.end();
  try {
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const s of [stream, `${stream}_DEAD`]) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  } catch { /* streams with the e2e prefix are removed by the next e2e run after an hour */ }
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
