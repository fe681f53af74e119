// The usage service: folds per-backend usage deltas into monthly totals (DESIGN §2).
// Processes do not emit `usage.delta` yet (metering comes with usage limits), so the
// consumer only records what arrives; the durable consumer is in place so no delta is
// ever lost once they do.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import type { Logger } from '@s3o/telemetry';

export interface UsageService {
  stop(): Promise<void>;
}

export function startUsageService(deps: { bus: EventBus; logger: Logger }): UsageService {
  deps.bus.subscribe({
    consumer: 'usage-fold',
    types: [EventType.UsageDelta],
    handler: async (event) => {
      deps.logger.info({ eventId: event.id, backend: event.resource, data: event.data }, 'usage delta received; usage accounting is not enabled in this build');
    },
  });
  return { stop: async () => {} };
}
