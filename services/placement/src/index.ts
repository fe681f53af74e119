// The placement service: where copies live over time (DESIGN §2). With replication
// factor 1 — the only factor this build accepts (config validation refuses more) — a
// new object already has all the copies it needs, so `object.created` is acknowledged
// after checking that. Replication, rebalancing and drains build on this consumer.
import { EventType } from '@s3o/events';
import type { Config } from '@s3o/config';
import type { EventBus } from '@s3o/bus';
import type { Logger } from '@s3o/telemetry';

export interface PlacementService {
  stop(): Promise<void>;
}

export function startPlacementService(deps: { config: Config; bus: EventBus; logger: Logger }): PlacementService {
  const factor = deps.config.replication.factor;
  deps.bus.subscribe({
    consumer: 'replication',
    types: [EventType.ObjectCreated],
    handler: async (event) => {
      const copies = Array.isArray(event.data.copies) ? event.data.copies.length : 0;
      if (copies < factor) {
        deps.logger.warn({ eventId: event.id, key: event.resource, copies, factor }, 'object has fewer copies than the replication factor');
      } else {
        deps.logger.debug({ eventId: event.id, key: event.resource, copies }, 'object fully placed');
      }
    },
  });
  return { stop: async () => {} };
}
