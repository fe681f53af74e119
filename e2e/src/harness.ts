// One whole system for a test file: N s3rver processes as backends, a config file over
// them, and the orchestrator in single-process mode (`serve`: gateway + cleanup + bus over
// SQLite), all on loopback with ephemeral ports and temporary directories.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { serve, type RunningOrchestrator } from '@s3o/cli';
import { parseConfig } from '@s3o/config';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { createLogger, silentLogger, type Logger } from '@s3o/telemetry';
import { gatewayClient, s3rverClient, type GatewayClientOptions } from './clients.js';
import { buildConfigText, S3RVER_CREDENTIALS, type ConfigTree, type VirtualBucket } from './config-text.js';
import { watchEscapedErrors } from './escaped-errors.js';

/** The bucket every s3rver holds; the gateway writes its storage keys inside it. */
export const BACKEND_BUCKET = 's3o-data';

export interface BackendSpec {
  /** Config size ("3MB", "2500000") or 0 for unlimited; default unlimited. */
  quota?: string | number;
}

export interface SystemOptions {
  /** One entry per backend, in config (= pack) order. Default: three unlimited backends. */
  backends?: BackendSpec[];
  routing?: 'pack' | 'spread';
  /** Virtual bucket names; each gets its own credential. Default: `e2e-main`, `e2e-other`. */
  buckets?: string[];
  /** Merged over the generated config (config.yaml key names), e.g. `{ server: { backend_timeout: '1s' } }`. */
  overrides?: ConfigTree;
}

export interface RunningBackend {
  /** The backend's name in the config (`b1`, `b2`, …). */
  name: string;
  endpoint: string;
  /** The real bucket on this s3rver that holds the gateway's storage keys. */
  bucket: string;
  /** The s3rver child process, for fault injection (kill / SIGSTOP). */
  process: S3rverProcess;
  /** A client of the s3rver itself: shows which bytes really sit on this backend. */
  rawClient: S3Client;
}

export interface E2ESystem {
  /** The gateway's base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  buckets: VirtualBucket[];
  /** The first virtual bucket: the one most tests work in. */
  bucket: VirtualBucket;
  /** An SDK client for the gateway with `bucketName`'s credential (default: the first bucket's). */
  client(bucketName?: string, options?: GatewayClientOptions): S3Client;
  backends: RunningBackend[];
  /** The SQLite ledger file. */
  ledgerPath: string;
  /** Uncaught exceptions and unhandled rejections seen in this process since the system started. */
  escapedErrors(): string[];
  /**
   * Stops the orchestrator and every backend and removes every temporary directory; then
   * fails when the process saw an uncaught exception or unhandled rejection meanwhile
   * (in production that would have crashed the gateway).
   */
  stop(): Promise<void>;
}

const DEFAULT_BUCKETS = ['e2e-main', 'e2e-other'];

export async function startSystem(options: SystemOptions = {}): Promise<E2ESystem> {
  const specs = options.backends ?? [{}, {}, {}];
  const root = await mkdtemp(join(tmpdir(), 's3o-e2e-'));
  const stoppers: Array<() => Promise<void> | void> = [() => rm(root, { recursive: true, force: true })];
  const escaped = watchEscapedErrors();
  stoppers.push(() => escaped.stop());
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
    escaped.assertNone();
  };

  try {
    const processes = await Promise.all(
      specs.map(async (_, i) => {
        const proc = await startS3rver({ dir: join(root, `backend-${i + 1}`), buckets: [BACKEND_BUCKET], port: 0 });
        stoppers.push(() => proc.stop());
        return proc;
      }),
    );
    const backends: RunningBackend[] = processes.map((proc, i) => {
      const rawClient = s3rverClient(proc.endpoint, S3RVER_CREDENTIALS);
      stoppers.push(() => rawClient.destroy());
      return { name: `b${i + 1}`, endpoint: proc.endpoint, bucket: BACKEND_BUCKET, process: proc, rawClient };
    });

    const buckets: VirtualBucket[] = (options.buckets ?? DEFAULT_BUCKETS).map((name) => ({
      name,
      credentials: { accessKeyId: `${name}-key`, secretAccessKey: `${name}-secret-0123456789` },
    }));
    const ledgerPath = join(root, 'ledger', 's3o.db');
    const configText = buildConfigText({
      databasePath: ledgerPath,
      buckets,
      backends: backends.map((b, i) => ({ name: b.name, endpoint: b.endpoint, bucket: b.bucket, quota: specs[i]!.quota ?? 0 })),
      routing: options.routing ?? 'pack',
      ...(options.overrides ? { overrides: options.overrides } : {}),
    });
    const { config, warnings } = parseConfig(configText, {});
    // A warning means a key of ours was ignored: the test would silently run other settings.
    if (warnings.length > 0) throw new Error(`the e2e config has warnings:\n  ${warnings.join('\n  ')}`);
    await mkdir(dirname(ledgerPath), { recursive: true });

    const orchestrator: RunningOrchestrator = await serve(config, systemLogger());
    stoppers.push(() => orchestrator.stop());

    const clients: S3Client[] = [];
    stoppers.push(() => clients.forEach((c) => c.destroy()));
    const credentialOf = (name: string) => {
      const bucket = buckets.find((b) => b.name === name);
      if (!bucket) throw new Error(`no virtual bucket "${name}" in this system`);
      return bucket.credentials;
    };

    return {
      url: orchestrator.url,
      buckets,
      bucket: buckets[0]!,
      client(bucketName = buckets[0]!.name, clientOptions = {}) {
        const client = gatewayClient(orchestrator.url, credentialOf(bucketName), clientOptions);
        clients.push(client);
        return client;
      },
      backends,
      ledgerPath,
      escapedErrors: () => escaped.seen(),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

type LogLevel = NonNullable<Parameters<typeof createLogger>[0]['level']>;

/** Silent by default; `S3O_E2E_LOG=debug` (or any level) shows the system's logs while debugging. */
function systemLogger(): Logger {
  const level = process.env.S3O_E2E_LOG;
  return level ? createLogger({ service: 's3o-e2e', level: level as LogLevel }) : silentLogger();
}
