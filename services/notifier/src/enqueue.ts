// The notifier's bus handler: the deliveries an event owes — one per matching endpoint, its
// body built now so every retry sends the same bytes — written to the outbox in the
// transaction that records the event as processed. A redelivered event adds nothing.
import type { NotificationsConfig } from '@s3o/config';
import type { DomainEvent } from '@s3o/events';
import type { NewNotification, NotificationLedger } from '@s3o/store';
import { activeTraceparent } from '@s3o/telemetry';
import { notificationFacts } from './events.js';
import { endpointMatches } from './match.js';
import { buildPayload } from './payload.js';

/** processed_events consumer name (also the bus subscription's). */
export const NOTIFIER_CONSUMER = 'notifications';

export function deliveriesFor(event: DomainEvent, config: NotificationsConfig): NewNotification[] {
  const facts = notificationFacts(event);
  if (!facts) return [];
  // The handler runs in the event's consume span: deliveries continue that trace.
  const traceparent = activeTraceparent() ?? event.traceparent ?? null;
  return config.endpoints
    .filter((endpoint) => endpointMatches(endpoint, facts))
    .map((endpoint) => ({
      endpoint: endpoint.name,
      objectKey: facts.kind === 'object' ? facts.objectKey : null,
      sequencer: facts.kind === 'object' ? facts.sequencer : event.sequencer,
      payload: buildPayload(event, facts, endpoint, config.region).body,
      traceparent,
    }));
}

/** Writes the event's deliveries; true when there were new ones to deliver. */
export async function enqueueDeliveries(ledger: NotificationLedger, config: NotificationsConfig, event: DomainEvent): Promise<boolean> {
  const deliveries = deliveriesFor(event, config);
  if (deliveries.length === 0) return false;
  return ledger.notifications.enqueue(NOTIFIER_CONSUMER, event.id, deliveries);
}
