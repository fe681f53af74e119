// One gateway for a test: real s3rver backends (child processes), the gateway's fastify
// app on an ephemeral loopback port over the ledger the test hands in, the real AWS SDK
// as the client, and a raw client per backend to see (or plant) what really sits there.
// The gateway gets what a production process gives it (services/cli runtime.ts, serve.ts
// and the usage service's process meter): per-backend circuit breakers registered as a gate
// when backend_circuit_breaker.enabled, the usage meter and its limits gate, and the
// process's admission budgets — so degraded mode is exercised together with them. Usage
// totals are never folded here (no usage service): limits apply to what this process counts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  BackendAvailability, BackendBreakers, BackendClient, createBackendClients, ProcessAdmission, UsageBoard, UsageLimitGate, UsageMeter,
  usageLimitsOf, type ProcessUsage,
} from '@s3o/backends';
import { parseConfig, type Config } from '@s3o/config';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import type { Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { openConfiguredKeys } from '@s3o/crypto';
import { createGatewayApp, type Gateway, type GatewayDeps } from '../../src/index.js';

export const BUCKET = 'degraded';
const CREDENTIAL = { accessKeyId: 'AK-DEGRADED', secretAccessKey: 'degraded-secret' };
/** The bucket inside every s3rver that holds the storage keys. */
const BACKEND_BUCKET = 's3o-data';
const S3RVER_CREDENTIAL = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };

export interface HarnessBackend {
  name: string;
  process: S3rverProcess;
  /** Talks to the s3rver directly, bypassing the gateway. */
  raw: BackendClient;
}

export interface GatewayHarness {
  url: string;
  config: Config;
  /** what the gateway was made of: another gateway over the same ledger and backends starts from these */
  deps: GatewayDeps;
  gateway: Gateway;
  /** the process's backend breakers (null when backend_circuit_breaker is off) */
  breakers: BackendBreakers | null;
  /** the process's usage figures and limits */
  usage: ProcessUsage;
  admission: ProcessAdmission;
  /** AWS SDK client of the virtual bucket, retries off so each answer is seen as sent. */
  s3: S3Client;
  backends: HarnessBackend[];
  /** `status` of GET /health. */
  health(): Promise<string>;
  /** Every storage key on every backend, as `<backend>:<key>`, sorted. */
  storedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Opened by the test (it owns it; close() does not close it). */
  ledger: Ledger;
  backends?: number;
  routing?: 'pack' | 'spread';
  /** `circuit_breaker` keys as in config.yaml. */
  circuitBreaker?: Record<string, string | number | boolean>;
  /** `backend_circuit_breaker` keys as in config.yaml. */
  backendCircuitBreaker?: Record<string, string | number | boolean>;
  /** per backend (b1, b2, …): keys of its config entry, e.g. `{ api_request_limit: 5 }` */
  backendSettings?: Array<Record<string, string | number>>;
  /** more `server` keys as in config.yaml (admission: max_concurrent_requests, …) */
  server?: Record<string, string | number>;
  /** `encryption` keys as in config.yaml; its master keys are read and checked as a production start does */
  encryption?: Record<string, unknown>;
  /** `integrity` keys as in config.yaml */
  integrity?: Record<string, unknown>;
}

export async function startGatewayHarness(options: HarnessOptions): Promise<GatewayHarness> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-gateway-degraded-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const processes: S3rverProcess[] = [];
    for (let i = 0; i < (options.backends ?? 2); i++) {
      const s3rver = await startS3rver({ dir: join(dir, `b${i + 1}`), buckets: [BACKEND_BUCKET] });
      cleanups.push(() => s3rver.stop());
      processes.push(s3rver);
    }
    // JSON is YAML: the real config parser turns this into the Config the gateway reads.
    const { config, warnings } = parseConfig(JSON.stringify({
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '5s', ...options.server },
      buckets: [{ name: BUCKET, credentials: [{ access_key_id: CREDENTIAL.accessKeyId, secret_access_key: CREDENTIAL.secretAccessKey }] }],
      backends: processes.map((p, i) => ({
        name: `b${i + 1}`, endpoint: p.endpoint, bucket: BACKEND_BUCKET, ...S3RVER_CREDENTIAL, ...options.backendSettings?.[i],
      })),
      routing_strategy: options.routing ?? 'pack',
      circuit_breaker: options.circuitBreaker ?? {},
      backend_circuit_breaker: options.backendCircuitBreaker ?? {},
      encryption: options.encryption ?? {},
      integrity: options.integrity ?? {},
    }), {});
    if (warnings.length > 0) throw new Error(`the harness config has warnings: ${warnings.join('; ')}`);
    await options.ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));

    // As a production process composes them: clients, the availability every gate registers
    // with, breakers (when enabled), the usage meter and its limits gate, admission budgets.
    const clients = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
    cleanups.push(async () => clients.forEach((c) => c.close()));
    const availability = new BackendAvailability();
    const breakers = config.backendCircuitBreaker.enabled ? new BackendBreakers(clients, config.backendCircuitBreaker) : null;
    if (breakers) {
      availability.addGate(breakers);
      cleanups.push(async () => breakers.stop());
    }
    const meter = new UsageMeter();
    for (const client of clients.values()) client.observe(meter);
    const board = new UsageBoard(meter, { unconfirmedTtlMs: 60_000 });
    const limits = usageLimitsOf(config.backends);
    availability.addGate(new UsageLimitGate(board, limits));
    const usage: ProcessUsage = { board, limits, publishTotal: async (total) => board.applyPublished(total), flushNow: async () => null, updateLimits: (next) => next.forEach((l, b) => limits.has(b) && limits.set(b, l)) };
    const admission = new ProcessAdmission(config.server);
    // As a production start does (services/cli master-keys.ts): read and checked against the ledger.
    const keys = await openConfiguredKeys(config.encryption.masterKey, config.encryption.previousKeys, options.ledger);
    const deps: GatewayDeps = { config, ledger: options.ledger, backends: clients, availability, usage, admission, logger: silentLogger(), keys };
    const gateway = createGatewayApp(deps);
    cleanups.push(() => gateway.app.close());
    const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    gateway.ready = true;

    const s3 = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIAL, maxAttempts: 1 });
    cleanups.push(async () => s3.destroy());
    const backends = config.backends.map((b, i) => {
      const raw = new BackendClient({ ...b, timeoutMs: 5_000 });
      cleanups.push(async () => raw.close());
      return { name: b.name, process: processes[i]!, raw };
    });

    return {
      url,
      config,
      deps,
      gateway,
      breakers,
      usage,
      admission,
      s3,
      backends,
      health: async () => {
        const res = await fetch(`${url}/health`);
        if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
        return ((await res.json()) as { status: string }).status;
      },
      storedKeys: async () => {
        const keys: string[] = [];
        for (const backend of backends) {
          let token: string | undefined;
          do {
            const page = await backend.raw.listObjects({ continuationToken: token });
            keys.push(...page.keys.map((k) => `${backend.name}:${k.key}`));
            token = page.nextToken;
          } while (token !== undefined);
        }
        return keys.sort();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (a deadline, not a timing assertion). */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The HTTP status and S3 error code a failed SDK call answered with. */
export async function failureOf(call: Promise<unknown>): Promise<{ status: number | undefined; code: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; Code?: string; $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode, code: e.Code ?? e.name };
  }
  throw new Error('expected the call to fail');
}
