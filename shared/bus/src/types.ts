// The bus interface every service codes against: the in-process bus here, NATS
// JetStream next. Delivery is at-least-once; handlers must be idempotent.
import type { StoredEvent } from '@s3o/store';

export type EventHandler = (event: StoredEvent) => Promise<void>;

export interface Subscription {
  /** durable consumer name, unique per (service, purpose) */
  consumer: string;
  /** event types this consumer acts on; others are passed over */
  types: readonly string[];
  handler: EventHandler;
  /** the service the consumer belongs to, named on its trace spans (a process may run several) */
  service?: string;
}

export interface EventBus {
  subscribe(sub: Subscription): void;
  /** A commit appended events: consumers in this process look now instead of at the next poll. */
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
