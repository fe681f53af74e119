// The in-process bus (docs/architecture.md §5): each consumer tails event_log after its offset in
// consumer_offsets, in seq order. Woken after every commit that appended events (the
// ledger's `eventsAppended`), and polls as a safety net. A failing handler is retried with backoff; after max_deliver attempts the
// event goes to dead_events and the consumer moves on, so one poison event never blocks
// the rest. Only valid with SQLite, where seq order is commit order.
import { parseEvent, type DomainEvent, type EventTypeName } from '@s3o/events';
import type { EventLogLedger, StoredEvent } from '@s3o/store';
import { consumeEvent, countDeadLettered, registerLagSource, type Logger } from '@s3o/telemetry';
import type { EventBus, Subscription } from './types.js';

export interface InProcessBusOptions {
  ledger: EventLogLedger;
  logger: Logger;
  maxDeliver: number;
  pollIntervalMs: number;
  /** first retry delay; doubles per attempt */
  retryBaseMs?: number;
  batchSize?: number;
}

/**
 * One read of event_log for every consumer that asks for the same page at the same time.
 * A commit wakes every consumer at once and, caught up, they all ask for the events after
 * the same seq: without this each commit cost one read per consumer on the single reader
 * connection. Committed rows never change (SQLite: seq order is commit order), so sharing
 * the answer is exact.
 */
class SharedEventReader {
  private readonly inFlight = new Map<string, Promise<StoredEvent[]>>();

  constructor(private readonly ledger: EventLogLedger) {}

  read(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const key = `${afterSeq}:${limit}`;
    let page = this.inFlight.get(key);
    if (!page) {
      page = this.ledger.readEventsAfter(afterSeq, limit).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, page);
    }
    return page;
  }
}

/**
 * Parsed events by the stored record they came from. Consumers that read the same page share
 * its record objects (SharedEventReader), so an event several consumers want (object.created:
 * replication, notifications, usage…) is validated once instead of once per consumer. Handlers
 * read events and never change them.
 */
const parsedEvents = new WeakMap<StoredEvent, DomainEvent>();

function parseOnce(record: StoredEvent): DomainEvent {
  let event = parsedEvents.get(record);
  if (!event) parsedEvents.set(record, (event = parseEvent(record)));
  return event;
}

/** Passed-over events are re-read after a crash: keep that bounded. */
const LAZY_OFFSET_EVENTS = 1000;
const LAZY_OFFSET_MS = 5000;

class ConsumerLoop {
  private wakeUp: (() => void) | null = null;
  private pending = false;
  private stopped = false;
  private done: Promise<void> | null = null;
  /** next event to look at is after this seq; null until read from the database */
  private offset: number | null = null;
  private persisted = 0;
  private persistedAt = 0;

  private readonly types: ReadonlySet<string>;

  constructor(
    private readonly sub: Subscription,
    private readonly opts: InProcessBusOptions,
    private readonly reader: SharedEventReader,
  ) {
    this.types = new Set(sub.types);
  }

  start(): void {
    this.done = this.run();
  }

  /** The consumer's name and the seq it has handled up to (null before its first read). */
  position(): { consumer: string; offset: number | null } {
    return { consumer: this.sub.consumer, offset: this.offset };
  }

  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    const { logger } = this.opts;
    while (!this.stopped) {
      this.pending = false;
      let drained = false;
      try {
        await this.catchUp();
        drained = true;
      } catch (err) {
        logger.error({ err, consumer: this.sub.consumer }, 'event consumer failed; retrying at the next poll');
      }
      if (drained && this.pending) continue;
      await this.sleep(this.opts.pollIntervalMs);
    }
    await this.persist().catch((err) => logger.warn({ err, consumer: this.sub.consumer }, 'could not save the consumer offset at stop'));
  }

  /**
   * Reads every event after the offset and delivers the ones of our types. The offset
   * lives in memory (this loop is its only writer) and is saved after a batch that
   * delivered something, or lazily after events we pass over — re-reading those after a
   * crash is harmless, and most commits concern only some consumers.
   */
  private async catchUp(): Promise<void> {
    const { ledger } = this.opts;
    const batchSize = this.opts.batchSize ?? 200;
    if (this.offset === null) {
      this.offset = await ledger.getConsumerOffset(this.sub.consumer);
      this.persisted = this.offset;
    }
    for (;;) {
      const events = await this.reader.read(this.offset, batchSize);
      let delivered = false;
      for (const event of events) {
        if (this.stopped) return;
        if (this.types.has(event.type)) {
          await this.deliver(event);
          delivered = true;
        }
        this.offset = event.seq;
      }
      if (delivered || this.offset - this.persisted >= LAZY_OFFSET_EVENTS || Date.now() - this.persistedAt >= LAZY_OFFSET_MS) {
        await this.persist();
      }
      if (events.length < batchSize) return;
    }
  }

  private async persist(): Promise<void> {
    if (this.offset === null || this.offset === this.persisted) return;
    const offset = this.offset;
    await this.opts.ledger.setConsumerOffset(this.sub.consumer, offset);
    this.persisted = offset;
    this.persistedAt = Date.now();
  }

  private async deliver(record: StoredEvent): Promise<void> {
    const { maxDeliver, logger, ledger } = this.opts;
    const base = this.opts.retryBaseMs ?? 100;
    let event: DomainEvent;
    try {
      event = parseOnce(record);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error({ err, consumer: this.sub.consumer, eventId: record.id, type: record.type }, 'malformed event dead-lettered');
      countDeadLettered(this.sub.consumer);
      await ledger.recordDeadEvent(this.sub.consumer, record.id, 0, message);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const delivery = { event, consumer: this.sub.consumer, service: this.sub.service, system: 'in-process' as const, attempt };
        await consumeEvent(delivery, () => this.sub.handler(event));
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= maxDeliver || this.stopped) {
          logger.error({ err, consumer: this.sub.consumer, eventId: event.id, type: event.type, attempt }, 'event dead-lettered');
          countDeadLettered(this.sub.consumer);
          await ledger.recordDeadEvent(this.sub.consumer, event.id, attempt, message);
          return;
        }
        logger.warn({ err, consumer: this.sub.consumer, eventId: event.id, attempt }, 'event handler failed; retrying');
        // A plain delay: wake-ups from new commits must not cut a retry's backoff short.
        await new Promise((resolve) => setTimeout(resolve, base * 2 ** (attempt - 1)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}

export class InProcessBus implements EventBus {
  private readonly loops: ConsumerLoop[] = [];
  private readonly reader: SharedEventReader;
  private started = false;
  private wakeScheduled = false;
  private unregisterLag: (() => void) | null = null;
  private stopListening: (() => void) | null = null;

  constructor(private readonly opts: InProcessBusOptions) {
    this.reader = new SharedEventReader(opts.ledger);
  }

  subscribe<T extends EventTypeName>(sub: Subscription<T>): void {
    // The loop hands the handler only events of `sub.types`, checked against their schemas.
    const loop = new ConsumerLoop(sub as unknown as Subscription, this.opts, this.reader);
    this.loops.push(loop);
    if (this.started) loop.start();
  }

  /**
   * Wakes the consumers on the next turn of the event loop, not now: a commit's caller (a
   * request about to answer its client) runs to its reply first, instead of waiting for every
   * consumer's synchronous SQLite read queued ahead of it. Commits in one turn wake them once.
   */
  notify(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      for (const loop of this.loops) loop.wake();
    });
  }

  start(): void {
    this.started = true;
    this.stopListening = this.opts.ledger.eventsAppended.listen(() => this.notify());
    for (const loop of this.loops) loop.start();
    // s3o_bus_consumer_lag: events between a consumer's position and the newest event (it
    // passes over the types it does not take, so every event counts), read at scrape time.
    this.unregisterLag = registerLagSource(async () => {
      const latest = await this.opts.ledger.latestEventSeq();
      return this.loops.map((loop) => {
        const { consumer, offset } = loop.position();
        return { consumer, lag: offset === null ? 0 : Math.max(0, latest - offset) };
      });
    });
  }

  /** Consumers read the ledger directly: ready as soon as started. */
  async ready(): Promise<void> {}

  isConnected(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    this.stopListening = null;
    this.unregisterLag?.();
    this.unregisterLag = null;
    await Promise.all(this.loops.map((l) => l.stop()));
  }
}
