// Pruning the event log (docs/architecture.md §5 "Pruning the event log"). Every commit appends
// events to event_log and every consumer that applies one records it in processed_events;
// without this job both tables grow for ever. A row goes once no consumer can be handed its
// event again: on NATS, once the stream has dropped it (published longer ago than
// bus.retention); with the in-process bus, once every consumer that is still moving has read
// past it and it is older than bus.retention. A processed_events record goes with its event.
import type { CleanupDeps } from './deps.js';

export interface EventPruneCounts {
  /** event_log rows deleted */
  events: number;
  /** processed_events rows deleted */
  processed: number;
}

/** Rows per transaction: short transactions, so commits are never held up for long. */
const BATCH = 5000;

/**
 * Added to bus.retention: a row's published_at is stamped in the relay's transaction, a
 * moment before the stream stores the message, and processes' clocks differ a little.
 */
export const PRUNE_MARGIN_MS = 60 * 60 * 1000;

export class EventLogPrune {
  private readonly clock: () => number;

  constructor(private readonly deps: CleanupDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async pass(signal: AbortSignal): Promise<EventPruneCounts> {
    const { ledger, config } = this.deps;
    const before = this.clock() - config.bus.retentionMs - PRUNE_MARGIN_MS;
    const unpublishedToo = config.bus.driver === 'memory';
    const counts: EventPruneCounts = { events: 0, processed: 0 };
    while (!signal.aborted) {
      const batch = await ledger.pruneEventLog({ before, unpublishedToo, limit: BATCH });
      counts.events += batch.events;
      counts.processed += batch.processed;
      if (batch.events < BATCH && batch.processed < BATCH) break;
    }
    return counts;
  }
}
