// Works the notification outbox: claims due deliveries with a lease (so several notifier
// replicas split them, and a crashed one's come back when the lease runs out), keeps at most
// `notifications.concurrency` in flight, and records each outcome — delivered (the row goes),
// failed (retried at base · 2^attempts, capped, ±50 % jitter) or, once the endpoint's
// max_retries are used up, dead (kept for the admin API's requeue, never dropped).
// Per key and endpoint the store hands out one row at a time, in sequencer order.
import type { NotificationEndpointConfig, NotificationsConfig } from '@s3o/config';
import type { NotificationLedger, NotificationRow } from '@s3o/store';
import { contextFromTraceparent, counter, histogram, inSpan, SERVICE_ATTRIBUTE, SpanKind, type Logger } from '@s3o/telemetry';
import type { Transport } from './transports/types.js';

export interface DeliveryLoopDeps {
  config: NotificationsConfig;
  ledger: NotificationLedger;
  logger: Logger;
  transports: Record<NotificationEndpointConfig['type'], Transport>;
  clock?: () => number;
  random?: () => number;
}

const outcomes = counter({
  name: 's3o_notification_deliveries_total',
  help: 'Notification delivery attempts by endpoint and outcome (delivered, failed, dead).',
  labelNames: ['endpoint', 'outcome'],
});
const lag = histogram({
  name: 's3o_notification_delivery_lag_seconds',
  help: 'From the notifier taking an event (its outbox row) to the delivery to an endpoint.',
  labelNames: ['endpoint'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
});

/** The delay before retry number `attempts + 1`: exponential, capped, with ±50 % jitter. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = Math.min(baseMs * 2 ** Math.min(attempts, 52), maxMs);
  return Math.round(delay * (0.5 + random()));
}

/** What one pass delivered, by outcome (as s3o_notification_deliveries_total counts them). */
export interface DeliveryCounts {
  delivered: number;
  failed: number;
  dead: number;
  /** rows whose outcome could not be recorded (database): they return when their lease ends */
  unrecorded: number;
}

type DeliveryOutcome = keyof DeliveryCounts;

/**
 * The notifier's job, run by every notifier replica on a PeriodicWorker (see ./index.ts):
 * polled every `poll_interval`, woken when the bus enqueued deliveries.
 */
export class DeliveryLoop {
  private endpoints: Map<string, NotificationEndpointConfig>;
  private readonly clock: () => number;
  private readonly random: () => number;
  /** set by nudge(): rows may have come due since the pass last claimed */
  private nudged = false;
  /** ends a pass's wait for a free slot early, so new rows are claimed as soon as they are due */
  private kick: (() => void) | null = null;

  constructor(private readonly deps: DeliveryLoopDeps) {
    this.endpoints = new Map(deps.config.endpoints.map((e) => [e.name, e]));
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  /**
   * A reloaded notifications section: rows claimed from now on are sent to the endpoints as
   * configured now (a delivery in flight finishes with the settings it started with).
   */
  reconfigure(config: NotificationsConfig): void {
    this.deps.config = config;
    this.endpoints = new Map(config.endpoints.map((e) => [e.name, e]));
  }

  /** New rows may be due: a pass in progress claims again now instead of waiting for a slot. */
  nudge(): void {
    this.nudged = true;
    this.kick?.();
  }

  /**
   * Claim and deliver until nothing is due; resolves when the last delivery in flight is
   * recorded. Once `signal` fires nothing more is claimed.
   */
  async pass(signal: AbortSignal): Promise<DeliveryCounts> {
    const { ledger, config } = this.deps;
    const counts: DeliveryCounts = { delivered: 0, failed: 0, dead: 0, unrecorded: 0 };
    const inflight = new Set<Promise<void>>();
    try {
      while (!signal.aborted) {
        this.nudged = false;
        const free = config.concurrency - inflight.size;
        let claimed = 0;
        if (free > 0) {
          const rows = await ledger.notifications.claim(free, config.leaseMs);
          claimed = rows.length;
          for (const row of rows) {
            const work: Promise<void> = this.process(row).then((outcome) => void counts[outcome]++).finally(() => inflight.delete(work));
            inflight.add(work);
          }
        }
        if (inflight.size === 0) break;
        // Every slot was filled: more may be due. Otherwise wait for a slot (a finished row
        // may free the next row of its key), a nudge or the stop.
        if (free > 0 && claimed === free) continue;
        if (this.nudged) continue;
        await this.slotOrNudge(inflight, signal);
      }
    } finally {
      await Promise.allSettled(inflight);
    }
    return counts;
  }

  private slotOrNudge(inflight: Set<Promise<void>>, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.kick = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.kick = done;
      signal.addEventListener('abort', done, { once: true });
      void Promise.race(inflight).then(done);
    });
  }

  private async process(row: NotificationRow): Promise<DeliveryOutcome> {
    const { ledger, logger, config } = this.deps;
    const endpoint = this.endpoints.get(row.endpoint);
    try {
      if (!endpoint) {
        await ledger.notifications.dead(row.id, `endpoint "${row.endpoint}" is not configured (any more)`);
        logger.warn({ id: row.id, endpoint: row.endpoint }, 'notification for an endpoint that is not configured moved to the dead letters');
        return 'dead';
      }
      try {
        // One span per attempt, in the trace of the request that caused the event (when it was traced).
        const parent = row.traceparent ? contextFromTraceparent(row.traceparent) : null;
        const deliver = () => this.deps.transports[endpoint.type].deliver(endpoint, row);
        if (parent) {
          await inSpan(`notify ${endpoint.type}`, {
            kind: SpanKind.PRODUCER,
            parent,
            attributes: {
              [SERVICE_ATTRIBUTE]: 'notifier', 's3o.notification.endpoint': endpoint.name, 's3o.event_id': row.eventId,
              's3o.notification.attempt': row.attempts + 1,
            },
          }, deliver);
        } else {
          await deliver();
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const attempts = row.attempts + 1;
        const facts = { id: row.id, eventId: row.eventId, endpoint: row.endpoint, attempts, error: message };
        if (attempts > endpoint.maxRetries) {
          await ledger.notifications.dead(row.id, message);
          outcomes.inc({ endpoint: row.endpoint, outcome: 'dead' });
          logger.error(facts, 'notification gave up after its retries; it is in the dead letters');
          return 'dead';
        }
        const delay = retryDelayMs(row.attempts, config.backoffBaseMs, config.backoffMaxMs, this.random);
        await ledger.notifications.failed(row.id, message, this.clock() + delay);
        outcomes.inc({ endpoint: row.endpoint, outcome: 'failed' });
        logger.warn({ ...facts, retryInMs: delay }, 'notification delivery failed');
        return 'failed';
      }
      await ledger.notifications.delivered(row.id);
      outcomes.inc({ endpoint: row.endpoint, outcome: 'delivered' });
      lag.observe({ endpoint: row.endpoint }, Math.max(0, this.clock() - row.createdAt) / 1000);
      logger.debug({ id: row.id, eventId: row.eventId, endpoint: row.endpoint }, 'notification delivered');
      return 'delivered';
    } catch (err) {
      // The outcome could not be recorded (database): the lease brings the row back.
      logger.error({ err, id: row.id, endpoint: row.endpoint }, 'notification outcome not recorded; the row returns when its lease ends');
      return 'unrecorded';
    }
  }
}
