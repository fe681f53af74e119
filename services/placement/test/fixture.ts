// A placement service's world for tests: real s3rver backends (child processes), a SQLite
// ledger in a fresh temp directory, real backend clients, and the configuration parsed from
// text like an operator's file. Objects are written the way the gateway writes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { parseConfig, type Config } from '@s3o/config';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { newId, openLedger, storageKeyForInternal, type CommitResult, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';

export const BACKEND_BUCKET = 'store';

export interface World {
  config: Config;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  servers: Map<string, S3rverProcess>;
  client(name: string): BackendClient;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** backend name → quota (config size; 0 = unlimited) */
  backends: Record<string, string | number>;
  /** extra top-level config sections (config.yaml key names), merged shallowly per section */
  config?: Record<string, Record<string, unknown>>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-placement-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const servers = new Map<string, S3rverProcess>();
  try {
    for (const name of Object.keys(options.backends)) {
      const server = await startS3rver({ dir: join(dir, name), buckets: [BACKEND_BUCKET] });
      servers.set(name, server);
      cleanups.push(() => server.stop());
    }
    const tree: Record<string, unknown> = {
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '2s' },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK-photos', secret_access_key: 'secret-photos' }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: Object.entries(options.backends).map(([name, quota]) => ({
        name, endpoint: servers.get(name)!.endpoint, bucket: BACKEND_BUCKET, access_key_id: 'S3RVER', secret_access_key: 'S3RVER',
        quota_bytes: quota,
      })),
      logging: { level: 'warn' },
    };
    for (const [section, values] of Object.entries(options.config ?? {})) {
      tree[section] = { ...(tree[section] as Record<string, unknown> | undefined), ...values };
    }
    const { config } = parseConfig(JSON.stringify(tree), {});
    const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'placement-test' });
    cleanups.push(() => ledger.close());
    await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
    cleanups.push(async () => {
      for (const c of backends.values()) c.close();
    });
    return {
      config, ledger, backends, servers,
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

export const logger = silentLogger();

/** A PUT the way the gateway does it: claim on `backend`, bytes to the storage key, commit. */
export async function writeObject(world: World, objectKey: string, data: Buffer, backend: string): Promise<CommitResult> {
  const intentId = newId();
  const storageKey = storageKeyForInternal(objectKey, intentId);
  const identity = { size: data.length, etag: createHash('md5').update(data).digest('hex'), contentType: 'text/plain', userMetadata: {}, headers: {} };
  const claim = await world.ledger.claim({ intentId, kind: 'write', objectKey, storageKey, sizeBytes: data.length, candidates: [backend], identity });
  if (!claim) throw new Error(`no room for ${objectKey} on ${backend}`);
  await world.client(backend).putObject(storageKey, Readable.from([data]), { contentLength: data.length, contentType: 'text/plain' });
  return world.ledger.commitWrite({ intentId, identity, events: () => [] });
}

/** The bytes of one storage key, read from the backend directly. */
export async function readStored(world: World, backend: string, storageKey: string): Promise<Buffer> {
  const got = await world.client(backend).getObject(storageKey);
  const chunks: Buffer[] = [];
  for await (const chunk of got.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The key's copies as [backend, state], by backend. */
export async function copiesOf(world: World, objectKey: string): Promise<Array<[string, string]>> {
  const found = await world.ledger.getObject(objectKey);
  return (found?.locations ?? []).map((l) => [l.backendName, l.state] as [string, string]).sort();
}
