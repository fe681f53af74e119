// Trace links of the in-process bus over a real SQLite ledger, with the OpenTelemetry SDK
// exporting to a receiver in this test: an event appended inside a span carries that
// span's traceparent, and its consumer runs under a CONSUMER span continuing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_REQUEST, objectCreated } from '@s3o/events';
import { openLedger, type Ledger, type StoredEvent } from '@s3o/store';
import { activeTraceparent, inSpan, silentLogger, startTracing, traceCalls } from '@s3o/telemetry';
import { InProcessBus } from '../src/index.js';

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP JSON receiver: every span it is sent. */
async function receiver(): Promise<{ url: string; spans: Span[]; close(): Promise<void> }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Span & { attributes: Array<{ key: string; value: Record<string, unknown> }> }> }> }>;
      };
      for (const rs of body.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            const attributes = Object.fromEntries(s.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
            spans.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || null, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, close: () => new Promise((r) => server.close(() => r())) };
}

const created = (objectKey: string) =>
  objectCreated('Put', { object: { objectKey, size: 1, etag: 'e', contentType: 'text/plain' }, copies: [], displaced: [] }, NO_REQUEST);

test('an event appended in a span is consumed under a CONSUMER span of the same trace', async () => {
  const sink = await receiver();
  const tracing = await startTracing({ serviceName: 's3o-test', url: sink.url, sampleRate: 1 });
  const dir = await mkdtemp(join(tmpdir(), 's3o-bus-trace-'));
  const raw = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'test', traceparent: activeTraceparent });
  const ledger: Ledger = traceCalls(raw, { prefix: 'ledger' });
  const bus = new InProcessBus({ ledger, logger: silentLogger(), maxDeliver: 3, pollIntervalMs: 50 });
  const handled: Array<{ event: StoredEvent; traceparent: string | null }> = [];
  bus.subscribe({
    consumer: 'replication',
    service: 'placement',
    types: ['object.created'],
    handler: async (event) => {
      handled.push({ event, traceparent: activeTraceparent() });
    },
  });
  bus.start();
  try {
    await inSpan('request', {}, async () => {
      await ledger.appendEvents([created('b/k')]);
    });
    // Outside any span: the event carries no traceparent and its consumer starts a trace of its own.
    await ledger.appendEvents([created('b/untraced')]);
    bus.notify();
    for (let i = 0; i < 200 && handled.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(handled.length, 2);
  } finally {
    await bus.stop();
    await ledger.close();
    await tracing.shutdown();
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }

  const request = sink.spans.find((s) => s.name === 'request')!;
  const append = sink.spans.find((s) => s.name === 'ledger.appendEvents' && s.traceId === request.traceId)!;
  assert.equal(append.parentSpanId, request.spanId, 'the ledger operation is a span under the caller');
  const [traced, untraced] = handled;
  assert.equal(traced!.event.traceparent, `00-${request.traceId}-${append.spanId}-01`, 'the event carries the span it was appended in');
  const consumes = sink.spans.filter((s) => s.name === 'consume object.created');
  assert.equal(consumes.length, 2);
  const consume = consumes.find((s) => s.traceId === request.traceId)!;
  assert.equal(consume.parentSpanId, append.spanId);
  assert.equal(consume.attributes['s3o.service'], 'placement');
  assert.equal(consume.attributes['messaging.consumer.group.name'], 'replication');
  assert.equal(traced!.traceparent, `00-${request.traceId}-${consume.spanId}-01`, 'the handler runs inside the consume span');

  assert.equal(untraced!.event.traceparent, null);
  const own = consumes.find((s) => s.traceId !== request.traceId)!;
  assert.equal(own.parentSpanId, null);
  // Ledger reads of the consumer loop outside any span make no spans of their own.
  assert.deepEqual(sink.spans.filter((s) => s.name === 'ledger.readEventsAfter'), []);
});
