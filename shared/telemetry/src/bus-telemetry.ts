// Tracing and metrics of the event bus (docs/architecture.md §5), for both drivers.
//
// Trace links: an event appended inside a span carries that span's traceparent in its
// envelope (the ledger fills it). The NATS relay publishes it under a PRODUCER span whose
// parent is that traceparent, and puts the PRODUCER span's own traceparent in the message
// header; a consumer's CONSUMER span takes the header's context (else the envelope's) as
// its parent. So: request → commit → publish → consume → the consumer's own work. The
// in-process bus has no publish step (the commit is the publish): its consumers hang
// directly under the envelope's traceparent.
import { trace } from '@opentelemetry/api';
import { counter, gauge } from './metrics.js';
import {
  contextFromTraceparent, failSpan, inSpan, SERVICE_ATTRIBUTE, SpanKind, traceparentOf, tracer,
} from './tracing.js';

/** The envelope fields tracing needs. */
export interface TracedEvent {
  id: string;
  type: string;
  traceparent: string | null;
}

export type BusSystem = 'nats' | 'in-process';

const published = counter({
  name: 's3o_bus_events_published_total',
  help: 'Events the outbox relay published to the bus, by type',
  labelNames: ['type'] as const,
});

const consumed = counter({
  name: 's3o_bus_events_consumed_total',
  help: 'Event deliveries handled by a consumer, by outcome (ok | failed)',
  labelNames: ['consumer', 'type', 'outcome'] as const,
});

const redelivered = counter({
  name: 's3o_bus_events_redelivered_total',
  help: 'Deliveries of an event a consumer had been given before (retries)',
  labelNames: ['consumer'] as const,
});

const deadLettered = counter({
  name: 's3o_bus_events_dead_lettered_total',
  help: 'Events a consumer gave up on after max_deliver attempts',
  labelNames: ['consumer'] as const,
});

/** Something that can say how far behind its consumers are (one per bus). */
export type LagSource = () => Promise<Array<{ consumer: string; lag: number }>>;
const lagSources = new Set<LagSource>();

gauge({
  name: 's3o_bus_consumer_lag',
  help: 'Events waiting for a consumer (not yet delivered, or delivered and not acknowledged), read at scrape time',
  labelNames: ['consumer'] as const,
  async collect() {
    this.reset();
    const results = await Promise.allSettled([...lagSources].map((source) => source()));
    for (const r of results) {
      if (r.status !== 'fulfilled') continue; // a bus that cannot answer now shows no lag rather than failing the scrape
      for (const { consumer, lag } of r.value) this.set({ consumer }, lag);
    }
  },
});

/** Adds a bus's lag to `s3o_bus_consumer_lag`; returns the remover (call it when the bus stops). */
export function registerLagSource(source: LagSource): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

export interface PublishSpan {
  /** the traceparent to put in the message header: the PRODUCER span's, else the envelope's */
  headerTraceparent: string | null;
  end(err?: unknown): void;
}

/** A PRODUCER span for publishing one event, under the envelope's traceparent; none for an event outside any trace. */
export function startPublishSpan(event: TracedEvent, destination: string): PublishSpan {
  if (!event.traceparent) {
    return { headerTraceparent: null, end: (err) => { if (!err) published.inc({ type: event.type }); } };
  }
  const parent = contextFromTraceparent(event.traceparent);
  const span = tracer().startSpan(`publish ${event.type}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'nats',
      'messaging.operation.type': 'publish',
      'messaging.destination.name': destination,
      'messaging.message.id': event.id,
    },
  }, parent);
  return {
    headerTraceparent: traceparentOf(trace.setSpan(parent, span)) ?? event.traceparent,
    end: (err) => {
      if (err) failSpan(span, err);
      else published.inc({ type: event.type });
      span.end();
    },
  };
}

export interface Delivery {
  event: TracedEvent;
  /** durable / consumer name */
  consumer: string;
  /** the service the consumer belongs to, when the process runs several */
  service?: string;
  system: BusSystem;
  /** 1 for a first delivery */
  attempt: number;
  /** the message header's traceparent (NATS), preferred over the envelope's as the parent */
  headerTraceparent?: string | null;
}

/**
 * Runs a consumer's handler for one delivery under a CONSUMER span and counts it. The
 * handler's own work (ledger, backend calls, appended events) lands in the same trace.
 */
export function consumeEvent<T>(delivery: Delivery, handler: () => Promise<T>): Promise<T> {
  const { event, consumer } = delivery;
  if (delivery.attempt > 1) redelivered.inc({ consumer });
  const parent = contextFromTraceparent(delivery.headerTraceparent || event.traceparent);
  return inSpan(`consume ${event.type}`, {
    kind: SpanKind.CONSUMER,
    parent,
    attributes: {
      'messaging.system': delivery.system === 'nats' ? 'nats' : 's3o-in-process',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': consumer,
      'messaging.message.id': event.id,
      's3o.event.type': event.type,
      's3o.delivery.attempt': delivery.attempt,
      ...(delivery.service ? { [SERVICE_ATTRIBUTE]: delivery.service } : {}),
    },
  }, async () => {
    try {
      const result = await handler();
      consumed.inc({ consumer, type: event.type, outcome: 'ok' });
      return result;
    } catch (err) {
      consumed.inc({ consumer, type: event.type, outcome: 'failed' });
      throw err;
    }
  });
}

/** Counts an event a consumer gave up on. */
export function countDeadLettered(consumer: string): void {
  deadLettered.inc({ consumer });
}
