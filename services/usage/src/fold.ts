// The usage service's consumer (docs/architecture.md §2 "usage"): folds every `usage.delta` into its
// backend's monthly backend_usage row and its row of the event's UTC day — the processed_events record and the addition in one
// transaction, so a redelivered delta counts once — then publishes the row's new total.
// A redelivery publishes the total as it stands, so the process that sent the delta still
// learns that it was folded. A delta the bus could not read by its schema never gets here:
// it is dead-lettered, since retrying cannot make it readable.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import type { PublishedUsage } from '@s3o/backends';
import type { UsageLedger } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';

/** The durable consumer (and processed_events consumer name) of the fold. */
export const USAGE_FOLD_CONSUMER = 'usage-fold';

export interface UsageServiceDeps {
  bus: EventBus;
  ledger: UsageLedger;
  logger: Logger;
  publishTotal: (total: PublishedUsage) => Promise<void>;
}

export interface UsageService {
  stop(): Promise<void>;
}

export function startUsageService(deps: UsageServiceDeps): UsageService {
  deps.bus.subscribe({
    consumer: USAGE_FOLD_CONSUMER,
    types: [EventType.UsageDelta],
    handler: async (event) => {
      const delta = event.data;
      const { applied, total } = await deps.ledger.applyUsageDelta(USAGE_FOLD_CONSUMER, event.id, {
        backendName: delta.backend,
        period: delta.period,
        requests: delta.requests,
        egress: delta.egress,
        ingress: delta.ingress,
        // The day of the delta's event: when the usage was flushed, whenever the fold runs.
        day: event.time.slice(0, 10),
      });
      if (!applied) deps.logger.debug({ eventId: event.id }, 'usage delta redelivered; already folded');
      await deps.publishTotal({
        backend: total.backendName,
        period: total.period,
        requests: total.apiRequests,
        egress: total.egressBytes,
        ingress: total.ingressBytes,
        deltaId: delta.delta_id,
      });
    },
  });
  return { stop: async () => {} };
}
