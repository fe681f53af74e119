// Distributed mode (docs/architecture.md §2): N `s3-orchestrator gateway` processes plus one
// each of placement, cleanup, usage and notifier, over a Postgres database and a JetStream
// stream of the run's own (created at start, removed at stop). The Postgres server and NATS
// are the ones the e2e tests use (S3O_TEST_PG_URL, S3O_TEST_NATS_URL). The gateway side's CPU
// is every one of those processes plus the run's Postgres server processes, so a row compares
// what the whole distributed deployment spends per operation with `serve`'s one process.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { openLedger, type Ledger } from '@s3o/store';
import { spawnNode, type ChildHandle } from '../child-process.js';
import { gatewayConfigYaml, type DistributedStores } from './gateway-config.js';
import { freePort, startGatewayProcess } from './gateway-process.js';
import type { GatewayMode, GatewayStartOptions, RunningGateway, SeedReport } from './mode.js';
import { seedListing } from './seed-ledger.js';
import { seedIdentity, type IdentitySeedReport } from './seed-identity.js';

const CLI_MAIN = fileURLToPath(new URL('../../../../services/cli/dist/main.js', import.meta.url));
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const OTHER_SERVICES = ['placement', 'cleanup', 'usage', 'notifier'] as const;
/** A service's start (migrations, bus connection) took 1–2 min at load 50 on this 2-core machine. */
const READY_TIMEOUT_MS = 300_000;
const SEEDED_OBJECT_BYTES = 4096;

export function distributedMode(gateways: number): GatewayMode {
  if (!Number.isInteger(gateways) || gateways < 1) throw new RangeError(`gateways must be a positive integer, got ${gateways}`);
  return {
    name: `distributed-${gateways}`,
    description:
      `distributed: ${gateways} \`s3-orchestrator gateway\` process(es) (clients spread over them) + placement, cleanup, usage, notifier, ` +
      'Postgres ledger and NATS JetStream bus; gateway-side CPU = all of those processes + the run\'s Postgres server processes',
    start: (options) => startDistributed(gateways, options),
  };
}

async function startDistributed(gateways: number, options: GatewayStartOptions): Promise<RunningGateway> {
  const adminUrl = process.env.S3O_TEST_PG_URL || DEFAULT_PG_URL;
  const natsUrl = process.env.S3O_TEST_NATS_URL || DEFAULT_NATS_URL;
  const id = randomBytes(5).toString('hex');
  const dbName = `s3o_bench_${id}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const children: ChildHandle[] = [];
  const parsed = new URL(adminUrl);
  const stores: DistributedStores = {
    postgres: {
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      user: decodeURIComponent(parsed.username) || 'postgres',
      password: parsed.password ? decodeURIComponent(parsed.password) : null,
      name: dbName,
    },
    nats: { url: natsUrl, stream: `S3O_BENCH_${id}`, subjectPrefix: `bench_${id}` },
  };
  // Once: the benchmark stops a gateway after its rows and again in its `finally`.
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopped ??= stopAll());
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map((c) => c.stop()));
    children.length = 0;
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    await deleteStreams(natsUrl, [stores.nats.stream, `${stores.nats.stream}_DEAD`]);
  };
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const configFor = async (name: string, port: number): Promise<string> => {
      const { yaml } = gatewayConfigYaml({
        port,
        databasePath: '',
        distributed: stores,
        backend: options.backend,
        buckets: [options.objectsBucket, options.listingBucket],
        tracingEndpoint: options.tracingEndpoint,
        encryption: options.encryption,
        integrity: options.integrity,
      });
      const path = join(options.workDir, `${name}.yaml`);
      await writeFile(path, yaml);
      return path;
    };

    // Migrations, backends, identity and listing seed before any service runs, as in single-process mode.
    const { seed, identitySeed } = await seedLedger(stores, options);

    for (const verb of OTHER_SERVICES) {
      const health = await freePort();
      const configPath = await configFor(verb, await freePort());
      const child = spawnNode(verb, CLI_MAIN, [verb, '--config', configPath, '--health-listen', `127.0.0.1:${health}`], { cwd: options.workDir });
      child.process.stdout!.resume();
      children.push(child);
      await waitReady(`http://127.0.0.1:${health}`, child);
    }
    const urls: string[] = [];
    const gatewayPids: number[] = [];
    for (let i = 0; i < gateways; i++) {
      const port = await freePort();
      const configPath = await configFor(`gateway-${i}`, port);
      // Only the first gateway gets the node flags (--cpu-prof): one profile per run.
      const gateway = await startGatewayProcess({
        verb: 'gateway', configPath, port, nodeFlags: i === 0 ? options.nodeFlags : [], cwd: options.workDir, readyTimeoutMs: READY_TIMEOUT_MS,
      });
      children.push(gateway.child);
      urls.push(gateway.url);
      gatewayPids.push(gateway.child.pid);
    }
    const others = children.filter((c) => !gatewayPids.includes(c.pid)).map((c) => c.pid);
    return {
      url: urls[0]!,
      urls,
      pid: gatewayPids[0]!,
      seed,
      identitySeed,
      // The pool opens and closes server processes as load changes: asked per slice.
      async extraCpuPids() {
        const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
        return [...gatewayPids.slice(1), ...others, ...r.rows.map((row) => row.pid)];
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function seedLedger(stores: DistributedStores, options: GatewayStartOptions): Promise<{ seed: SeedReport | null; identitySeed: IdentitySeedReport | null }> {
  const { postgres } = stores;
  const ledger: Ledger = await openLedger({
    driver: 'postgres', source: 'bench-seed', host: postgres.host, port: postgres.port, user: postgres.user,
    password: postgres.password, name: postgres.name, sslMode: 'disable',
  });
  try {
    await ledger.syncBackends([{ name: options.backend.name, quotaBytes: 0 }]);
    let identitySeed: IdentitySeedReport | null = null;
    if (options.identityLoad) {
      const configured = {
        buckets: new Set([options.objectsBucket.name, options.listingBucket.name]),
        backends: new Set([options.backend.name]),
      };
      identitySeed = await seedIdentity(ledger, options.identityLoad, configured, options.objectsBucket.name);
    }
    let seed: SeedReport | null = null;
    if (options.listingObjects > 0) {
      const seconds = await seedListing(ledger, {
        bucket: options.listingBucket.name,
        count: options.listingObjects,
        backendName: options.backend.name,
        objectBytes: SEEDED_OBJECT_BYTES,
      });
      seed = { objects: options.listingObjects, seconds, method: 'Ledger.claim + Ledger.commitWrite per object, 512 in flight, over Postgres' };
    }
    return { seed, identitySeed };
  } finally {
    await ledger.close();
  }
}

async function waitReady(url: string, child: ChildHandle): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was ready: ${child.stderrTail().trim()}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} was not ready within ${READY_TIMEOUT_MS} ms: ${child.stderrTail().trim()}`);
}

async function deleteStreams(url: string, streams: string[]): Promise<void> {
  try {
    const nc = await connect({ servers: url });
    try {
      const jsm = await jetstreamManager(nc);
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    } finally {
      await nc.close();
    }
  } catch {
    // NATS gone: nothing of this run's is left to remove there.
  }
}
