// Skipping redelivered events by recording (consumer, event id) in processed_events. Works
// with either bus: delivery is at-least-once on both.
//
// The record is made BEFORE the effect, in its own transaction, because that is the only
// order in which the ledger's `markProcessed` can stop a second run (it is an insert that
// reports whether the row already existed; there is no separate read). What that implies:
// * a redelivered event whose first run got as far as the record is skipped — also when
//   that run then failed or the process died before the effect was done. For the wrapped
//   handler delivery becomes AT-MOST-once: a failure after the record is not retried.
// * the bus's retries still apply to failures of the record itself (e.g. the database).
// So wrap only handlers whose effect may be lost on a crash without harm (a wake-up, a
// cache refresh), or that re-check state anyway. Effects that must happen exactly once need
// what docs/architecture.md §5 asks for: the (consumer, event id) row written in the same
// transaction as the effect, by a ledger operation that does both (as the notifier's
// `notifications.enqueue` and the usage fold's `applyUsageDelta` do).
import type { EventTypeName } from '@s3o/events';
import type { EventLogLedger } from '@s3o/store';
import type { EventHandler } from '../types.js';

/** `handler`, run at most once per event for `consumer` (see above for what that costs). */
export function idempotent<T extends EventTypeName>(ledger: EventLogLedger, consumer: string, handler: EventHandler<T>): EventHandler<T> {
  return async (event) => {
    const first = await ledger.markProcessed(consumer, event.id);
    if (!first) return;
    await handler(event);
  };
}
