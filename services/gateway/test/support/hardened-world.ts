// One gateway for the hardening tests: real s3rver backends, a SQLite ledger, the gateway
// app on an ephemeral loopback port with the test's `server` (and other) settings, its log
// lines captured, and raw requests a test shapes byte by byte — signed in the header or
// presigned, with any Host, a body sent in pieces or never finished — because the attacks
// these tests play are exactly what an SDK will not send.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseConfig, type Config } from '@s3o/config';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import {
  ALGORITHM, amzDateOf, canonicalQuery, canonicalRequest, credentialScope, deriveSigningKey, sha256Hex, signatureHex,
  stringToSign, uriEncode, UNSIGNED_PAYLOAD,
} from '@s3o/s3';
import { openLedger, type Ledger } from '@s3o/store';
import { createLogger } from '@s3o/telemetry';
import { createGatewayApp, type Gateway } from '../../src/index.js';

export const PHOTOS = { accessKeyId: 'AK-PHOTOS', secretAccessKey: 'photos-secret' };
export const OTHER = { accessKeyId: 'AK-OTHER', secretAccessKey: 'other-secret' };
export const ROOT = { accessKeyId: 'ROOT-ADMIN', secretAccessKey: 'root-admin-secret' };
const BACKEND_BUCKET = 'store';

export interface HardenedWorld {
  url: string;
  host: string;
  port: number;
  config: Config;
  ledger: Ledger;
  gateway: Gateway;
  /** Parsed JSON log lines the gateway wrote so far (audit lines included). */
  logLines(): Array<Record<string, unknown>>;
  /** Every storage key on every backend, as `<backend>:<key>`, sorted. */
  storedKeys(): Promise<string[]>;
  /** Bytes claimed but not yet committed, over every backend. */
  inflightBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Merged over the generated config document (config.yaml key names). */
  overrides?: Record<string, unknown>;
}

export async function startHardenedWorld(options: WorldOptions = {}): Promise<HardenedWorld> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-hardened-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const server = await startS3rver({ dir: join(dir, 'b1'), buckets: [BACKEND_BUCKET] });
    cleanups.push(() => server.stop());
    const document: Record<string, any> = {
      server: { listen_addr: '127.0.0.1:0', backend_timeout: '5s' },
      auth: { root: { access_key_id: ROOT.accessKeyId, secret_access_key: ROOT.secretAccessKey } },
      buckets: [
        { name: 'photos', credentials: [{ access_key_id: PHOTOS.accessKeyId, secret_access_key: PHOTOS.secretAccessKey }] },
        { name: 'other', credentials: [{ access_key_id: OTHER.accessKeyId, secret_access_key: OTHER.secretAccessKey }] },
      ],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: [{ name: 'b1', endpoint: server.endpoint, bucket: BACKEND_BUCKET, access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }],
    };
    for (const [key, value] of Object.entries(options.overrides ?? {})) {
      document[key] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...document[key], ...value } : value;
    }
    const { config } = parseConfig(JSON.stringify(document), {});
    const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'hardening-test' });
    cleanups.push(() => ledger.close());
    await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
    cleanups.push(async () => backends.forEach((c) => c.close()));
    const lines: Array<Record<string, unknown>> = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const logger = createLogger({ service: 'hardening-test', level: 'info', destination });
    const gateway = createGatewayApp({ config, ledger, backends, logger });
    const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    gateway.ready = true;
    cleanups.push(() => gateway.app.close());
    const { hostname, port } = new URL(url);
    return {
      url, host: hostname, port: Number(port), config, ledger, gateway, close,
      logLines: () => [...lines],
      storedKeys: async () => {
        const keys: string[] = [];
        for (const [name, client] of backends) keys.push(...(await allKeys(client)).map((k) => `${name}:${k}`));
        return keys.sort();
      },
      inflightBytes: async () => (await ledger.getQuotas()).reduce((n, q) => n + q.inflightBytes, 0),
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function allKeys(client: BackendClient): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.listObjects({ continuationToken: token });
    keys.push(...page.keys.map((k) => k.key));
    token = page.nextToken;
  } while (token !== undefined);
  return keys;
}

export interface Shaped {
  method: string;
  /** path as sent on the wire (already encoded), without the query */
  path: string;
  /** query pairs, sent (and signed) in this order */
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  /** the Host header (default 127.0.0.1:<port>) */
  host?: string;
  as?: { accessKeyId: string; secretAccessKey: string };
  /** 'header' (default) or 'presigned' */
  auth?: 'header' | 'presigned';
  /** the body's signed hash; default UNSIGNED-PAYLOAD */
  payloadHash?: string;
}

/** The request head (request line + headers, CRLF CRLF), signed as the request says. */
export function requestHead(world: { host: string; port: number }, r: Shaped): string {
  const host = r.host ?? `${world.host}:${world.port}`;
  const headers: Record<string, string> = { host, ...(r.headers ?? {}) };
  let query = [...(r.query ?? [])];
  if (r.as) {
    const amzDate = amzDateOf(new Date());
    const date = amzDate.slice(0, 8);
    const scope = credentialScope(date, 'us-east-1', 's3');
    const key = deriveSigningKey(r.as.secretAccessKey, date, 'us-east-1', 's3');
    const payloadHash = r.payloadHash ?? UNSIGNED_PAYLOAD;
    if (r.auth === 'presigned') {
      query.push(
        ['X-Amz-Algorithm', ALGORITHM], ['X-Amz-Credential', `${r.as.accessKeyId}/${scope}`], ['X-Amz-Date', amzDate],
        ['X-Amz-Expires', '300'], ['X-Amz-SignedHeaders', 'host'],
      );
      const canonical = canonicalRequest({ method: r.method, canonicalUri: decodedUri(r.path), canonicalQuery: canonicalQuery(query), headers: { host }, signedHeaders: ['host'], payloadHash: UNSIGNED_PAYLOAD });
      query.push(['X-Amz-Signature', signatureHex(key, stringToSign(amzDate, scope, canonical))]);
    } else {
      headers['x-amz-date'] = amzDate;
      headers['x-amz-content-sha256'] = payloadHash;
      const signed = Object.keys(headers).map((h) => h.toLowerCase()).sort();
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      const canonical = canonicalRequest({ method: r.method, canonicalUri: decodedUri(r.path), canonicalQuery: canonicalQuery(query), headers: lower, signedHeaders: signed, payloadHash });
      headers['authorization'] = `${ALGORITHM} Credential=${r.as.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signatureHex(key, stringToSign(amzDate, scope, canonical))}`;
    }
  }
  const search = query.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  query = [];
  return `${r.method} ${r.path}${search ? `?${search}` : ''} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

function decodedUri(path: string): string {
  return uriEncode(decodeURIComponent(path), true);
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection to the gateway that the test writes raw bytes to; `answer` is the first response on it. */
export interface RawConnection {
  socket: Socket;
  write(data: string | Buffer): void;
  /** the first answer, or null when the server closed the connection without one */
  answer: Promise<RawAnswer | null>;
  /** resolves when the server closed (or reset) the connection */
  closed: Promise<void>;
}

export function openRaw(world: { host: string; port: number }): RawConnection {
  const socket = connect(world.port, world.host);
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  let resolveAnswer!: (a: RawAnswer | null) => void;
  const answer = new Promise<RawAnswer | null>((resolve) => (resolveAnswer = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const tryParse = (final: boolean) => {
    const text = received.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) {
      if (final) resolveAnswer(null);
      return;
    }
    const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? NaN);
    const bodyBytes = received.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
    if (!final && Number.isFinite(length) && bodyBytes.length < length) return;
    if (!final && !Number.isFinite(length)) return;
    resolveAnswer({ status: Number(statusLine!.split(' ')[1]), headers, body: bodyBytes.subarray(0, Number.isFinite(length) ? length : undefined).toString('utf8') });
  };
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    tryParse(false);
  });
  socket.once('close', () => tryParse(true));
  return { socket, write: (data) => socket.write(data), answer, closed };
}

/** One whole request on its own connection. */
export async function rawRequest(world: { host: string; port: number }, r: Shaped, body: Buffer | string = ''): Promise<RawAnswer> {
  const data = Buffer.from(body);
  const conn = openRaw(world);
  conn.write(requestHead(world, { ...r, headers: { 'content-length': String(data.length), ...(r.headers ?? {}) } }));
  if (data.length > 0) conn.write(data);
  const answer = await conn.answer;
  conn.socket.destroy();
  if (!answer) throw new Error(`${r.method} ${r.path}: the connection closed without an answer`);
  return answer;
}

/** The `<Code>` of an S3 error body. */
export function codeOf(answer: RawAnswer): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1];
}

/** Resolves when `promise` does, or rejects after `ms` with `what` (a deadline, not a timing assertion). */
export async function within<T>(what: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `condition` holds (a deadline, not a timing assertion). */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export { sha256Hex };
