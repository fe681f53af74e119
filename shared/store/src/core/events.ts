// The event log (EventLedger, EventLogLedger; docs/architecture.md, "Events"): appending
// events without a state change of their own, and what the buses do with the log — read it
// in seq order, keep consumer offsets, relay the outbox to NATS, record redeliveries and
// dead letters. Events that go with a state change are appended by that change's own
// transaction (TxWork.append).
import type { EventLedger, EventLogLedger, EventsAppendedSignal } from '../ledger.js';
import type { EventRow } from '../tx-adapter.js';
import type { NewEvent, StoredEvent } from '../types.js';
import { sequencerOf, type Core } from './tx-work.js';

export function eventOperations(core: Core): EventLedger {
  return {
    async appendEvents(events: NewEvent[]): Promise<void> {
      if (events.length === 0) return;
      await core.withWork(async (work) => work.append(events));
    },
  };
}

export function eventLogOperations(core: Core, eventsAppended: EventsAppendedSignal): EventLogLedger {
  return {
    eventsAppended,

    async readEventsAfter(seq: number, limit: number): Promise<StoredEvent[]> {
      if (limit <= 0) return [];
      const rows = await core.read((q) => q.selectEventsAfter(seq, limit));
      return rows.map(storedEvent);
    },

    async latestEventSeq(): Promise<number> {
      return core.read((q) => q.selectLatestEventSeq());
    },

    async getConsumerOffset(consumer: string): Promise<number> {
      return (await core.read((q) => q.selectConsumerOffset(consumer))) ?? 0;
    },

    async setConsumerOffset(consumer: string, seq: number): Promise<void> {
      await core.withWork(({ tx, now }) => tx.upsertConsumerOffset(consumer, seq, now));
    },

    async relayEvents(limit: number, publish: (events: StoredEvent[]) => Promise<void>): Promise<number> {
      return core.withWork(async ({ tx, now }) => {
        const rows = await tx.lockUnpublishedEvents(limit);
        if (rows.length === 0) return 0;
        await publish(rows.map(storedEvent));
        await tx.markEventsPublished(rows.map((r) => r.seq), now);
        return rows.length;
      });
    },

    async markProcessed(consumer: string, eventId: string): Promise<boolean> {
      return core.withWork(({ tx, now }) => tx.insertProcessedEvent(consumer, eventId, now));
    },

    async recordDeadEvent(consumer: string, eventId: string, attempts: number, lastError: string): Promise<void> {
      await core.withWork(({ tx, now }) => tx.upsertDeadEvent(consumer, eventId, attempts, lastError, now));
    },

    async pruneEventLog({ before, unpublishedToo, limit }) {
      if (limit <= 0) return { events: 0, processed: 0 };
      return core.withWork(async ({ tx }) => {
        // Events first: their processed_events rows become prunable in the same transaction.
        const events = await tx.deleteSettledEvents(before, unpublishedToo, limit);
        const processed = await tx.deleteSettledProcessedEvents(before, limit);
        return { events, processed };
      });
    },
  };
}

function storedEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    id: r.id,
    type: r.type,
    time: new Date(r.createdAt).toISOString(),
    resource: r.resource,
    source: r.source,
    traceparent: r.traceparent,
    data: r.data,
    sequencer: sequencerOf(r.seq),
    publishedAt: r.publishedAt,
  };
}
