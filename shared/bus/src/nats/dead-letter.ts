// Giving up on an event (docs/architecture.md §5 "Delivery"): the ledger's dead_events row is the record
// operators and tools read; the copy in the dead-letter stream keeps the full envelope with
// why it died. Both are keyed by (consumer, event id), so doing this again after a crash
// half-way is harmless.
import { headers } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { EventLogLedger } from '@s3o/store';
import { TRACEPARENT_HEADER } from './envelope.js';
import type { NatsLayout } from './layout.js';

/** Headers on a dead letter, beside the original traceparent. */
export const DeadLetterHeaders = {
  consumer: 'S3o-Dead-Consumer',
  eventId: 'S3o-Dead-Event-Id',
  attempts: 'S3o-Dead-Attempts',
  error: 'S3o-Dead-Error',
  subject: 'S3o-Dead-Subject',
  streamSeq: 'S3o-Dead-Stream-Seq',
} as const;

/** Header values are one line; an error message gets truncated too. */
const MAX_ERROR_CHARS = 1000;

export interface DeadLetter {
  /** durable consumer name */
  consumer: string;
  eventId: string;
  /** handler attempts made */
  attempts: number;
  error: string;
}

export async function deadLetter(
  deps: { ledger: EventLogLedger; js: JetStreamClient; layout: NatsLayout; publishTimeoutMs: number },
  msg: JsMsg,
  letter: DeadLetter,
): Promise<void> {
  const { ledger, js, layout, publishTimeoutMs } = deps;
  await ledger.recordDeadEvent(letter.consumer, letter.eventId, letter.attempts, letter.error);
  const h = headers();
  h.set(DeadLetterHeaders.consumer, letter.consumer);
  h.set(DeadLetterHeaders.eventId, letter.eventId);
  h.set(DeadLetterHeaders.attempts, String(letter.attempts));
  h.set(DeadLetterHeaders.error, oneLine(letter.error));
  h.set(DeadLetterHeaders.subject, msg.subject);
  h.set(DeadLetterHeaders.streamSeq, String(msg.seq));
  const traceparent = msg.headers?.get(TRACEPARENT_HEADER);
  if (traceparent) h.set(TRACEPARENT_HEADER, traceparent);
  await js.publish(layout.deadSubject, msg.data, {
    headers: h,
    msgID: `${letter.consumer}:${letter.eventId}`,
    timeout: publishTimeoutMs,
  });
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n\u0000-\u001f]+/g, ' ').trim();
  return flat.length > MAX_ERROR_CHARS ? `${flat.slice(0, MAX_ERROR_CHARS)}...` : flat || '(no message)';
}
