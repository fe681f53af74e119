// Observability of the distributed mode (docs/architecture.md §5): one PUT is ONE trace across the
// processes — the gateway's request span (continuing the client's traceparent), its backend
// PUT and ledger commit, the relay's publish of object.created, the placement service
// consuming it and copying the object to a second backend (replication factor 2). The
// spans reach a small OTLP/HTTP receiver written here, as they would reach Jaeger. Log lines
// inside a span carry its trace_id; every service serves Prometheus text.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  KiB,
  metricValue,
  NotificationReceiver,
  OtlpReceiver,
  OtlpSpanKind,
  parsePrometheusText,
  patternBytes,
  put,
  startSystem,
  storedCopies,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
  type MetricSample,
  type ReceivedSpan,
} from '../../src/index.js';

/** A client's own trace context: the gateway's request span must continue it. */
const CLIENT_TRACE_ID = randomBytes(16).toString('hex');
const CLIENT_SPAN_ID = randomBytes(8).toString('hex');

/** Sends `traceparent` with every request of `client` (signed like any other header). */
function sendTraceparent(client: S3Client, traceparent: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers.traceparent = traceparent;
      return next(args);
    },
    { step: 'build', name: 'clientTraceparent' },
  );
}

/** The span's chain of parents inside its trace, nearest first. */
function ancestors(span: ReceivedSpan, trace: ReceivedSpan[]): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  let parentId = span.parentSpanId;
  while (parentId) {
    const parent = trace.find((s) => s.spanId === parentId);
    if (!parent) break;
    chain.push(parent);
    parentId = parent.parentSpanId;
  }
  return chain;
}

function one(trace: ReceivedSpan[], what: string, match: (s: ReceivedSpan) => boolean): ReceivedSpan {
  const found = trace.filter(match);
  assert.equal(found.length, 1, `expected one ${what} in the trace, found ${found.length}: ${spanList(trace)}`);
  return found[0]!;
}

/** The trace as `service:name:span<-parent`, for failure messages. */
function spanList(trace: ReceivedSpan[]): string {
  return JSON.stringify(trace.map((s) => `${s.service}:${s.name}:${s.spanId}<-${s.parentSpanId}`));
}

async function scrape(url: string): Promise<MetricSample[]> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parsePrometheusText(await res.text());
}

describe('telemetry: traces, logs and metrics in distributed mode', () => {
  let receiver: OtlpReceiver;
  let webhook: NotificationReceiver;
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  const key = 'traced/object.bin';
  const body = patternBytes(64 * KiB, 'traced');
  let requestId: string;

  before(async () => {
    receiver = await OtlpReceiver.start();
    webhook = await NotificationReceiver.start();
    sys = await startSystem({
      mode: 'distributed',
      routing: 'pack',
      overrides: {
        telemetry: { tracing: { enabled: true, endpoint: receiver.url, sample_rate: 1 } },
        // Factor 2: the placement service copies each new object to a second backend. The
        // catch-up sweep is kept out of the way: the copy must come from the event.
        replication: { factor: 2, worker_interval: '1h' },
        // A webhook endpoint: its delivery belongs to the PUT's trace too.
        notifications: { endpoints: [{ name: 'hook', type: 'webhook', url: `${webhook.url}/hook`, events: ['s3:ObjectCreated:*'] }] },
      },
    });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    sendTraceparent(s3, `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`);
    bucket = sys.bucket.name;
    const out = await put(s3, { Bucket: bucket, Key: key, Body: body });
    requestId = out.$metadata.requestId!;
    await waitUntil('the replica of the traced object', () => storedCopies(sys.backends, bucket, key), (c) => c.length === 2);
  });
  after(async () => {
    await sys?.stop();
    await receiver?.stop();
    await webhook?.stop();
  });

  test('one PUT is one trace: request → backend PUT → commit → publish → placement consume → replica PUT', async () => {
    // Each process exports its spans in batches (about every second): wait until every link arrived.
    const links = ['s3o-gateway:s3.PutObject', 's3o-gateway:ledger.commitWrite', 'publish object.created', 's3o-placement:consume object.created', 's3o-placement:backend.PutObject'];
    const trace = await waitUntil(
      'every link of the PUT in the client trace',
      async () => receiver.trace(CLIENT_TRACE_ID),
      (spans) => links.every((l) => spans.some((s) => `${s.service}:${s.name}` === l || s.name === l)),
      { timeoutMs: 15_000 },
    );
    assert.deepEqual(receiver.refused, []);

    const request = one(trace, 'gateway request span', (s) => s.name === 's3.PutObject' && s.kind === OtlpSpanKind.SERVER);
    assert.equal(request.service, 's3o-gateway');
    assert.equal(request.parentSpanId, CLIENT_SPAN_ID, 'the request span continues the client traceparent');
    assert.equal(request.attributes['s3o.request_id'], requestId);
    assert.equal(request.attributes['s3o.bucket'], bucket);
    assert.equal(request.attributes['s3o.key'], key);
    assert.equal(request.attributes['http.response.status_code'], 200);

    const backendPut = one(trace, 'gateway backend PUT', (s) => s.service === 's3o-gateway' && s.name === 'backend.PutObject');
    assert.equal(backendPut.kind, OtlpSpanKind.CLIENT);
    assert.equal(backendPut.parentSpanId, request.spanId, 'the backend PUT is a child of the request');
    assert.equal(backendPut.attributes['s3o.backend'], 'b1');
    assert.equal(backendPut.attributes['s3o.ingress_bytes'], body.length);

    const commit = one(trace, 'commit span', (s) => s.name === 'ledger.commitWrite');
    assert.equal(commit.parentSpanId, request.spanId, 'the commit is a child of the request');

    const publish = one(trace, 'publish of object.created', (s) => s.name === 'publish object.created');
    assert.equal(publish.kind, OtlpSpanKind.PRODUCER);
    assert.equal(publish.parentSpanId, commit.spanId, 'the event was appended inside the commit, so its publish hangs under it');

    const consume = one(trace, 'placement consume span', (s) => s.service === 's3o-placement' && s.name === 'consume object.created');
    assert.equal(consume.kind, OtlpSpanKind.CONSUMER);
    assert.equal(consume.parentSpanId, publish.spanId, 'the consumer continues the publish (NATS header)');

    const replicaPut = one(trace, 'placement copy PUT', (s) => s.service === 's3o-placement' && s.name === 'backend.PutObject');
    assert.ok(
      ancestors(replicaPut, trace).some((s) => s.spanId === consume.spanId),
      `the replica PUT descends from the consume span: ${spanList(trace)}`,
    );
    assert.notEqual(replicaPut.attributes['s3o.backend'], 'b1', 'the replica went to another backend');
    // Nothing of the trace is left dangling: every parent is in the trace, except the client's own span.
    for (const span of trace) {
      if (span.parentSpanId === CLIENT_SPAN_ID) continue;
      assert.ok(trace.some((s) => s.spanId === span.parentSpanId), `${span.service}:${span.name} has a parent outside the trace`);
    }
  });

  test('the notification delivery is in the same trace: notifier consume → webhook delivery', async () => {
    const trace = await waitUntil(
      'the notifier spans in the client trace',
      async () => receiver.trace(CLIENT_TRACE_ID),
      (spans) => spans.some((s) => s.service === 's3o-notifier' && s.name === 'notify webhook'),
      { timeoutMs: 15_000 },
    );
    assert.equal(webhook.delivered('/hook').length, 1, 'the webhook got the event once');
    const publish = one(trace, 'publish of object.created', (s) => s.name === 'publish object.created');
    const consume = one(trace, 'notifier consume span', (s) => s.service === 's3o-notifier' && s.name === 'consume object.created');
    assert.equal(consume.parentSpanId, publish.spanId, 'the notifier continues the publish (NATS header)');
    const delivery = one(trace, 'webhook delivery span', (s) => s.service === 's3o-notifier' && s.name === 'notify webhook');
    assert.equal(delivery.kind, OtlpSpanKind.PRODUCER);
    assert.equal(delivery.parentSpanId, consume.spanId, `the delivery continues the consume span it was enqueued in: ${spanList(trace)}`);
    assert.equal(delivery.attributes['s3o.notification.endpoint'], 'hook');
  });

  test('log lines inside a span carry its trace id; the audit line of the request has its facts', () => {
    const gateway = sys.distributed!.service('gateway')[0]!;
    const audit = gateway.logs().find((r) => r.audit === true && r.event === 's3.PutObject' && r.requestId === requestId);
    assert.ok(audit, 'an audit line for the PUT');
    assert.equal(audit.trace_id, CLIENT_TRACE_ID);
    assert.match(String(audit.span_id), /^[0-9a-f]{16}$/);
    assert.equal(audit.bucket, bucket);
    assert.equal(audit.key, key);
    assert.equal(audit.status, 200);
    assert.equal(audit.accessKeyId, sys.bucket.credentials.accessKeyId);
    assert.equal(typeof audit.durationMs, 'number');
    assert.match(String(audit.remoteAddress), /127\.0\.0\.1/);
    // Outside a request, lines have no trace ids.
    const started = gateway.logs().find((r) => r.msg === 'gateway running');
    assert.ok(started && !('trace_id' in started));
  });

  test('the gateway and the other services serve Prometheus text whose counters follow the requests', async () => {
    const gatewayMetrics = `${sys.url}/metrics`;
    const before = await scrape(gatewayMetrics);
    const putsBefore = metricValue(before, 's3o_requests_total', { method: 'PUT', status_code: '200' }) ?? 0;
    const backendPutsBefore = metricValue(before, 's3o_backend_requests_total', { operation: 'PutObject', backend: 'b1', status: 'success' }) ?? 0;
    assert.ok(putsBefore >= 1, 'the PUT of the first test is counted');

    await put(s3, { Bucket: bucket, Key: 'metrics/second.bin', Body: patternBytes(10 * KiB, 'second') });
    const afterPut = await scrape(gatewayMetrics);
    assert.equal(metricValue(afterPut, 's3o_requests_total', { method: 'PUT', status_code: '200' }), putsBefore + 1);
    assert.equal(metricValue(afterPut, 's3o_backend_requests_total', { operation: 'PutObject', backend: 'b1', status: 'success' }), backendPutsBefore + 1);
    assert.ok((metricValue(afterPut, 's3o_request_duration_seconds_count', { method: 'PUT' }) ?? 0) >= putsBefore + 1, 'PUT latencies observed');
    // Gauges read from the ledger at scrape time (kept a few seconds: the first object at least).
    const used = metricValue(afterPut, 's3o_quota_bytes_used', { backend: 'b1' });
    assert.ok((used ?? 0) >= body.length, `b1 holds the traced object: s3o_quota_bytes_used ${used}`);
    assert.ok((metricValue(afterPut, 's3o_objects_count', { backend: 'b2' }) ?? 0) >= 1, 'b2 holds the replica');
    assert.equal(metricValue(afterPut, 's3o_quota_bytes_limit', { backend: 'b1' }), 0);
    assert.equal(typeof metricValue(afterPut, 's3o_cleanup_queue_depth'), 'number');

    // The placement service: its consumer counted the events, its lag is served, its copies are counted.
    const placement = sys.distributed!.service('placement')[0]!;
    const sum = (samples: MetricSample[], match: (s: MetricSample) => boolean) => samples.filter(match).reduce((n, s) => n + s.value, 0);
    const createdOk = (s: MetricSample) => s.name === 's3o_bus_events_consumed_total' && s.labels.type === 'object.created' && s.labels.outcome === 'ok';
    const replicaPut = (s: MetricSample) => s.name === 's3o_backend_requests_total' && s.labels.operation === 'PutObject' && s.labels.status === 'success';
    // The consumer queues the copy and returns: the replica's PUT is counted a moment later.
    const placementMetrics = await waitUntil(
      'placement to have consumed both object.created events and made both replicas',
      () => scrape(`${placement.url}/metrics`),
      (samples) => sum(samples, createdOk) >= 2 && sum(samples, replicaPut) >= 2,
    );
    assert.ok(placementMetrics.some((s) => s.name === 's3o_bus_consumer_lag' && s.labels.consumer?.includes('replication')), 'lag per durable');

    // Health beside the metrics; the gateway's too (database reachable, bus connected).
    const health = await fetch(`${placement.url}/health`);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${sys.url}/health`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${placement.url}/health/ready`)).status, 200);
  });

  testNothingEscaped(() => sys);
});

describe('telemetry: health follows the event bus', () => {
  let sys: E2ESystem;

  before(async () => {
    sys = await startSystem({ mode: 'distributed', nats: 'private', backends: [{}] });
  });
  after(() => sys?.stop());

  const status = async (url: string) => {
    const res = await fetch(`${url}/health`);
    assert.equal(res.status, 200, '/health is 200 whatever the status');
    return ((await res.json()) as { status: string }).status;
  };

  test('/health says degraded while NATS is down and ok once it is back; readiness stays', async () => {
    const gateway = sys.url;
    const placement = sys.distributed!.service('placement')[0]!.url;
    assert.equal(await status(gateway), 'ok');
    assert.equal(await status(placement), 'ok');
    const nats = sys.distributed!.nats.server!;
    await nats.stop();
    await waitUntil('both to report degraded', async () => [await status(gateway), await status(placement)], (s) => s.every((v) => v === 'degraded'));
    // Not ready would take the gateway out of a load balancer: it still takes requests (the outbox keeps the events).
    assert.equal((await fetch(`${gateway}/health/ready`)).status, 200);
    await nats.start();
    await waitUntil('both to report ok again', async () => [await status(gateway), await status(placement)], (s) => s.every((v) => v === 'ok'), { timeoutMs: 20_000 });
  });

  testNothingEscaped(() => sys);
});
