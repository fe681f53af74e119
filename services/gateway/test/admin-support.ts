// What the admin API tests run on: real s3rver backends, a SQLite ledger in a temp
// directory, the gateway app listening on an ephemeral port, and raw HTTP requests signed
// (or not) with SigV4 by whichever credential a test chooses.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parseConfig, type Config } from '@s3o/config';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import {
  ALGORITHM, amzDateOf, canonicalQuery, canonicalRequest, credentialScope, deriveSigningKey, sha256Hex, signatureHex,
  stringToSign,
} from '@s3o/s3';
import { newId, openLedger, type CommitResult, type Ledger } from '@s3o/store';
import { createLogger, LogRing } from '@s3o/telemetry';
import { WorkerRegistry } from '@s3o/workers';
import type { OperatorSurface } from '../src/context.js';
import { createGatewayApp, type Gateway } from '../src/index.js';

export const ROOT = { accessKeyId: 'ROOT-ADMIN', secretAccessKey: 'root-admin-secret' };
export const PHOTOS = { accessKeyId: 'AK-PHOTOS', secretAccessKey: 'photos-secret' };
const BACKEND_BUCKET = 'store';

export interface AdminWorld {
  url: string;
  config: Config;
  ledger: Ledger;
  gateway: Gateway;
  /** the process surface the operator endpoints read: a logger writing to its own ring, an own worker registry */
  operator: OperatorSurface;
  client(name: string): BackendClient;
  close(): Promise<void>;
}

export async function startAdminWorld(options: { root?: boolean } = {}): Promise<AdminWorld> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-admin-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const servers: S3rverProcess[] = [];
    for (const name of ['b1', 'b2']) {
      const server = await startS3rver({ dir: join(dir, name), buckets: [BACKEND_BUCKET] });
      cleanups.push(() => server.stop());
      servers.push(server);
    }
    const { config } = parseConfig(JSON.stringify({
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '5s' },
      auth: options.root === false ? {} : { root: { access_key_id: ROOT.accessKeyId, secret_access_key: ROOT.secretAccessKey } },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: PHOTOS.accessKeyId, secret_access_key: PHOTOS.secretAccessKey }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: servers.map((s, i) => ({
        name: `b${i + 1}`, endpoint: s.endpoint, bucket: BACKEND_BUCKET, access_key_id: 'S3RVER', secret_access_key: 'S3RVER',
      })),
      logging: { level: 'warn' },
    }), {});
    const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'admin-test' });
    cleanups.push(() => ledger.close());
    await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
    cleanups.push(async () => backends.forEach((c) => c.close()));
    const logs = new LogRing(500);
    const discard = new Writable({ write: (_chunk, _enc, done) => done() });
    const rootLogger = createLogger({ service: 'admin-test', level: 'info', ring: logs, destination: discard });
    const operator: OperatorSurface = {
      rootLogger, logs, workers: new WorkerRegistry(), breakers: null,
      process: { service: 'gateway', version: 'test', host: 'localhost', pid: process.pid, startedAt: Date.now() },
    };
    const gateway = createGatewayApp({ config, ledger, backends, logger: rootLogger.child({ component: 'gateway' }), operator });
    const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => gateway.app.close());
    return {
      url, config, ledger, gateway, operator, close,
      client: (name) => {
        const c = backends.get(name);
        if (!c) throw new Error(`no backend ${name}`);
        return c;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface RawRequest {
  method: string;
  /** path below the origin, with the query exactly as sent, e.g. `/admin/api/verify?max_keys=2` */
  path: string;
  /** sign with this credential; none = send unsigned */
  as?: { accessKeyId: string; secretAccessKey: string };
  body?: Buffer;
  /** sign this body instead of the one sent (a tampered request) */
  signedBody?: Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/** One request, signed like any SigV4 client signs (host, x-amz-date, x-amz-content-sha256). */
export function send(origin: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(origin);
  const body = r.body ?? Buffer.alloc(0);
  const q = r.path.indexOf('?');
  const pathname = q === -1 ? r.path : r.path.slice(0, q);
  const pairs = q === -1 ? [] : [...new URLSearchParams(r.path.slice(q + 1))];
  const headers: Record<string, string> = { host: url.host };
  if (r.as) {
    const amzDate = amzDateOf(new Date());
    const payloadHash = sha256Hex(r.signedBody ?? body);
    headers['x-amz-date'] = amzDate;
    headers['x-amz-content-sha256'] = payloadHash;
    const signed = Object.keys(headers).sort();
    const canonical = canonicalRequest({
      method: r.method, canonicalUri: pathname, canonicalQuery: canonicalQuery(pairs), headers, signedHeaders: signed, payloadHash,
    });
    const scope = credentialScope(amzDate.slice(0, 8), 'us-east-1', 's3');
    const signature = signatureHex(deriveSigningKey(r.as.secretAccessKey, amzDate.slice(0, 8), 'us-east-1', 's3'), stringToSign(amzDate, scope, canonical));
    headers['authorization'] = `${ALGORITHM} Credential=${r.as.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  }
  headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path: r.path, method: r.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = { notJson: text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A committed object the way a PUT makes it: claim, bytes at the storage key, commit. */
export async function writeObject(world: AdminWorld, key: string, data: Buffer, backend: string): Promise<CommitResult> {
  const intentId = newId();
  const objectKey = `photos/${key}`;
  const storageKey = `${objectKey}!${intentId}`;
  const claim = await world.ledger.claim({
    intentId, kind: 'write', objectKey, storageKey, sizeBytes: data.length, candidates: [backend], identity: null,
  });
  if (!claim) throw new Error(`no room on ${backend}`);
  await putBytes(world.client(backend), storageKey, data);
  const etag = createHash('md5').update(data).digest('hex');
  return world.ledger.commitWrite({
    intentId, identity: { size: data.length, etag, contentType: 'text/plain', userMetadata: {}, headers: {} }, events: () => [],
  });
}

export async function putBytes(client: BackendClient, storageKey: string, data: Buffer): Promise<void> {
  await client.putObject(storageKey, Readable.from([data]), { contentLength: data.length, contentType: 'text/plain' });
}
