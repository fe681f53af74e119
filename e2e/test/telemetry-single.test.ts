// Observability of the single-process mode (`serve`): one process holds every service, so
// its spans share one service name and say which service made them in `s3o.service`; the
// in-process bus has no publish step, so placement's consume span continues the commit
// that appended the event. The tracing SDK is started here as `s3-orchestrator serve` does.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { startTracing, type TracingHandle } from '@s3o/telemetry';
import {
  KiB,
  metricValue,
  OtlpReceiver,
  parsePrometheusText,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  waitUntil,
  type E2ESystem,
} from '../src/index.js';

const TRACE_ID = randomBytes(16).toString('hex');
const PARENT_ID = randomBytes(8).toString('hex');

describe('telemetry: single process', () => {
  let receiver: OtlpReceiver;
  let tracing: TracingHandle;
  let sys: E2ESystem;
  let s3: S3Client;

  before(async () => {
    receiver = await OtlpReceiver.start();
    tracing = await startTracing({ serviceName: 's3o', url: `${receiver.url}/v1/traces`, sampleRate: 1, exportDelayMs: 200 });
    sys = await startSystem({ mode: 'single', overrides: { replication: { factor: 2, worker_interval: '1h' } } });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    s3.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
        return next(args);
      },
      { step: 'build', name: 'clientTraceparent' },
    );
  });
  after(async () => {
    await sys?.stop();
    await tracing?.shutdown();
    await receiver?.stop();
  });

  test('a PUT is one trace whose spans name their service; placement consumes under the commit', async () => {
    await put(s3, { Bucket: sys.bucket.name, Key: 'single/traced.bin', Body: patternBytes(8 * KiB, 'single') });
    const trace = await waitUntil(
      'the request, the commit, the consume and the replica PUT',
      async () => receiver.trace(TRACE_ID),
      (spans) => ['s3.PutObject', 'ledger.commitWrite', 'consume object.created'].every((n) => spans.some((s) => s.name === n))
        && spans.filter((s) => s.name === 'backend.PutObject').length === 2,
      { timeoutMs: 15_000 },
    );
    assert.ok(trace.every((s) => s.service === 's3o'), 'one process, one service name');
    const request = trace.find((s) => s.name === 's3.PutObject')!;
    assert.equal(request.parentSpanId, PARENT_ID);
    assert.equal(request.attributes['s3o.service'], 'gateway');
    // Who: the key and the user holding it (a config credential is the user `config:<key id>`).
    assert.equal(request.attributes['s3o.access_key_id'], sys.bucket.credentials.accessKeyId);
    assert.equal(request.attributes['s3o.user'], `config:${sys.bucket.credentials.accessKeyId}`);
    const commit = trace.find((s) => s.name === 'ledger.commitWrite')!;
    assert.equal(commit.parentSpanId, request.spanId);
    const consume = trace.find((s) => s.name === 'consume object.created' && s.attributes['s3o.service'] === 'placement');
    assert.ok(consume, `placement's consume span: ${JSON.stringify(trace.map((s) => [s.name, s.attributes['s3o.service']]))}`);
    assert.equal(consume.parentSpanId, commit.spanId, 'in-process: the consumer continues the commit that appended the event');
    const puts = trace.filter((s) => s.name === 'backend.PutObject');
    assert.ok(puts.some((s) => s.parentSpanId === request.spanId), 'the client PUT under the request');
    assert.ok(puts.some((s) => s.parentSpanId === consume.spanId), 'the replica PUT under the consume span');
    assert.ok(!trace.some((s) => s.name.startsWith('publish ')), 'no publish step in-process');
  });

  test('the single process serves every metric on the S3 port', async () => {
    const res = await fetch(`${sys.url}/metrics`);
    assert.equal(res.status, 200);
    const samples = parsePrometheusText(await res.text());
    assert.ok((metricValue(samples, 's3o_requests_total', { method: 'PUT', status_code: '200' }) ?? 0) >= 1);
    const consumed = samples.filter((s) => s.name === 's3o_bus_events_consumed_total' && s.labels.consumer === 'replication');
    assert.ok(consumed.some((s) => s.labels.type === 'object.created' && s.labels.outcome === 'ok' && s.value >= 1), JSON.stringify(consumed));
    assert.ok((metricValue(samples, 's3o_objects_count', { backend: 'b2' }) ?? 0) >= 1, 'the replica on b2 is counted');
  });

  testNothingEscaped(() => sys);
});
