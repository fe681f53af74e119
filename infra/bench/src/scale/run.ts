// `npm run bench -- --scale 10000,100000[,1000000]`: how the gateway's cost grows with the
// number of objects in its ledger, on SQLite and on Postgres. For each engine one ledger is
// grown step by step to each size through the bulk path (./bulk-seed.ts); at each size the
// gateway (`serve`, sink backend) is started on it and PUT, HEAD, GET and LIST are timed one
// at a time (concurrency 1: latency, not throughput), with the gateway's CPU per operation and
// the ledger's bytes per object. GETs read a sample of the seeded objects whose bytes were put
// on the sink under their storage keys first (the sink keeps none it was not given).
import { PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { openLedger, type Ledger, type OpenLedgerOptions } from '@s3o/store';
import { startBackend, type RunningBackend } from '../backends.js';
import { commitInfo, currentLoadAverage, machineInfo, type CommitInfo, type MachineInfo } from '../machine.js';
import { gatewayConfigYaml, type PostgresLedgerConfig } from '../modes/gateway-config.js';
import { freePort, startGatewayProcess } from '../modes/gateway-process.js';
import type { VirtualBucket } from '../modes/mode.js';
import type { HopRuntime } from '../node-runtime.js';
import { patternBuffer } from '../pattern.js';
import { ProcessProbe } from '../process-probe.js';
import { createBenchClient, recordTimeToLastByte } from '../s3-client.js';
import { runLoad } from '../load.js';
import { summarizeLatencies, type LatencySummary } from '../stats.js';
import { bulkSeed, scaleKey, seedTemplate, type ScaleSeedTarget } from './bulk-seed.js';
import { openRawPostgres, openRawSqlite, type RawLedger, type ScaleEngine } from './raw-ledger.js';

export const SCALE_OPS = ['put', 'head', 'get', 'list'] as const;
export type ScaleOp = (typeof SCALE_OPS)[number];

export interface ScaleOptions {
  /** ledger sizes, ascending */
  sizes: number[];
  engines: ScaleEngine[];
  /** measured time per operation kind and size */
  secondsPerOp: number;
  hopRuntime?: HopRuntime | null;
  /** the Postgres server (a database of the run's own is created and dropped) */
  postgresUrl: string;
  /** the NATS JetStream server Postgres mode needs (a stream of the run's own, removed at the end) */
  natsUrl: string;
  log?: (line: string) => void;
}

export interface ScaleOpResult {
  ops: number;
  errors: number;
  firstError: string | null;
  latency: LatencySummary;
  /** LIST: request sent → last byte, before the SDK parses the XML (the figure the LIST target is judged on) */
  timeToLastByte: LatencySummary | null;
  /** the gateway's CPU time per operation, µs */
  gatewayCpuUsPerOp: number;
}

export interface ScalePoint {
  engine: ScaleEngine;
  objects: number;
  /** bulk seeding from the previous size to this one */
  seedSeconds: number;
  /** the ledger's tables and indexes (see RawLedger.bytes) */
  ledgerBytes: number;
  /** (ledgerBytes − the empty ledger's) ÷ objects */
  bytesPerObject: number;
  /** the gateway's start on this ledger until /health/ready */
  startupSeconds: number;
  gatewayRssBytes: number;
  ops: Record<ScaleOp, ScaleOpResult>;
}

export interface ScaleReport {
  format: 1;
  kind: 'scale';
  startedAt: string;
  finishedAt: string;
  commit: CommitInfo;
  machine: MachineInfo;
  loadAverageAtEnd: number;
  hopNode: string;
  objectBytes: number;
  listPageKeys: number;
  getSample: number;
  secondsPerOp: number;
  points: ScalePoint[];
}

const BUCKET: VirtualBucket = { name: 'scale', credentials: { accessKeyId: 'bench-scale', secretAccessKey: 'bench-scale-secret' } };
const OBJECT_BYTES = 4096;
const LIST_PAGE = 1000;
/** Seeded objects whose bytes are put on the sink, for GET. */
const GET_SAMPLE = 256;
const WARMUP_MS = 250;
const MIN_OPS = 20;

/** Deterministic spread of `n` indices over [0, size): the same objects at every run. */
function spread(i: number, size: number): number {
  return Math.floor(((i * 2654435761) % 2 ** 32) / 2 ** 32 * size);
}

export async function runScale(options: ScaleOptions): Promise<ScaleReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sizes = [...options.sizes].sort((a, b) => a - b);
  const startedAt = new Date();
  const machine = machineInfo();
  const commit = commitInfo();
  const points: ScalePoint[] = [];
  for (const engine of options.engines) {
    points.push(...(await scaleEngine(engine, sizes, options, log)));
  }
  return {
    format: 1, kind: 'scale', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), commit, machine,
    loadAverageAtEnd: currentLoadAverage(), hopNode: options.hopRuntime?.version ?? machine.node,
    objectBytes: OBJECT_BYTES, listPageKeys: LIST_PAGE, getSample: GET_SAMPLE, secondsPerOp: options.secondsPerOp, points,
  };
}

/** Where one engine's ledger lives, and how to open it three ways (ledger API, raw SQL, gateway config). */
interface EngineLedger {
  ledgerOptions: OpenLedgerOptions;
  openRaw(): Promise<RawLedger>;
  postgres: PostgresLedgerConfig | null;
  databasePath: string;
  dispose(): Promise<void>;
}

async function prepareEngine(engine: ScaleEngine, workDir: string, options: ScaleOptions): Promise<EngineLedger> {
  if (engine === 'sqlite') {
    const databasePath = join(workDir, 'scale.db');
    return {
      ledgerOptions: { driver: 'sqlite', path: databasePath, source: 'bench-scale' },
      openRaw: async () => openRawSqlite(databasePath),
      postgres: null,
      databasePath,
      dispose: async () => {},
    };
  }
  const id = randomBytes(5).toString('hex');
  const name = `s3o_bench_scale_${id}`;
  const stream = `S3O_BENCH_SCALE_${id}`;
  const server = new URL(options.postgresUrl);
  const admin = new pg.Client({ connectionString: options.postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', 'disable');
  return {
    ledgerOptions: { driver: 'postgres', url: url.toString(), source: 'bench-scale' },
    openRaw: () => openRawPostgres(url.toString()),
    postgres: {
      host: server.hostname, port: Number(server.port || 5432), user: decodeURIComponent(server.username) || 'postgres',
      password: server.password ? decodeURIComponent(server.password) : null, name,
      natsUrl: options.natsUrl, stream, subjectPrefix: `bench_scale_${id}`,
    },
    databasePath: join(workDir, 'unused.db'),
    dispose: async () => {
      try {
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await admin.end();
      }
      try {
        const nc = await connect({ servers: options.natsUrl });
        try {
          const jsm = await jetstreamManager(nc);
          for (const s of [stream, `${stream}_DEAD`]) await jsm.streams.delete(s).catch(() => undefined);
        } finally {
          await nc.close();
        }
      } catch {
        // NATS gone: the stream (bench_scale_ prefix) is left behind; nothing of the run depends on it.
      }
    },
  };
}

async function scaleEngine(engine: ScaleEngine, sizes: number[], options: ScaleOptions, log: (line: string) => void): Promise<ScalePoint[]> {
  const workDir = await mkdtemp(join(tmpdir(), `s3o-bench-scale-${engine}-`));
  const backend = await startBackend('sink', workDir);
  const target: ScaleSeedTarget = { bucket: BUCKET.name, backendName: backend.name, objectBytes: OBJECT_BYTES };
  let where: EngineLedger | null = null;
  let raw: RawLedger | null = null;
  const points: ScalePoint[] = [];
  try {
    where = await prepareEngine(engine, workDir, options);
    const ledger: Ledger = await openLedger(where.ledgerOptions);
    try {
      await ledger.syncBackends([{ name: backend.name, quotaBytes: 0 }]);
      raw = await where.openRaw();
      const emptyBytes = await raw.bytes();
      await seedTemplate(ledger, target);
      let count = 1;
      for (const size of sizes) {
        log(`[scale] ${engine}: seeding ${count.toLocaleString('en-US')} → ${size.toLocaleString('en-US')} objects…`);
        const seedSeconds = await bulkSeed(raw, target, count, size);
        count = size;
        await raw.analyze();
        const ledgerBytes = await raw.bytes();
        log(`[scale] ${engine}: ${size.toLocaleString('en-US')} objects seeded in ${seedSeconds.toFixed(1)} s; ledger ${(ledgerBytes / 2 ** 20).toFixed(1)} MiB`);
        await placeSample(raw, backend, target, size);
        const measured = await measureAt(engine, size, where!, backend, options, log);
        points.push({ engine, objects: size, seedSeconds, ledgerBytes, bytesPerObject: (ledgerBytes - emptyBytes) / size, ...measured });
      }
    } finally {
      await ledger.close();
    }
  } finally {
    await raw?.close();
    await backend.stop();
    await where?.dispose();
    await rm(workDir, { recursive: true, force: true });
  }
  return points;
}

/** The bytes of GET_SAMPLE seeded objects, on the sink under the storage keys their copies name. */
async function placeSample(raw: RawLedger, backend: RunningBackend, target: ScaleSeedTarget, size: number): Promise<void> {
  const client = createBenchClient(backend.endpoint, backend.credentials, 'when-required');
  const body = patternBuffer(target.objectBytes);
  try {
    for (let i = 0; i < Math.min(GET_SAMPLE, size); i++) {
      const key = `${target.bucket}/${scaleKey(spread(i, size))}`;
      const [loc] = await raw.query<{ storage_key: string }>('SELECT storage_key FROM object_locations WHERE object_key = $1', [key]);
      if (!loc) throw new Error(`seeded object ${key} has no copy in the ledger`);
      await client.s3.send(new PutObjectCommand({ Bucket: backend.bucket, Key: loc.storage_key, Body: body }));
    }
  } finally {
    client.close();
  }
}

async function measureAt(
  engine: ScaleEngine, size: number, where: EngineLedger, backend: RunningBackend, options: ScaleOptions, log: (line: string) => void,
): Promise<Pick<ScalePoint, 'startupSeconds' | 'gatewayRssBytes' | 'ops'>> {
  const port = await freePort();
  const { yaml } = gatewayConfigYaml({ port, databasePath: where.databasePath, postgres: where.postgres, backend, buckets: [BUCKET] });
  const runDir = join(tmpdir(), `s3o-bench-scale-gw-${randomBytes(4).toString('hex')}`);
  await mkdir(runDir, { recursive: true });
  const configPath = join(runDir, 'config.yaml');
  await writeFile(configPath, yaml);
  const t0 = performance.now();
  const gateway = await startGatewayProcess({ verb: 'serve', configPath, port, nodeFlags: [], cwd: runDir, runtime: options.hopRuntime });
  const startupSeconds = (performance.now() - t0) / 1000;
  const probe = new ProcessProbe(gateway.child.pid);
  const client = createBenchClient(gateway.url, BUCKET.credentials, 'when-required');
  const body = patternBuffer(OBJECT_BYTES);
  const bucket = BUCKET.name;
  const measure = (op: (i: number) => Promise<number>, ttlb?: number[]) => timed(probe, op, options.secondsPerOp, ttlb);
  try {
    const ops = {} as Record<ScaleOp, ScaleOpResult>;
    const put = (i: number) => client.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `new/${size}/${i}`, Body: body })).then(() => OBJECT_BYTES);
    ops.put = await measure(put);
    const head = (i: number) => client.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: scaleKey(spread(i, size)) })).then(() => 0);
    ops.head = await measure(head);
    const sample = Math.min(GET_SAMPLE, size);
    const get = async (i: number) => {
      const res = await client.s3.send(new GetObjectCommand({ Bucket: bucket, Key: scaleKey(spread(i % sample, size)) }));
      return (await res.Body!.transformToByteArray()).length;
    };
    ops.get = await measure(get);
    // Pages start at spread-out keys (StartAfter), so a page costs what a page deep in the bucket costs.
    const list = async (i: number) => {
      // After key `after` (none: from the first), so every page is a full one.
      const after = spread(i, size - LIST_PAGE + 1) - 1;
      const res = await client.s3.send(new ListObjectsV2Command({
        Bucket: bucket, Prefix: 'listed/', MaxKeys: LIST_PAGE, ...(after >= 0 ? { StartAfter: scaleKey(after) } : {}),
      }));
      if ((res.KeyCount ?? 0) !== LIST_PAGE) throw new Error(`a page listed ${res.KeyCount} keys, not ${LIST_PAGE}`);
      return 0;
    };
    const ttlb: number[] = [];
    const unhook = recordTimeToLastByte(client.s3, (ms) => ttlb.push(ms));
    try {
      ops.list = await measure(list, ttlb);
    } finally {
      unhook();
    }
    for (const op of SCALE_OPS) {
      const r = ops[op];
      log(`[scale] ${engine} · ${size.toLocaleString('en-US')} objects · ${op}: ${r.ops} ops, p50 ${r.latency.p50Ms.toFixed(2)} ms, ` +
        `p99 ${r.latency.p99Ms.toFixed(2)} ms${r.timeToLastByte ? ` (to last byte p99 ${r.timeToLastByte.p99Ms.toFixed(2)} ms)` : ''}, ` +
        `gateway ${r.gatewayCpuUsPerOp.toFixed(0)} µs CPU/op${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}`);
    }
    return { startupSeconds, gatewayRssBytes: probe.memory().rssBytes, ops };
  } finally {
    client.close();
    await gateway.child.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}

/**
 * One kind of operation at concurrency 1: a warm-up, then the measured phase with the
 * gateway's CPU time over it. `ttlb` collects time-to-last-byte figures (LIST); the warm-up's
 * are dropped.
 */
async function timed(probe: ProcessProbe, op: (i: number) => Promise<number>, seconds: number, ttlb?: number[]): Promise<ScaleOpResult> {
  await runLoad({ concurrency: 1, durationMs: WARMUP_MS, minOps: 1, op });
  if (ttlb) ttlb.length = 0;
  const cpu0 = probe.cpuSeconds();
  const result = await runLoad({ concurrency: 1, durationMs: seconds * 1000, minOps: MIN_OPS, op });
  const cpuSeconds = probe.cpuSeconds() - cpu0;
  if (result.ops === 0) throw new Error(`every operation failed: ${result.firstError}`);
  return {
    ops: result.ops, errors: result.errors, firstError: result.firstError,
    latency: summarizeLatencies(result.latenciesMs),
    timeToLastByte: ttlb ? summarizeLatencies(ttlb) : null,
    gatewayCpuUsPerOp: (cpuSeconds / result.ops) * 1e6,
  };
}
