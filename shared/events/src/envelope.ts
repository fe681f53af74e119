// The event envelope (docs/architecture.md, "Events"): identical in event_log and on the bus.
// Three views of one event:
// * NewEvent — what a producer hands the store to append (id, time and seq are the store's);
// * EventRecord — an event as read back from event_log or a NATS message: its data not yet
//   checked, since anything may have written it;
// * DomainEvent — a record whose data the schema of its type has checked (parseEvent): what
//   bus handlers get.
import { EVENT_SCHEMAS, type EventDataMap, type EventTypeName } from './schemas.js';

/** An event to append, typed by its type; `data` is exactly that type's data. */
export type NewEvent<T extends EventTypeName = EventTypeName> = {
  [K in T]: {
    type: K;
    /** the internal key of an object event, the backend name of a backend event */
    resource: string;
    data: EventDataMap[K];
    /** the W3C traceparent to continue; the store stamps the caller's active one when absent */
    traceparent?: string | null;
  };
}[T];

/** An event as stored (event_log) and carried (the bus), its data unchecked. */
export interface EventRecord {
  seq: number;
  id: string;
  type: string;
  /** ISO 8601 */
  time: string;
  resource: string;
  source: string;
  traceparent: string | null;
  data: Record<string, unknown>;
  /** `seq` as 16 hex digits */
  sequencer: string;
  publishedAt: number | null;
}

/** A record whose data has been checked against its type's schema. */
export type DomainEvent<T extends EventTypeName = EventTypeName> = {
  [K in T]: Omit<EventRecord, 'type' | 'data'> & { type: K; data: EventDataMap[K] };
}[T];

/** A record that is not an event this version can read: an unknown type, or data its schema refuses. */
export class MalformedEventError extends Error {
  constructor(readonly eventId: string, readonly eventType: string, problem: string) {
    super(`event ${eventId} (${eventType}) is malformed: ${problem}`);
    this.name = 'MalformedEventError';
  }
}

export function isEventType(type: string): type is EventTypeName {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, type);
}

/**
 * Checks a record's data against the schema of its type, once, where it enters the process.
 * The data returned holds the fields this version knows. Throws MalformedEventError.
 */
export function parseEvent(record: EventRecord): DomainEvent {
  if (!isEventType(record.type)) throw new MalformedEventError(record.id, record.type, 'unknown event type');
  const parsed = EVENT_SCHEMAS[record.type].safeParse(record.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
    throw new MalformedEventError(record.id, record.type, problems.join('; '));
  }
  return { ...record, type: record.type, data: parsed.data } as DomainEvent;
}
