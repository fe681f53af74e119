// The event envelope on the bus (docs/architecture.md §5): the same JSON as event_log, plus `seq` and
// `sequencer` so a consumer rebuilds the StoredEvent it would get from the in-process bus.
// The W3C traceparent travels both in the envelope and as a NATS header, so tracing
// middleware can pick it up without parsing the body.
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import type { StoredEvent } from '@s3o/store';

export const TRACEPARENT_HEADER = 'traceparent';

interface Envelope {
  id: string;
  type: string;
  time: string;
  resource: string;
  source: string;
  traceparent: string | null;
  data: Record<string, unknown>;
  seq: number;
  sequencer: string;
}

const encoder = new TextEncoder();

/**
 * `headerTraceparent` is what the header carries when the publisher traces the publish
 * (its PRODUCER span's context); by default the envelope's traceparent.
 */
export function encodeEvent(event: StoredEvent, headerTraceparent: string | null = event.traceparent): { payload: Uint8Array; headers: MsgHdrs | undefined } {
  const envelope: Envelope = {
    id: event.id,
    type: event.type,
    time: event.time,
    resource: event.resource,
    source: event.source,
    traceparent: event.traceparent,
    data: event.data,
    seq: event.seq,
    sequencer: event.sequencer,
  };
  let h: MsgHdrs | undefined;
  if (headerTraceparent) {
    h = headers();
    h.set(TRACEPARENT_HEADER, headerTraceparent);
  }
  return { payload: encoder.encode(JSON.stringify(envelope)), headers: h };
}

/**
 * Rebuilds the event from a stream message. `publishedAt` is when the stream stored it.
 * Throws on a message that is not an envelope: the caller dead-letters it.
 */
export function decodeEvent(msg: JsMsg): StoredEvent {
  const raw: unknown = msg.json();
  if (!isEnvelope(raw)) throw new Error('not an event envelope');
  return {
    seq: raw.seq,
    id: raw.id,
    type: raw.type,
    time: raw.time,
    resource: raw.resource,
    source: raw.source,
    // MsgHdrs.get answers '' for a header that is not there.
    traceparent: raw.traceparent ?? (msg.headers?.get(TRACEPARENT_HEADER) || null),
    data: raw.data,
    sequencer: raw.sequencer,
    publishedAt: msg.time.getTime(),
  };
}

function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.id === 'string' && typeof e.type === 'string' && typeof e.time === 'string' &&
    typeof e.resource === 'string' && typeof e.source === 'string' &&
    (e.traceparent === null || e.traceparent === undefined || typeof e.traceparent === 'string') &&
    typeof e.data === 'object' && e.data !== null && !Array.isArray(e.data) &&
    typeof e.seq === 'number' && typeof e.sequencer === 'string'
  );
}
