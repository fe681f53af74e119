// Distributed tracing (OpenTelemetry, docs/architecture.md §5): one SDK per process, exporting spans over
// OTLP/HTTP (JSON) to a collector — Jaeger in docker compose. Sampling is decided where a
// trace starts (a client request, a background job) by trace id ratio, and followed by every
// span below it, also in other processes (ParentBased): one PUT is kept whole or not at all.
// The W3C `traceparent` carries the context over HTTP, the event envelope and NATS headers.
//
// With tracing off nothing is loaded and the API's no-op tracer makes every span helper
// nearly free; the SDK is imported only when tracing is on (it is not small).
import {
  context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';
import type { Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';

export { SpanKind, SpanStatusCode, type Span, type Context, type Attributes };

export interface TracingOptions {
  /** `service.name` of the process's spans: `s3o-gateway`, `s3o-placement` …, `s3o` for `serve` */
  serviceName: string;
  /** OTLP/HTTP traces URL, e.g. http://jaeger:4318/v1/traces */
  url: string;
  /** fraction of traces kept, 0..1 */
  sampleRate: number;
  /** how long spans are batched before export (default 1 s) */
  exportDelayMs?: number;
}

export interface TracingHandle {
  /** Exports what is still batched and stops the SDK. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 's3-orchestrator';
/** Attribute naming the service of a span when one process runs several (`serve`). */
export const SERVICE_ATTRIBUTE = 's3o.service';

export async function startTracing(options: TracingOptions): Promise<TracingHandle> {
  const [{ NodeSDK }, { OTLPTraceExporter }, base, { resourceFromAttributes }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  const exporter = new OTLPTraceExporter({ url: options.url });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.instance.id': `${process.pid}` }),
    // Resource detection reads the host and the environment: not needed, and slow at start.
    autoDetectResources: false,
    sampler: dropDriverSpans(
      new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(options.sampleRate) }),
      base.SamplingDecision.NOT_RECORD,
    ),
    spanProcessors: [new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs ?? 1000 })],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/**
 * Libraries we use that trace themselves on the global tracer: slonik makes a span per
 * connection, query and row. The ledger's own span per operation (traced-calls.ts) says what
 * matters; theirs would multiply every trace many times over.
 */
const DRIVER_SPAN_PREFIXES = ['slonik.'];

function dropDriverSpans(inner: Sampler, notRecord: SamplingDecision): Sampler {
  return {
    shouldSample(ctx, traceId, spanName, spanKind, attributes, links) {
      if (DRIVER_SPAN_PREFIXES.some((p) => spanName.startsWith(p))) return { decision: notRecord };
      return inner.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `DropDriverSpans{${inner.toString()}}`,
  };
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The W3C traceparent of the active span, to store with an event; null outside a span. */
export function activeTraceparent(): string | null {
  return traceparentOf(context.active());
}

/** The W3C traceparent of `ctx`'s span; null when it holds no valid span (always, with tracing off). */
export function traceparentOf(ctx: Context): string | null {
  const sc = trace.getSpan(ctx)?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return null;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The context a W3C traceparent stands for (a remote parent); the root context without one. */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** A context with `span` active under `parent` (default: the active context). */
export function withSpanContext(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/** Runs `fn` (and whatever it starts) with `ctx` as the active context. */
export function runInContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The context an incoming request's headers carry (its W3C traceparent), under the active one. */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** Marks the span failed with `err` (recorded as an exception event). */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * Runs `fn` in a new active span that ends when it settles; a rejection marks the span
 * failed and is rethrown. `parent` defaults to the active context.
 */
export function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Whether a span is active (background loops do not start traces of their own for routine reads). */
export function hasActiveSpan(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}
