// Bucket event notifications end to end (docs/architecture.md §2 notifier): real webhook receivers written
// here, a NATS subscriber, the admin API's dead letters — in the mode the harness runs
// (test/distributed/ runs this file again in distributed mode, where the notifier is its own
// process and is killed with SIGKILL mid-delivery).
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand, DeleteObjectsCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  NotificationReceiver, md5Hex, metricValue, multipartEtag, parsePrometheusText, patternBytes, put, rawFetch, startSystem, storedCopies, testNatsUrl, testNothingEscaped, waitUntil,
  type E2ESystem, type ReceivedRequest,
} from '../src/index.js';

const ROOT = { accessKeyId: 'notify-root', secretAccessKey: 'notify-root-secret-0123456789' };
const S3_SECRET = 's3-endpoint-secret';
const CE_SECRET = 'cloudevents-endpoint-secret';
/** A claimed delivery returns to the notifiers after this (a killed notifier's). */
// Long enough for the generous delivery timeout below (config requires timeout < lease);
// the SIGKILL case waits for it to run out once.
const LEASE_MS = 12_000;
const PATHS = { s3: '/s3', ce: '/ce', filtered: '/filtered', flaky: '/flaky', down: '/down', slow: '/slow', ops: '/ops' } as const;

interface NatsMessage {
  subject: string;
  eventId: string;
  body: string;
}

/** The notifier's metrics: served by the gateway in single mode, by the notifier process in distributed mode. */
async function notifierMetrics(sys: E2ESystem) {
  const url = sys.distributed ? `${sys.distributed.service('notifier')[0]!.url}/metrics` : `${sys.url}/metrics`;
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return parsePrometheusText(await res.text());
}

const eventIdOf = (r: ReceivedRequest) => String(r.headers['x-s3o-event-id']);
const jsonOf = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;
/** The S3 record of a delivery in either format. */
const recordOf = (r: { body: string }) => {
  const body = jsonOf(r);
  return (body.Records ? body.Records[0] : body.data) as Record<string, any>;
};
const keyOf = (r: { body: string }) => decodeURIComponent(String(recordOf(r).s3.object.key).replace(/\+/g, ' '));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('bucket event notifications', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  let receiver: NotificationReceiver;
  let nc: NatsConnection;
  let natsSub: Subscription;
  const natsMessages: NatsMessage[] = [];
  // The run's own subject prefix on the shared NATS server.
  const natsSubject = `e2e_notify_${randomBytes(6).toString('hex')}.s3`;

  before(async () => {
    receiver = await NotificationReceiver.start();
    nc = await connect({ servers: testNatsUrl() });
    natsSub = nc.subscribe(natsSubject);
    void (async () => {
      for await (const m of natsSub) natsMessages.push({ subject: m.subject, eventId: m.headers?.get('X-S3O-Event-Id') ?? '', body: m.string() });
    })();
    await nc.flush();
    // A generous delivery timeout: on a loaded machine an answered delivery the notifier
    // timed out on would be made twice. Only the `slow` endpoint (held on purpose) needs a short one.
    const hook = (path: string, extra: Record<string, unknown>) => ({ type: 'webhook', url: `${receiver.url}${path}`, timeout: '10s', ...extra });
    const mode = process.env.S3O_E2E_MODE ?? 'single';
    sys = await startSystem({
      routing: 'spread',
      overrides: {
        auth: { root: { access_key_id: ROOT.accessKeyId, secret_access_key: ROOT.secretAccessKey } },
        // A deletion that fails once is dead-lettered at once (cleanup.dead_lettered, an operational event).
        server: { backend_timeout: '1s' },
        cleanup_queue: { max_attempts: 1 },
        notifications: {
          poll_interval: '200ms',
          backoff_base: '100ms',
          backoff_max: '1s',
          lease: `${LEASE_MS}ms`,
          endpoints: [
            hook(PATHS.s3, { name: 's3-all', events: ['s3:*'], secret: S3_SECRET }),
            hook(PATHS.ce, { name: 'ce-all', events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'], format: 'cloudevents', secret: CE_SECRET }),
            hook(PATHS.filtered, { name: 'filtered', events: ['s3:ObjectCreated:Put'], buckets: ['e2e-other'], prefix: 'img/', suffix: '.jpg' }),
            hook(PATHS.flaky, { name: 'flaky', events: ['s3:*'], prefix: 'flaky/', max_retries: 100 }),
            hook(PATHS.down, { name: 'down', events: ['s3:ObjectCreated:Put'], prefix: 'dead/', max_retries: 2 }),
            hook(PATHS.slow, { name: 'slow', events: ['s3:ObjectCreated:Put'], prefix: 'kill/', max_retries: 100, timeout: '1s' }),
            // S3 format, but operational events have only the CloudEvents form.
            hook(PATHS.ops, { name: 'ops', events: ['cleanup.dead_lettered', 'backend.*'] }),
            // Distributed mode: the server URL defaults to bus.url (the bus is NATS there).
            { name: 'nats', type: 'nats', subject: natsSubject, events: ['s3:*'], format: 'cloudevents', timeout: '1s', ...(mode === 'single' ? { url: testNatsUrl() } : {}) },
          ],
        },
      },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
  });
  after(async () => {
    await sys?.stop();
    await natsSub?.drain();
    await nc?.close();
    await receiver?.stop();
  });

  /** Deliveries at `path` of events of keys under `prefix`. */
  const deliveredUnder = (path: string, prefix: string) => receiver.delivered(path).filter((r) => keyOf(r).startsWith(prefix));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));
  const admin = (method: string, path: string, body?: string) =>
    rawFetch(sys.url, { method, path: `/admin/api${path}`, credentials: ROOT, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) });

  function assertSigned(r: ReceivedRequest, secret: string): void {
    const timestamp = String(r.headers['x-s3o-timestamp']);
    assert.match(timestamp, /^\d{10}$/);
    assert.ok(Math.abs(Number(timestamp) - r.at / 1000) < 30, 'the timestamp is the time of sending');
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex')}`;
    assert.equal(r.headers['x-s3o-signature'], expected, 'the signature is HMAC-SHA256(secret, timestamp + "." + body)');
  }

  test('every matching event is delivered once, signed, in the S3 and CloudEvents formats and on NATS', async () => {
    const prefix = 'notify/';
    const spaced = `${prefix}a b+c=.txt`;
    const body = patternBytes(1000, spaced);
    await put(s3, { Bucket: bucket, Key: spaced, Body: body });
    await put(s3, { Bucket: bucket, Key: `${prefix}src`, Body: patternBytes(10, 'src') });
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${prefix}copy`, CopySource: `${bucket}/${prefix}src` }));
    const part = patternBytes(2000, 'part');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}mpu` }));
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: `${prefix}mpu`, UploadId, PartNumber: 1, Body: part }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}mpu`, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: spaced }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: `${prefix}src` }, { Key: `${prefix}copy` }] } }));
    const expected = [
      [spaced, 'ObjectCreated:Put'], [`${prefix}src`, 'ObjectCreated:Put'], [`${prefix}copy`, 'ObjectCreated:Copy'],
      [`${prefix}mpu`, 'ObjectCreated:CompleteMultipartUpload'], [spaced, 'ObjectRemoved:Delete'],
      [`${prefix}src`, 'ObjectRemoved:Delete'], [`${prefix}copy`, 'ObjectRemoved:Delete'],
    ].map(([k, n]) => `${k} ${n}`).sort();

    for (const path of [PATHS.s3, PATHS.ce]) {
      await waitUntil(`7 deliveries at ${path}`, async () => deliveredUnder(path, prefix), (got) => got.length >= 7, { timeoutMs: 15_000 });
    }
    await waitUntil('7 NATS messages', async () => natsMessages.filter((m) => keyOf(m).startsWith(prefix)), (got) => got.length >= 7, { timeoutMs: 15_000 });
    await settle();

    // S3 format: AWS's event message.
    const s3Deliveries = deliveredUnder(PATHS.s3, prefix);
    assert.deepEqual(s3Deliveries.map((r) => `${keyOf(r)} ${recordOf(r).eventName}`).sort(), expected);
    const ids = s3Deliveries.map(eventIdOf);
    assert.equal(new Set(ids).size, 7, 'each event delivered once');
    for (const r of s3Deliveries) {
      assertSigned(r, S3_SECRET);
      assert.equal(r.headers['content-type'], 'application/json');
      const message = jsonOf(r);
      assert.equal(message.Records.length, 1);
      const rec = message.Records[0];
      assert.equal(rec.eventVersion, '2.1');
      assert.equal(rec.eventSource, 'aws:s3');
      assert.equal(rec.awsRegion, 'us-east-1');
      assert.ok(Math.abs(Date.parse(rec.eventTime) - r.at) < 15_000, 'eventTime is the commit time');
      assert.equal(rec.userIdentity.principalId, sys.bucket.credentials.accessKeyId);
      assert.match(rec.requestParameters.sourceIPAddress, /127\.0\.0\.1/);
      assert.ok(rec.responseElements['x-amz-request-id'].length > 0);
      assert.equal(rec.s3.bucket.name, bucket);
      assert.equal(rec.s3.bucket.arn, `arn:aws:s3:::${bucket}`);
      assert.equal(rec.s3.configurationId, 's3-all');
      assert.match(rec.s3.object.sequencer, /^[0-9a-f]{16}$/);
    }
    const put1 = s3Deliveries.find((r) => recordOf(r).eventName === 'ObjectCreated:Put' && keyOf(r) === spaced)!;
    assert.deepEqual(recordOf(put1).s3.object.key, 'notify/a+b%2Bc%3D.txt', 'the key is URL-encoded as AWS does (space as +)');
    assert.equal(recordOf(put1).s3.object.size, 1000);
    assert.equal(recordOf(put1).s3.object.eTag, md5Hex(body));
    const mpu = s3Deliveries.find((r) => recordOf(r).eventName === 'ObjectCreated:CompleteMultipartUpload')!;
    assert.equal(recordOf(mpu).s3.object.eTag, multipartEtag([md5Hex(part)]).replace(/"/g, ''));
    const removal = s3Deliveries.find((r) => recordOf(r).eventName === 'ObjectRemoved:Delete')!;
    assert.equal(recordOf(removal).s3.object.size, undefined, 'removals carry no size, as in AWS');
    const del1 = s3Deliveries.find((r) => recordOf(r).eventName === 'ObjectRemoved:Delete' && keyOf(r) === spaced)!;
    assert.ok(recordOf(del1).s3.object.sequencer > recordOf(put1).s3.object.sequencer, 'a key\'s sequencers increase in commit order');

    // CloudEvents: the same events, same ids.
    const ceDeliveries = deliveredUnder(PATHS.ce, prefix);
    assert.deepEqual(ceDeliveries.map(eventIdOf).sort(), [...ids].sort());
    for (const r of ceDeliveries) {
      assertSigned(r, CE_SECRET);
      assert.equal(r.headers['content-type'], 'application/cloudevents+json');
      const ce = jsonOf(r);
      assert.equal(ce.specversion, '1.0');
      assert.equal(ce.id, eventIdOf(r));
      assert.equal(ce.type, `s3:${ce.data.eventName}`);
      assert.equal(ce.source, `/buckets/${bucket}`);
      assert.equal(ce.subject, keyOf(r));
      assert.equal(ce.datacontenttype, 'application/json');
      assert.equal(ce.time, ce.data.eventTime);
      assert.equal(ce.sequencer, ce.data.s3.object.sequencer);
    }

    // NATS: the same events, once each, as CloudEvents.
    const nats = natsMessages.filter((m) => keyOf(m).startsWith(prefix));
    assert.deepEqual(nats.map((m) => m.eventId).sort(), [...ids].sort());
    assert.deepEqual(nats.map((m) => jsonOf(m).id).sort(), [...ids].sort());
    assert.ok(nats.every((m) => m.subject === natsSubject));
  });

  test('endpoint filters: events, buckets, prefix and suffix', async () => {
    const other = sys.client('e2e-other');
    await put(other, { Bucket: 'e2e-other', Key: 'img/match.jpg', Body: 'x' });
    await put(other, { Bucket: 'e2e-other', Key: 'img/wrong-suffix.png', Body: 'x' });
    await put(other, { Bucket: 'e2e-other', Key: 'elsewhere/x.jpg', Body: 'x' });
    await put(s3, { Bucket: bucket, Key: 'img/other-bucket.jpg', Body: 'x' });
    await other.send(new DeleteObjectCommand({ Bucket: 'e2e-other', Key: 'img/match.jpg' }));
    // The unfiltered endpoint sees all five; by then the filtered one has had its chance.
    await waitUntil('the five events at the unfiltered endpoint', async () => receiver.delivered(PATHS.s3).filter((r) => /img\/|elsewhere\//.test(keyOf(r))), (got) => got.length >= 5, { timeoutMs: 15_000 });
    await waitUntil('the matching event at the filtered endpoint', async () => receiver.delivered(PATHS.filtered), (got) => got.length >= 1, { timeoutMs: 15_000 });
    await settle();
    const filtered = receiver.delivered(PATHS.filtered);
    assert.deepEqual(filtered.map((r) => `${recordOf(r).s3.bucket.name}/${keyOf(r)} ${recordOf(r).eventName}`), ['e2e-other/img/match.jpg ObjectCreated:Put']);
    assert.equal(filtered[0]!.headers['x-s3o-signature'], undefined, 'an endpoint without a secret is not signed');
    assert.match(String(filtered[0]!.headers['x-s3o-timestamp']), /^\d+$/);
    // Prefix filters of other endpoints held too.
    assert.equal(deliveredUnder(PATHS.flaky, 'img/').length + deliveredUnder(PATHS.down, 'img/').length, 0);
  });

  test('a receiver failing for a while then recovering gets every event, each key\'s in sequencer order', async () => {
    receiver.set(PATHS.flaky, 'fail');
    const keys = ['flaky/k0', 'flaky/k1', 'flaky/k2'];
    await Promise.all(keys.map(async (key) => {
      await put(s3, { Bucket: bucket, Key: key, Body: 'v1' });
      await put(s3, { Bucket: bucket, Key: key, Body: 'version two' });
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }));
    await waitUntil('failed attempts at the failing receiver', async () => receiver.failed(PATHS.flaky), (f) => f.length >= 6, { timeoutMs: 15_000 });
    receiver.set(PATHS.flaky, 'ok');
    await waitUntil('all nine events once the receiver recovered', async () => receiver.delivered(PATHS.flaky), (got) => got.length >= 9, { timeoutMs: 20_000 });
    await settle();
    const delivered = receiver.delivered(PATHS.flaky);
    assert.equal(delivered.length, 9);
    assert.equal(new Set(delivered.map(eventIdOf)).size, 9);
    for (const key of keys) {
      const ofKey = delivered.filter((r) => keyOf(r) === key);
      assert.deepEqual(ofKey.map((r) => recordOf(r).eventName), ['ObjectCreated:Put', 'ObjectCreated:Put', 'ObjectRemoved:Delete'], key);
      const sequencers = ofKey.map((r) => recordOf(r).s3.object.sequencer as string);
      assert.deepEqual(sequencers, [...sequencers].sort(), `${key}: delivered in sequencer order`);
      assert.equal(new Set(sequencers).size, 3);
    }
    assert.equal(recordOf(delivered.find((r) => keyOf(r) === 'flaky/k0' && recordOf(r).s3.object.size === 11)!).s3.object.eTag, md5Hex(Buffer.from('version two')));
  });

  test('a receiver down for good ends in the dead letters; requeue delivers them', async () => {
    receiver.set(PATHS.down, 'fail');
    await put(s3, { Bucket: bucket, Key: 'dead/1', Body: 'one' });
    await put(s3, { Bucket: bucket, Key: 'dead/2', Body: 'two' });
    const dead = await waitUntil('two dead deliveries', async () => {
      const res = await admin('GET', '/notifications/dead');
      assert.equal(res.status, 200, res.body);
      return JSON.parse(res.body) as { depth: number; items: Array<Record<string, any>> };
    }, (list) => list.items.filter((i) => i.endpoint === 'down').length === 2, { timeoutMs: 15_000 });
    assert.equal(dead.depth, 2);
    for (const item of dead.items) {
      assert.equal(item.attempts, 3, 'the first attempt and max_retries (2) retries');
      assert.match(item.last_error, /^HTTP 500/);
      assert.match(item.object_key, /^e2e-main\/dead\/[12]$/);
      assert.equal(JSON.parse(item.payload).Records[0].eventName, 'ObjectCreated:Put');
    }
    assert.equal(receiver.failed(PATHS.down).length, 6);
    assert.equal(receiver.delivered(PATHS.down).length, 0);
    assert.equal(metricValue(await notifierMetrics(sys), 's3o_notification_outbox', { state: 'dead' }), 2, 'the dead deliveries show in the outbox gauge');

    receiver.set(PATHS.down, 'ok');
    const requeue = await admin('POST', '/notifications/dead/requeue', '{}');
    assert.equal(requeue.status, 200, requeue.body);
    assert.deepEqual(JSON.parse(requeue.body), { requeued: 2 });
    await waitUntil('the requeued deliveries', async () => receiver.delivered(PATHS.down), (got) => got.length === 2, { timeoutMs: 10_000 });
    assert.deepEqual(receiver.delivered(PATHS.down).map(keyOf).sort(), ['dead/1', 'dead/2']);
    assert.deepEqual(receiver.delivered(PATHS.down).map(eventIdOf).sort(), dead.items.map((i) => i.event_id).sort(), 'the event ids stay the same');
    const afterRequeue = JSON.parse((await admin('GET', '/notifications/dead')).body);
    assert.equal(afterRequeue.depth, 0);
    assert.equal(metricValue(await notifierMetrics(sys), 's3o_notification_outbox', { state: 'dead' }), 0);
    // Unsigned admin requests are refused.
    assert.equal((await rawFetch(sys.url, { method: 'GET', path: '/admin/api/notifications/dead' })).status, 403);
  });

  test('the notifier killed with SIGKILL mid-delivery loses nothing', { timeout: 60_000 }, async (t) => {
    if (sys.mode !== 'distributed') {
      t.skip('the notifier runs in the test process in single mode; distributed mode kills its process');
      return;
    }
    const d = sys.distributed!;
    const [notifier] = d.service('notifier');
    receiver.set(PATHS.slow, 'hold');
    const keys = Array.from({ length: 20 }, (_, i) => `kill/${String(i).padStart(2, '0')}`);
    for (const key of keys) await put(s3, { Bucket: bucket, Key: key, Body: key });
    await waitUntil('every delivery in the outbox', async () => Number((await d.ledger.query(
      `SELECT count(*) AS n FROM notification_outbox WHERE endpoint = 'slow'`)).rows[0].n), (n) => n === 20, { timeoutMs: 15_000 });
    // Held requests younger than the endpoint's timeout (1 s) have a notifier waiting on them.
    const waitedOn = () => receiver.requests.filter((r) => r.path === PATHS.slow && r.status === 0 && Date.now() - r.at < 700).length;
    await waitUntil('deliveries in flight', async () => waitedOn(), (n) => n > 0, { timeoutMs: 10_000, intervalMs: 20 });
    await notifier!.kill('SIGKILL');
    const inFlight = waitedOn();
    receiver.release(PATHS.slow, 200);
    receiver.set(PATHS.slow, 'ok');
    const killedAt = Date.now();
    await notifier!.start();
    await waitUntil('every event delivered after the restart', async () => new Set(receiver.delivered(PATHS.slow).filter((r) => r.at > killedAt).map(keyOf)),
      (got) => keys.every((k) => got.has(k)), { timeoutMs: LEASE_MS + 20_000 });
    t.diagnostic(`${inFlight} deliveries were in flight at the kill; ${receiver.delivered(PATHS.slow).filter((r) => r.at > killedAt).length} delivered after the restart for ${keys.length} events`);
    // The receiver counts a delivery when it answers; the notifier deletes the row just after.
    const left = await waitUntil('the outbox rows of the delivered events to go', async () => Number((await d.ledger.query(
      `SELECT count(*) AS n FROM notification_outbox WHERE endpoint = 'slow'`)).rows[0].n), (n) => n === 0, { timeoutMs: 5_000 });
    assert.equal(left, 0);
  });

  test('delivery latency, commit to receiver, over 200 PUTs', { timeout: 90_000 }, async (t) => {
    const keys = Array.from({ length: 200 }, (_, i) => `latency/${String(i).padStart(3, '0')}`);
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await put(s3, { Bucket: bucket, Key: key, Body: key });
      }
    }));
    const got = await waitUntil('200 deliveries', async () => deliveredUnder(PATHS.s3, 'latency/'), (r) => r.length >= 200, { timeoutMs: 30_000 });
    const lags = got.map((r) => r.at - Date.parse(recordOf(r).eventTime)).sort((a, b) => a - b);
    const median = percentile(lags, 50);
    const p95 = percentile(lags, 95);
    t.diagnostic(`notification latency commit -> receiver (${sys.mode}, ${lags.length} PUTs, 4 at a time): median ${median} ms, p95 ${p95} ms, max ${lags.at(-1)} ms`);
    assert.equal(new Set(got.map(keyOf)).size, 200);
    assert.ok(lags[0]! >= -5, 'no delivery before its commit');
  });

  test('operational events reach the endpoints that name them, as CloudEvents', async () => {
    const key = 'ops/stuck';
    await put(s3, { Bucket: bucket, Key: key, Body: 'stuck' });
    const [copy] = await storedCopies(sys.backends, bucket, key);
    const backend = sys.backends.find((b) => b.name === copy!.backend)!;
    // The backend hangs: the deletion the DELETE owes fails (backend_timeout) and, with
    // cleanup_queue.max_attempts 1, is dead-lettered at once. (So is the debt of the delete
    // marker whose PUT the hung backend never answered — it may land yet: another storage key.)
    backend.process.kill('SIGSTOP');
    let got: ReceivedRequest[];
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      got = await waitUntil('the dead-lettered deletion at the ops endpoint', async () =>
        receiver.delivered(PATHS.ops).filter((r) => jsonOf(r).type === 'cleanup.dead_lettered' && jsonOf(r).data.storage_key === copy!.storageKey),
      (list) => list.length >= 1, { timeoutMs: 20_000 });
    } finally {
      backend.process.kill('SIGCONT');
    }
    assert.equal(got.length, 1);
    const r = got[0]!;
    assert.equal(r.headers['content-type'], 'application/cloudevents+json');
    const ce = jsonOf(r);
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.id, eventIdOf(r));
    assert.equal(ce.subject, backend.name);
    assert.match(ce.source, /^\/s3-orchestrator\//);
    assert.equal(ce.data.backend, backend.name);
    assert.equal(ce.data.storage_key, copy!.storageKey);
    assert.equal(ce.data.attempts, 1);
    // Object events never reach an endpoint that names only operational ones.
    assert.ok(receiver.delivered(PATHS.ops).every((d) => !String(jsonOf(d).type).startsWith('s3:')));
  });

  testNothingEscaped(() => sys);
});
