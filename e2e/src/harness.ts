// One whole system for a test file: N s3rver processes as backends, a config file over
// them, and the orchestrator in one of its two modes (docs/architecture.md §2), all on loopback with
// ports (backends outside the ephemeral range, so a restarted one gets its port back) and temporary directories:
//  * single: `serve` inside the test process (gateway + cleanup + bus over SQLite);
//  * distributed: child processes from the compiled CLI — two gateways, placement,
//    cleanup (one or more), usage, notifier — over the run's own Postgres database and
//    NATS JetStream stream. Clients write through one gateway and read, list and delete
//    through the other.
// The mode comes from `options.mode`, else S3O_E2E_MODE, else single; the same test file
// runs in both (test/distributed/ re-runs every file with S3O_E2E_MODE=distributed).
import { Writable } from 'node:stream';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { serve, type RunningOrchestrator } from '@s3o/cli';
import { parseConfig } from '@s3o/config';
import { mentionsAddressInUse, portOutsideEphemeralRange, retryWhileAddressInUse, startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { startSink } from '@s3o/bench';
import { createLogger, processLogs, type Logger } from '@s3o/telemetry';
import { gatewayClient, routeReadsTo, s3rverClient, type GatewayClientOptions } from './clients.js';
import { buildConfigText, S3RVER_CREDENTIALS, type BusSettings, type ConfigTree, type LedgerSettings, type VirtualBucket } from './config-text.js';
import { watchEscapedErrors } from './escaped-errors.js';
import {
  distributedControls,
  planProcesses,
  prepareNats,
  startProcesses,
  stopProcesses,
  type DistributedControls,
  type NatsChoice,
} from './distributed/cluster.js';
import { createRunDatabase } from './distributed/run-database.js';

/** The bucket every s3rver holds; the gateway writes its storage keys inside it. */
export const BACKEND_BUCKET = 's3o-data';

export interface BackendSpec {
  /** Config size ("3MB", "2500000") or 0 for unlimited; default unlimited. */
  quota?: string | number;
  /**
   * The S3 server behind it (default s3rver). `sink`: the benchmark's sink backend
   * (infra/bench), which implements AbortMultipartUpload where s3rver answers 405 — but
   * keeps no bytes (a GET serves a fixed pattern) and cannot list.
   */
  server?: 's3rver' | 'sink';
}

export interface SystemOptions {
  /** One entry per backend, in config (= pack) order. Default: three unlimited backends. */
  backends?: BackendSpec[];
  routing?: 'pack' | 'spread';
  /** Virtual bucket names; each gets its own credential. Default: `e2e-main`, `e2e-other`. */
  buckets?: string[];
  /** Merged over the generated config (config.yaml key names), e.g. `{ server: { backend_timeout: '1s' } }`. */
  overrides?: ConfigTree;
  /** Default: S3O_E2E_MODE, else 'single'. */
  mode?: SystemMode;
  /** Distributed mode: cleanup service processes (default 1). */
  cleanupReplicas?: number;
  /** Distributed mode: notifier service processes (default 1). */
  notifierReplicas?: number;
  /** Distributed mode: the shared NATS server (default) or a private one a test may stop. */
  nats?: NatsChoice;
  /**
   * Distributed mode: the admin URL of the Postgres server the run's database is created on
   * (default S3O_TEST_PG_URL). A test that stops Postgres passes its private cluster's.
   */
  postgresUrl?: string;
  /** Distributed mode: the services reach NATS at the URL this returns (a fault proxy in front of it); the harness itself keeps the real one. */
  natsFront?: (natsUrl: string) => Promise<string>;
  /** Distributed mode: clients reach gateway `index` at the URL this returns (a front that survives the gateway's restart). */
  gatewayFront?: (gatewayUrl: string, index: number) => Promise<string>;
}

export type SystemMode = 'single' | 'distributed';

export interface RunningBackend {
  /** The backend's name in the config (`b1`, `b2`, …). */
  name: string;
  endpoint: string;
  /** The real bucket on this s3rver that holds the gateway's storage keys. */
  bucket: string;
  /** The backend's child process (s3rver, or the sink), for fault injection (kill / SIGSTOP). */
  process: S3rverProcess;
  /** A client of the server itself: shows which bytes really sit on this backend. */
  rawClient: S3Client;
  /** The directory the s3rver keeps its files in (null for the sink): a restart on the same port and directory brings the backend back. */
  dir: string | null;
}

export interface E2ESystem {
  mode: SystemMode;
  /** The (first) gateway's base URL, e.g. `http://127.0.0.1:41234`; raw requests go here. */
  url: string;
  /** Every gateway's URL: one in single mode; in distributed mode clients write to the first, read from the second. */
  gatewayUrls: string[];
  buckets: VirtualBucket[];
  /** The first virtual bucket: the one most tests work in. */
  bucket: VirtualBucket;
  /**
   * An SDK client for the gateway with `bucketName`'s credential (default: the first
   * bucket's). Distributed mode: writes go to gateway 1, everything else to gateway 2.
   */
  client(bucketName?: string, options?: GatewayClientOptions): S3Client;
  backends: RunningBackend[];
  /** The SQLite ledger file (single mode); null in distributed mode (see `distributed.ledger`). */
  ledgerPath: string | null;
  /** The configuration file the system runs with, for CLI commands a test runs against it (e.g. sync). */
  configPath: string;
  /** Processes, ledger and NATS of a distributed run, for fault tests; null in single mode. */
  distributed: DistributedControls | null;
  /**
   * What would have crashed a production process since the system started: uncaught
   * exceptions and unhandled rejections in this process, and in distributed mode the
   * services' fatal log lines, stderr output, exits nobody asked for and stops that hung.
   */
  escapedErrors(): string[];
  /**
   * Stops the orchestrator and every backend, removes the run's database, streams and
   * temporary directories; then fails when anything escaped (see escapedErrors()).
   */
  stop(): Promise<void>;
}

const DEFAULT_BUCKETS = ['e2e-main', 'e2e-other'];

export async function startSystem(options: SystemOptions = {}): Promise<E2ESystem> {
  const mode = options.mode ?? modeFromEnvironment();
  const specs = options.backends ?? [{}, {}, {}];
  const root = await mkdtemp(join(tmpdir(), 's3o-e2e-'));
  const stoppers: Array<() => Promise<void> | void> = [() => rm(root, { recursive: true, force: true })];
  const escaped = watchEscapedErrors();
  stoppers.push(() => escaped.stop());
  /** Problems of the system's own processes (distributed mode), beside this process's. */
  let processProblems: () => string[] = () => [];
  const escapedErrors = () => [...escaped.seen(), ...processProblems()];
  const stopAll = async () => {
    // Last started, first stopped; every step runs even when an earlier one failed.
    const errors: unknown[] = [];
    for (const stop of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the e2e system failed');
    const seen = escapedErrors();
    if (seen.length > 0) {
      throw new Error(`errors escaped from the running system (each would crash a production process):\n  ${seen.join('\n  ')}`);
    }
  };

  try {
    const backendDir = (i: number) => (specs[i]!.server === 'sink' ? null : join(root, `backend-${i + 1}`));
    const processes = await Promise.all(
      specs.map(async (spec, i) => {
        const proc = spec.server === 'sink'
          ? await startSinkBackend()
          // Outside the ephemeral range: a fault test restarts a backend on its port, and a
          // port bind(0) or connect() may hand out could be taken meanwhile (infra/demo/src/ports.ts).
          : await retryWhileAddressInUse(
            async () => startS3rver({ dir: backendDir(i)!, buckets: [BACKEND_BUCKET], port: await portOutsideEphemeralRange() }),
            mentionsAddressInUse,
          );
        stoppers.push(() => proc.stop());
        return proc;
      }),
    );
    const backends: RunningBackend[] = processes.map((proc, i) => {
      const rawClient = s3rverClient(proc.endpoint, S3RVER_CREDENTIALS);
      stoppers.push(() => rawClient.destroy());
      return { name: `b${i + 1}`, endpoint: proc.endpoint, bucket: BACKEND_BUCKET, process: proc, rawClient, dir: backendDir(i) };
    });

    const buckets: VirtualBucket[] = (options.buckets ?? DEFAULT_BUCKETS).map((name) => ({
      name,
      credentials: { accessKeyId: `${name}-key`, secretAccessKey: `${name}-secret-0123456789` },
    }));
    const configFor = (ledger: LedgerSettings, bus: BusSettings) => {
      const text = buildConfigText({
        ledger,
        bus,
        buckets,
        backends: backends.map((b, i) => ({ name: b.name, endpoint: b.endpoint, bucket: b.bucket, quota: specs[i]!.quota ?? 0 })),
        routing: options.routing ?? 'pack',
        // Distributed mode: the harness learns a process's URL from its "<verb> running" line,
        // an info line; S3O_E2E_LOG asks for more (and echoes it).
        ...(mode === 'distributed' ? { logLevel: process.env.S3O_E2E_LOG ?? 'info' } : {}),
        ...(options.overrides ? { overrides: options.overrides } : {}),
      });
      const { config, warnings } = parseConfig(text, {});
      // A warning means a key of ours was ignored: the test would silently run other settings.
      if (warnings.length > 0) throw new Error(`the e2e config has warnings:\n  ${warnings.join('\n  ')}`);
      return { text, config };
    };

    let gatewayUrls: string[];
    let ledgerPath: string | null = null;
    const configPath = join(root, 's3o.yaml');
    let distributed: DistributedControls | null = null;
    if (mode === 'single') {
      ledgerPath = join(root, 'ledger', 's3o.db');
      const { config, text } = configFor({ driver: 'sqlite', path: ledgerPath }, { driver: 'memory' });
      await mkdir(dirname(ledgerPath), { recursive: true });
      await writeFile(configPath, text);
      const orchestrator: RunningOrchestrator = await serve(config, systemLogger(), { configPath });
      stoppers.push(() => orchestrator.stop());
      gatewayUrls = [orchestrator.url];
    } else {
      const database = await createRunDatabase(options.postgresUrl);
      stoppers.push(() => database.drop());
      const natsStore = join(root, 'nats');
      await mkdir(natsStore, { recursive: true });
      const nats = await prepareNats(options.nats ?? 'shared', natsStore);
      stoppers.push(() => nats.release());
      const servicesNatsUrl = options.natsFront ? await options.natsFront(nats.url) : nats.url;
      const { text } = configFor(database.settings, { driver: 'nats', url: servicesNatsUrl, stream: nats.names.stream, subjectPrefix: nats.names.subjectPrefix });
      await writeFile(configPath, text);
      const services = planProcesses({ configPath, cleanupReplicas: options.cleanupReplicas ?? 1, notifierReplicas: options.notifierReplicas ?? 1, echoLogs: Boolean(process.env.S3O_E2E_LOG) });
      stoppers.push(() => stopProcesses(services));
      processProblems = () => services.flatMap((p) => p.escapedErrors());
      await startProcesses(services);
      distributed = distributedControls(services, database, nats);
      gatewayUrls = services.filter((p) => p.verb === 'gateway').map((p) => p.url);
      const front = options.gatewayFront;
      if (front) gatewayUrls = await Promise.all(gatewayUrls.map((url, i) => front(url, i)));
    }

    const clients: S3Client[] = [];
    stoppers.push(() => clients.forEach((c) => c.destroy()));
    const credentialOf = (name: string) => {
      const bucket = buckets.find((b) => b.name === name);
      if (!bucket) throw new Error(`no virtual bucket "${name}" in this system`);
      return bucket.credentials;
    };
    const [writeUrl, readUrl] = gatewayUrls as [string, string | undefined];

    return {
      mode,
      url: writeUrl,
      gatewayUrls,
      buckets,
      bucket: buckets[0]!,
      client(bucketName = buckets[0]!.name, clientOptions = {}) {
        const client = gatewayClient(writeUrl, credentialOf(bucketName), clientOptions);
        if (readUrl) routeReadsTo(client, readUrl);
        clients.push(client);
        return client;
      },
      backends,
      ledgerPath,
      configPath,
      distributed,
      escapedErrors,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** The sink backend in its own process, with the controls an s3rver child offers. */
async function startSinkBackend(): Promise<S3rverProcess> {
  const sink = await startSink();
  return {
    endpoint: sink.endpoint,
    port: Number(new URL(sink.endpoint).port),
    pid: sink.pid,
    stop: () => sink.stop(),
    kill: (signal) => {
      try {
        return process.kill(sink.pid, signal);
      } catch {
        return false;
      }
    },
  };
}

function modeFromEnvironment(): SystemMode {
  const value = process.env.S3O_E2E_MODE ?? 'single';
  if (value !== 'single' && value !== 'distributed') throw new Error(`S3O_E2E_MODE must be "single" or "distributed", got "${value}"`);
  return value;
}

type LogLevel = NonNullable<Parameters<typeof createLogger>[0]['level']>;

/**
 * Single mode: silent by default, but writing into the process's ring (what
 * `GET /admin/api/logs` shows, as the CLI's root logger does) once a test turns the level up
 * through `PUT /admin/api/log-level`; `S3O_E2E_LOG=debug` (or
 * any level) also prints the logs while debugging. (Distributed mode echoes the processes'
 * own output when it is set.)
 */
function systemLogger(): Logger {
  const level = process.env.S3O_E2E_LOG;
  if (level) return createLogger({ service: 's3o-e2e', level: level as LogLevel, ring: processLogs });
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger({ service: 's3o-e2e', level: 'silent', ring: processLogs, destination: discard });
}
