// Issue 23 item 5, single process: SIGTERM while clients keep the orchestrator busy. As a
// load balancer would, clients stop sending once /health/ready answers 503, which it does
// from the signal on, for server.shutdown_delay, while everything is still served. Then the
// listener closes and the process waits: for a streamed PUT still receiving its body, and
// for a notification delivery its receiver has not answered yet. Both finish, the process
// exits 0, and no request a client sent was cut. Started again, the PUT's object reads back
// whole and the delivered notification is not in the outbox any more.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import Database from 'better-sqlite3';
import { contentSha256, contentStream, stalledContentStream, streamSha256 } from './crash-support/content.js';
import { BACKEND_BUCKET, BUCKET, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { readKeyRecords, readLedger } from './crash-support/ledger.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { waitUntil } from './crash-support/wait-until.js';

const BIG = 16 * 1024 * 1024;
const SMALL = 64 * 1024;
const WORKERS = 4;

/** A webhook receiver that answers nothing until released: a delivery in flight. */
class HoldingReceiver {
  readonly held: Array<{ body: string; res: ServerResponse }> = [];
  delivered = 0;
  url = '';
  private constructor(private readonly server: Server) {}

  static async start(): Promise<HoldingReceiver> {
    let receiver!: HoldingReceiver;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => receiver.held.push({ body, res }));
    });
    receiver = new HoldingReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return receiver;
  }

  release(): void {
    for (const { res } of this.held.splice(0)) {
      res.end();
      this.delivered++;
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('SIGTERM under load (single process)', () => {
  let dir: string;
  const s3rvers: S3rverProcess[] = [];
  const serves: ServeProcess[] = [];
  const clients: S3Client[] = [];
  let receiver: HoldingReceiver;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-graceful-'));
    receiver = await HoldingReceiver.start();
  });
  after(async () => {
    receiver.release();
    for (const client of clients) client.destroy();
    for (const serve of serves) await killServe(serve);
    for (const s3rver of s3rvers) await s3rver.stop();
    await receiver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('in-flight requests and handlers finish, ready is 503 while stopping, nothing is cut', { timeout: 300_000 }, async (t) => {
    for (let i = 1; i <= 2; i++) s3rvers.push(await startS3rver({ dir: join(dir, `s3rver-${i}`), buckets: [BACKEND_BUCKET], port: 0 }));
    const { configPath, dbPath } = await writeCrashConfig(dir, s3rvers.map((s, i) => ({ name: `b${i + 1}`, endpoint: s.endpoint })),
      { shutdown_delay: '3s', backend_timeout: '2m' }, // the streamed PUT stays silent until the listener has closed
      {
        notifications: {
          poll_interval: '200ms',
          lease: '5m',
          endpoints: [{ name: 'held', type: 'webhook', url: `${receiver.url}/held`, timeout: '2m', events: ['s3:ObjectCreated:*'], prefix: 'held/' }],
        },
      });
    const serve = await startServe(configPath);
    serves.push(serve);
    const client = s3Client(serve.url);
    clients.push(client);

    // A notification delivery in flight: its receiver holds the request.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'held/one', Body: 'announce me' }));
    await waitUntil('the delivery to reach the receiver', () => receiver.held.length, (n) => n === 1);

    // Load: each worker PUTs and GETs until the readiness check says the process is stopping.
    let stopping = false;
    const done: number[] = Array(WORKERS).fill(0);
    const failures: string[] = [];
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; !stopping; n++) {
        const key = `load/${w}/${n % 3}`;
        try {
          await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: contentStream(key, SMALL), ContentLength: SMALL }));
          const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
          assert.equal((await streamSha256(got.Body as AsyncIterable<Uint8Array>)).sha256, contentSha256(key, SMALL));
          done[w]!++;
        } catch (err) {
          failures.push(`${key}: ${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    });
    await waitUntil('every worker to have done some requests', () => done, (d) => d.every((n) => n >= 3));

    // A streamed PUT in flight: a quarter of its body sent, the rest waits for the test.
    let resumeBig!: () => void;
    const bigResumes = new Promise<void>((resolve) => (resumeBig = resolve));
    const big = client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big/in-flight', Body: stalledContentStream('big/in-flight', BIG, BIG / 4, bigResumes), ContentLength: BIG }));
    big.catch(() => undefined); // awaited below; a failure must not also surface as an unhandled rejection
    await waitUntil('the streamed PUT to be claimed', () => readKeyRecords(dbPath, [`${BUCKET}/big/in-flight`]),
      (r) => r.get(`${BUCKET}/big/in-flight`)!.intents.length === 1);

    const ready = async () => (await fetch(`${serve.url}/health/ready`)).status;
    assert.equal(await ready(), 200);
    serve.kill('SIGTERM');
    await waitUntil('/health/ready to answer 503', ready, (s) => s === 503, { intervalMs: 50 });
    stopping = true; // the "load balancer" stops sending
    await Promise.all(workers);
    t.diagnostic(`workers finished ${done.join(' + ')} PUT+GET rounds; /health/ready answered 503 while the process still served`);

    // After shutdown_delay the listener closes; the process still waits for what is in flight.
    await waitUntil('the listener to close', () => ready().then(() => 'open', (err: Error) => (err.cause as { code?: string })?.code ?? err.message),
      (s) => s === 'ECONNREFUSED', { timeoutMs: 60_000, intervalMs: 100 });
    assert.equal(serve.exitCode(), null, 'the process waits for the PUT and the delivery in flight');

    resumeBig();
    const out = await big;
    assert.equal(out.$metadata.httpStatusCode, 200, 'the PUT in flight at SIGTERM was answered');
    receiver.release();
    await serve.exited;
    assert.equal(serve.exitCode(), 0);
    assert.deepEqual(failures, [], 'no request a client sent was cut');

    // Started again: the PUT is whole, nothing is left in flight, the delivery is not owed again.
    const afterStop = readLedger(dbPath);
    assert.equal(afterStop.intents, 0, 'no intent left behind');
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM notification_outbox').get() as { n: number }).n, 0, 'the delivery finished before the exit');
    } finally {
      db.close();
    }
    const second = await startServe(configPath);
    serves.push(second);
    const reader = s3Client(second.url);
    clients.push(reader);
    const got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'big/in-flight' }));
    assert.equal((await streamSha256(got.Body as AsyncIterable<Uint8Array>)).sha256, contentSha256('big/in-flight', BIG));
    assert.equal(receiver.delivered, 1);
  });
});
