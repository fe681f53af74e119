// A cleanup service's world for tests: real s3rver backends (child processes), a SQLite
// ledger in a fresh temp directory, a settable clock shared by the ledger and the service,
// and the configuration parsed from text like an operator's file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { parseConfig, type Config } from '@s3o/config';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { mentionsAddressInUse, portOutsideEphemeralRange, retryWhileAddressInUse, startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { newId, openLedger, type CommitResult, type Ledger, type ObjectIdentity } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { CleanupQueueWorker } from '../src/queue-worker.js';
import type { CleanupDeps } from '../src/index.js';

export const BACKEND_BUCKET = 'store';
export const DAY = 24 * 60 * 60 * 1000;

export class FakeClock {
  constructor(public now = Date.UTC(2026, 0, 1)) {}
  readonly read = (): number => this.now;
}

export interface World {
  dir: string;
  clock: FakeClock;
  config: Config;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  servers: Map<string, S3rverProcess>;
  deps: CleanupDeps;
  /** The client of a backend that must exist. */
  client(name: string): BackendClient;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** backends served by s3rver (default b1, b2) */
  backends?: string[];
  /** backends whose endpoint is a port nobody listens on */
  unreachable?: string[];
  /**
   * backends (among `backends`) a test stops and starts again on the same port
   * (`restartS3rver`): their port is one no other process is handed meanwhile
   */
  restartable?: string[];
  /** extra top-level config (same key names as config.yaml), merged shallowly per section */
  config?: Record<string, Record<string, unknown>>;
  buckets?: string[];
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-cleanup-'));
  const servers = new Map<string, S3rverProcess>();
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const endpoints: Array<{ name: string; endpoint: string }> = [];
    for (const name of options.backends ?? ['b1', 'b2']) {
      const server = options.restartable?.includes(name)
        ? await startS3rverOnFreshPort(join(dir, name))
        : await startS3rver({ dir: join(dir, name), buckets: [BACKEND_BUCKET] });
      servers.set(name, server);
      cleanups.push(() => server.stop());
      endpoints.push({ name, endpoint: server.endpoint });
    }
    for (const name of options.unreachable ?? []) endpoints.push({ name, endpoint: `http://127.0.0.1:${await portOutsideEphemeralRange()}` });

    const tree: Record<string, unknown> = {
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '15s' },
      buckets: (options.buckets ?? ['photos']).map((name) => ({
        name, credentials: [{ access_key_id: `AK-${name}`, secret_access_key: `secret-${name}` }],
      })),
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: endpoints.map((b) => ({
        name: b.name, endpoint: b.endpoint, bucket: BACKEND_BUCKET, access_key_id: 'S3RVER', secret_access_key: 'S3RVER',
      })),
      cleanup_queue: { max_attempts: 3, backoff_base: '1s', backoff_max: '3s' },
      logging: { level: 'warn' },
    };
    for (const [section, values] of Object.entries(options.config ?? {})) {
      tree[section] = { ...(tree[section] as Record<string, unknown> | undefined), ...values };
    }
    const { config } = parseConfig(JSON.stringify(tree), {});

    const clock = new FakeClock();
    const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'cleanup-test', clock: clock.read });
    cleanups.push(() => ledger.close());
    await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
    cleanups.push(async () => {
      for (const c of backends.values()) c.close();
    });
    const deps: CleanupDeps = { config, ledger, backends, logger: silentLogger(), clock: clock.read };
    return {
      dir, clock, config, ledger, backends, servers, deps,
      client: (name) => {
        const c = backends.get(name);
        if (!c) throw new Error(`no backend ${name}`);
        return c;
      },
      close: () => runAll(cleanups),
    };
  } catch (err) {
    await runAll(cleanups);
    throw err;
  }
}

/** An s3rver on a port outside the ephemeral range (another one if that was taken meanwhile). */
function startS3rverOnFreshPort(dir: string): Promise<S3rverProcess> {
  return retryWhileAddressInUse(async () => startS3rver({ dir, port: await portOutsideEphemeralRange(), buckets: [BACKEND_BUCKET] }), mentionsAddressInUse);
}

/**
 * Starts a stopped backend of the world again on its port, with the files it had; waits
 * while the port is still held by something of the old process.
 */
export async function restartS3rver(world: World, name: string): Promise<S3rverProcess> {
  const old = world.servers.get(name);
  if (!old) throw new Error(`no backend ${name}`);
  const revived = await retryWhileAddressInUse(() => startS3rver({ dir: join(world.dir, name), port: old.port, buckets: [BACKEND_BUCKET] }), mentionsAddressInUse);
  world.servers.set(name, revived);
  return revived;
}

/** Runs every cleanup, last registered first, even when some fail. */
async function runAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  const errors: unknown[] = [];
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
}

export function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function identityOf(data: Buffer, contentType = 'text/plain'): ObjectIdentity {
  return { size: data.length, etag: md5Hex(data), contentType, userMetadata: {}, headers: {} };
}

export interface ClaimedWrite {
  intentId: string;
  objectKey: string;
  storageKey: string;
  backendName: string;
}

/** A write intent the way the gateway records it before sending the bytes (etag not known yet). */
export async function claimWrite(world: World, bucket: string, key: string, size: number, backend: string): Promise<ClaimedWrite> {
  const intentId = newId(world.clock.now);
  const objectKey = `${bucket}/${key}`;
  const storageKey = `${objectKey}!${intentId}`;
  const claim = await world.ledger.claim({
    intentId, kind: 'write', objectKey, storageKey, sizeBytes: size, candidates: [backend],
    identity: { size, etag: '', contentType: 'text/plain', userMetadata: { owner: 'test' }, headers: {} },
  });
  if (!claim) throw new Error(`no room on ${backend}`);
  return { intentId, objectKey, storageKey, backendName: backend };
}

/** The bytes of a write on the backend, carrying the metadata the gateway gives them. */
export async function landBytes(world: World, write: ClaimedWrite, data: Buffer): Promise<void> {
  const [bucket] = write.objectKey.split('/');
  await world.client(write.backendName).putObject(write.storageKey, Readable.from([data]), {
    contentLength: data.length,
    contentType: 'text/plain',
    metadata: { owner: 'test', 's3o-bucket': bucket!, 's3o-etag': md5Hex(data), 's3o-key': encodeURIComponent(write.objectKey.slice(bucket!.length + 1)) },
  });
}

/** A complete PUT: claim, bytes, commit. */
export async function writeObject(world: World, bucket: string, key: string, data: Buffer, backend = 'b1'): Promise<CommitResult> {
  const write = await claimWrite(world, bucket, key, data.length, backend);
  await landBytes(world, write, data);
  return world.ledger.commitWrite({ intentId: write.intentId, identity: identityOf(data), events: () => [] });
}

export async function readBackend(client: BackendClient, storageKey: string): Promise<Buffer> {
  const { body } = await client.getObject(storageKey);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Works the queue until it is empty, as the service would over time: s3rver now and then
 * answers a DeleteObject with 500 while it removes files of a neighbouring key, and such a
 * debt is retried after its backoff (the clock is moved past it), up to `rounds` times.
 */
export async function drainQueue(world: World, rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new CleanupQueueWorker(world.deps).drain();
    if ((await world.ledger.cleanupDepth()) === 0) return;
    world.clock.now += 60 * 60 * 1000;
  }
}

/** The queue is empty; when it is not, the failure shows the debts left and their last errors. */
export async function assertQueueEmpty(world: World, message?: string): Promise<void> {
  const left = (await world.ledger.listCleanup(null, 20)).map((d) => ({ storageKey: d.storageKey, attempts: d.attempts, lastError: d.lastError }));
  if (left.length > 0) throw new Error(`${message ?? 'the cleanup queue is not empty'}: ${JSON.stringify(left)}`);
}
