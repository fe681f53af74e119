// The bus interface every service codes against: the in-process bus (SQLite) and NATS
// JetStream. Delivery is at-least-once; handlers must be idempotent.
//
// The bus is where events enter a process from event_log or NATS — anything may have written
// them — so it checks each event against the schema of its type (@s3o/events parseEvent)
// before a handler sees it: handlers get typed data. An event that fails the check is
// dead-lettered at once (retrying cannot make it readable).
import type { DomainEvent, EventTypeName } from '@s3o/events';

export type EventHandler<T extends EventTypeName = EventTypeName> = (event: DomainEvent<T>) => Promise<void>;

export interface Subscription<T extends EventTypeName = EventTypeName> {
  /** durable consumer name, unique per (service, purpose) */
  consumer: string;
  /** event types this consumer acts on; others are passed over */
  types: readonly T[];
  handler: EventHandler<T>;
  /** the service the consumer belongs to, named on its trace spans (a process may run several) */
  service?: string;
}

export interface EventBus {
  subscribe<T extends EventTypeName>(sub: Subscription<T>): void;
  /**
   * Events were appended: consumers in this process look now instead of at the next poll.
   * The bus listens to its ledger's `eventsAppended` for this itself; nobody else need call it.
   */
  notify(): void;
  start(): void;
  /**
   * After start(): resolves once the bus can deliver (NATS: connected, streams and durables
   * in place); rejects if the bus is stopped first. Readiness probes wait for it.
   */
  ready(): Promise<void>;
  /** false while the bus cannot reach its broker (NATS disconnected); health reports degraded */
  isConnected(): boolean;
  /** Stops taking events and waits for handlers in flight. */
  stop(): Promise<void>;
}
