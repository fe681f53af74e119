// The notifier service: matches object events against notification endpoints (DESIGN §2).
// Config validation refuses endpoints in this build, so every object event is
// acknowledged as matching none; the durable consumers are in place for when they land.
import { EventType } from '@s3o/events';
import type { Config } from '@s3o/config';
import type { EventBus } from '@s3o/bus';
import type { Logger } from '@s3o/telemetry';

export interface NotifierService {
  stop(): Promise<void>;
}

export function startNotifierService(deps: { config: Config; bus: EventBus; logger: Logger }): NotifierService {
  deps.bus.subscribe({
    consumer: 'notifications',
    types: [EventType.ObjectCreated, EventType.ObjectRemoved],
    handler: async (event) => {
      deps.logger.debug({ eventId: event.id, type: event.type, key: event.resource }, 'object event matches no notification endpoint');
    },
  });
  return { stop: async () => {} };
}
