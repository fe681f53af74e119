// The notification outbox (docs/architecture.md §4 `notification_outbox`): one row per delivery of one event
// to one endpoint, written by the notifier in the transaction that records the event as
// processed, worked by its delivery loop, dead-lettered after the endpoint's retries.
// The statements each engine implements, and the operations the notifier calls.

/** A delivery to write: the payload is the exact body that will be signed and sent. */
export interface NewNotification {
  endpoint: string;
  /** internal key (`bucket/key`) of an object event — deliveries of one key go in sequencer order; null for operational events */
  objectKey: string | null;
  /** the event's sequencer (hex, increasing per key in commit order) */
  sequencer: string;
  payload: string;
  /** W3C traceparent the delivery continues (the trace of the event's request); null outside a trace */
  traceparent?: string | null;
}

export type NotificationState = 'pending' | 'dead';

export interface NotificationRow extends NewNotification {
  id: number;
  eventId: string;
  state: NotificationState;
  attempts: number;
  nextRetry: number;
  lastError: string | null;
  createdAt: number;
}

/** Statements over notification_outbox usable outside a transaction. */
export interface NotificationReadStatements {
  /** Dead rows by id, after `afterId`. */
  listDeadNotifications(afterId: number | null, limit: number): Promise<NotificationRow[]>;
  countNotifications(state: NotificationState): Promise<number>;
}

/** Statements over notification_outbox usable inside `withTx`. */
export interface NotificationTxStatements {
  /** Insert the row (pending, attempts 0, due at `now`) unless (event id, endpoint) has one; true when inserted. */
  insertNotification(eventId: string, row: NewNotification, now: number): Promise<boolean>;
  /**
   * Lease up to `limit` pending rows that are due (next_retry <= now), whose lease is unset or
   * expired, and that no pending row of the same key and endpoint with a smaller sequencer
   * precedes (Postgres: FOR UPDATE SKIP LOCKED, so concurrent notifiers take disjoint rows).
   * Sets claimed_until; returns them by (next_retry, id).
   */
  claimDueNotifications(now: number, claimedUntil: number, limit: number): Promise<NotificationRow[]>;
  /** Delete a delivered row; false when it is gone. */
  deleteNotification(id: number): Promise<boolean>;
  /** attempts + 1, last_error, next_retry, lease cleared, still pending; false when the row is gone. */
  recordNotificationFailure(id: number, error: string, nextRetry: number): Promise<boolean>;
  /** attempts + 1, last_error, state dead, lease cleared; false when the row is gone. */
  markNotificationDead(id: number, error: string): Promise<boolean>;
  /** Dead rows (those of `ids`, or all when null) back to pending: attempts 0, due at `now`, no lease. Returns how many. */
  requeueDeadNotifications(ids: number[] | null, now: number): Promise<number>;
}

/** The notifier's operations on the outbox; each one transaction. */
export interface NotificationOutbox {
  /**
   * In one transaction: record `(consumer, eventId)` as processed and write `deliveries`
   * (each unique on event id + endpoint). False — and nothing written — when the event was
   * processed before (a redelivery).
   */
  enqueue(consumer: string, eventId: string, deliveries: NewNotification[]): Promise<boolean>;
  /** Rows due now (see NotificationTxStatements.claimDueNotifications), leased for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<NotificationRow[]>;
  /** Delivered: the row goes. */
  delivered(id: number): Promise<void>;
  /** A failed attempt; tried again at `nextRetry`. */
  failed(id: number, error: string, nextRetry: number): Promise<void>;
  /** The last attempt failed: the row stays, dead, until requeued. */
  dead(id: number, error: string): Promise<void>;
  /** Dead rows by id, after `afterId` (null = from the first). */
  listDead(afterId: number | null, limit: number): Promise<NotificationRow[]>;
  depth(state: NotificationState): Promise<number>;
  /** Dead rows back to pending, due now with attempts 0; `ids` null = all. Returns how many. */
  requeueDead(ids: number[] | null): Promise<number>;
}

/** The notifier's delivery queue (notification_outbox), and what the admin API shows of it. */
export interface NotificationLedger {
  readonly notifications: NotificationOutbox;
}
