// The notifier service (docs/architecture.md §2): matches object and operational events against
// `notifications.endpoints`, keeps a durable outbox (notification_outbox) and delivers from
// it with retries, signing and dead-lettering (delivery-loop.ts). Several replicas share the
// bus consumers (each event is taken by one) and split the outbox by leased claims.
import type { Config } from '@s3o/config';
import type { EventBus } from '@s3o/bus';
import type { NotificationLedger } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { PeriodicWorker } from '@s3o/workers';
import { DeliveryLoop, type DeliveryCounts } from './delivery-loop.js';
import { NOTIFIER_CONSUMER, enqueueDeliveries } from './enqueue.js';
import { CONSUMED_TYPES } from './events.js';
import { NatsTransport } from './transports/nats.js';
import { WebhookTransport } from './transports/webhook.js';
import { reportOutboxDepth } from './outbox-gauge.js';

export { DeliveryLoop, retryDelayMs, type DeliveryCounts } from './delivery-loop.js';
export { deliveriesFor, NOTIFIER_CONSUMER } from './enqueue.js';
export { encodeEventKey, SYSTEM_PRINCIPAL } from './payload.js';
export { HEADERS, signature } from './sign.js';

export interface NotifierDeps {
  config: Config;
  ledger: NotificationLedger;
  bus: EventBus;
  logger: Logger;
}

/** The delivery worker's name (@s3o/workers); every notifier replica runs it, no lock. */
export const DELIVERY_WORKER = 'notification-delivery';

export interface NotifierService {
  deliveries: PeriodicWorker<DeliveryCounts>;
  /**
   * A reloaded configuration: events handled from now on are matched against its endpoints,
   * and deliveries claimed from now on use them; the delivery loop starts with the first endpoint.
   */
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

export function startNotifierService(deps: NotifierDeps): NotifierService {
  const { config, ledger, bus, logger } = deps;
  let notifications = config.notifications;
  const transports = { webhook: new WebhookTransport(), nats: new NatsTransport() };
  const loop = new DeliveryLoop({ config: notifications, ledger, logger, transports });
  const deliveries = new PeriodicWorker({
    name: DELIVERY_WORKER, lock: 'none', intervalMs: notifications.pollIntervalMs, logger,
    run: (signal) => loop.pass(signal),
  });
  // Subscribed even with no endpoint configured, so the consumers exist (and keep up) before
  // an endpoint is added: events from then on are matched, earlier ones were acknowledged.
  bus.subscribe({
    consumer: NOTIFIER_CONSUMER,
    types: CONSUMED_TYPES,
    handler: async (event) => {
      if (await enqueueDeliveries(ledger, notifications, event)) {
        // The pass in progress claims again at once; if it is about to end, another follows.
        loop.nudge();
        deliveries.wake();
      }
    },
  });
  if (notifications.endpoints.length > 0) deliveries.start();
  const stopReporting = reportOutboxDepth(ledger);
  return {
    deliveries,
    reconfigure: (next) => {
      notifications = next.notifications;
      loop.reconfigure(notifications);
      deliveries.reschedule(notifications.pollIntervalMs);
      // Once started it keeps running with no endpoint left: rows still owed to a removed one are dead-lettered.
      if (notifications.endpoints.length > 0) deliveries.start();
    },
    stop: async () => {
      stopReporting();
      await deliveries.stop();
      await Promise.all([transports.webhook.close(), transports.nats.close()]);
    },
  };
}
