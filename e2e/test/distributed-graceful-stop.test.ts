// Issue 23 item 5, distributed mode: SIGTERM to the gateway that takes the writes and to the
// notifier while clients keep them busy (services/cli/test/graceful-stop.test.ts does the
// same to the single process). As a load balancer would, clients stop sending to the gateway
// once its /health/ready answers 503, which it does from the signal on, for
// server.shutdown_delay, while it still serves; the notifier's readiness goes 503 at once.
// Then the gateway's listener closes and both processes wait — for a streamed PUT still
// receiving its body, for a notification delivery its receiver has not answered — and exit
// 0 once those finish. No request was cut; started again, the PUT's object reads back whole
// and the delivered notification is not in the outbox any more.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  gatewayClient,
  getDigest,
  KiB,
  MiB,
  NotificationReceiver,
  patternBytes,
  patternDigests,
  patternStream,
  put,
  readAll,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type ServiceProcess,
} from '../src/index.js';

const BIG = 16 * MiB;
const SMALL = 64 * KiB;
const WORKERS = 4;
const HOOK = '/held';

/** patternStream(size, seed), stopping after `stallAt` bytes until `resume` settles. */
function stalledPatternStream(size: number, seed: string, stallAt: number, resume: Promise<void>): Readable {
  async function* body(): AsyncGenerator<Buffer> {
    let sent = 0;
    for await (const chunk of patternStream(size, seed)) {
      if (sent <= stallAt && sent + (chunk as Buffer).length > stallAt) await resume;
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  return Readable.from(body(), { objectMode: false });
}

/** The HTTP status of `url`/health/ready, or the connection error's code. */
async function readiness(url: string): Promise<number | string> {
  try {
    const res = await fetch(`${url}/health/ready`);
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return ((err as Error).cause as { code?: string } | undefined)?.code ?? (err as Error).message;
  }
}

describe('distributed mode: SIGTERM under load', () => {
  let sys: E2ESystem;
  let receiver: NotificationReceiver;
  let bucket: string;
  const clients: S3Client[] = [];

  before(async () => {
    receiver = await NotificationReceiver.start();
    receiver.set(HOOK, 'hold');
    sys = await startSystem({
      mode: 'distributed',
      overrides: {
        // The streamed PUT stays silent from just before SIGTERM until the listener has closed.
        server: { shutdown_delay: '3s', backend_timeout: '2m' },
        notifications: {
          poll_interval: '200ms',
          lease: '5m',
          endpoints: [{ name: 'held', type: 'webhook', url: `${receiver.url}${HOOK}`, timeout: '2m', events: ['s3:ObjectCreated:*'], prefix: 'held/' }],
        },
      },
    });
    bucket = sys.bucket.name;
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await sys?.stop();
    await receiver?.stop();
  });

  const clientOf = (url: string) => {
    const client = gatewayClient(url, sys.bucket.credentials, { maxAttempts: 1 });
    clients.push(client);
    return client;
  };

  test('in-flight requests and handlers finish, ready is 503 while stopping, nothing is cut', async (t) => {
    const d = sys.distributed!;
    const [writer, reader] = d.service('gateway') as [ServiceProcess, ServiceProcess];
    const [notifier] = d.service('notifier') as [ServiceProcess];
    const writes = clientOf(writer.url);
    const reads = clientOf(reader.url);

    // A notification delivery in flight: its receiver holds the request.
    await put(writes, { Bucket: bucket, Key: 'held/one', Body: 'announce me' });
    await waitUntil('the delivery to reach the receiver', async () => receiver.requests.length, (n) => n === 1, { timeoutMs: 30_000 });

    // Load: PUT through the writing gateway, GET through the other, until the writer's readiness says stopping.
    let stopping = false;
    const done: number[] = Array(WORKERS).fill(0);
    const failures: string[] = [];
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let n = 0; !stopping; n++) {
        const key = `load/${w}/${n % 3}`;
        try {
          await writes.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: patternBytes(SMALL, `${key}#${n}`) }));
          const got = await reads.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          assert.ok((await readAll(got.Body as AsyncIterable<Uint8Array>)).equals(patternBytes(SMALL, `${key}#${n}`)), `${key} read back`);
          done[w]!++;
        } catch (err) {
          failures.push(`${key}: ${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    });
    await waitUntil('every worker to have done some requests', async () => done, (dn) => dn.every((n) => n >= 3), { timeoutMs: 60_000 });

    // A streamed PUT in flight on the writing gateway: a quarter of its body sent, the rest waits.
    let resumeBig!: () => void;
    const bigResumes = new Promise<void>((resolve) => (resumeBig = resolve));
    const big = writes.send(new PutObjectCommand({
      Bucket: bucket, Key: 'big/in-flight', Body: stalledPatternStream(BIG, 'big/in-flight', BIG / 4, bigResumes), ContentLength: BIG,
    }));
    big.catch(() => undefined); // awaited below; a failure must not also surface as an unhandled rejection
    await waitUntil('the streamed PUT to be claimed', async () =>
      (await d.ledger.query<{ n: number }>('SELECT count(*)::int AS n FROM pending_objects WHERE object_key = $1', [`${bucket}/big/in-flight`])).rows[0]!.n,
    (n) => n === 1, { timeoutMs: 30_000 });

    assert.equal(await readiness(writer.url), 200);
    assert.equal(await readiness(notifier.url), 200);
    const writerGone = writer.kill('SIGTERM');
    const notifierGone = notifier.kill('SIGTERM');
    await waitUntil('the writing gateway\'s /health/ready to answer 503', () => readiness(writer.url), (s) => s === 503, { intervalMs: 50 });
    stopping = true; // the "load balancer" stops sending to it
    await waitUntil('the notifier\'s /health/ready to answer 503', () => readiness(notifier.url), (s) => s === 503, { intervalMs: 50 });
    await Promise.all(workers);
    t.diagnostic(`workers finished ${done.join(' + ')} PUT+GET rounds; both processes answered 503 on /health/ready while stopping`);

    // After shutdown_delay the gateway's listener closes; both processes still wait for what is in flight.
    await waitUntil('the writing gateway\'s listener to close', () => readiness(writer.url), (s) => s === 'ECONNREFUSED', { timeoutMs: 60_000 });
    assert.ok(writer.running && notifier.running, 'both wait for the PUT and the delivery in flight');

    resumeBig();
    assert.equal((await big).$metadata.httpStatusCode, 200, 'the PUT in flight at SIGTERM was answered');
    receiver.release(HOOK, 200);
    await Promise.all([writerGone, notifierGone]);
    assert.deepEqual([writer.exitCode, notifier.exitCode], [0, 0]);
    assert.deepEqual(failures, [], 'no request a client sent was cut');

    const outbox = await d.ledger.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_outbox');
    assert.equal(outbox.rows[0]!.n, 0, 'the delivery finished before the exit');
    const intents = await d.ledger.query<{ n: number }>('SELECT count(*)::int AS n FROM pending_objects');
    assert.equal(intents.rows[0]!.n, 0, 'no intent left behind');

    // Started again, they serve as before.
    receiver.set(HOOK, 'ok');
    await writer.start();
    await notifier.start();
    const expected = await patternDigests(BIG, 'big/in-flight');
    assert.equal((await getDigest(clientOf(writer.url), { Bucket: bucket, Key: 'big/in-flight' })).sha256, expected.sha256);
    assert.equal(receiver.delivered(HOOK).length, 1, 'the delivery was made once');
  });

  testNothingEscaped(() => sys);
});
