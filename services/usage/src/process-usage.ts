// Usage metering and limits in one process (every process: gateway, placement, cleanup …):
// the meter on every backend client, the board of totals, the limits gate on the process's
// availability, the flusher that appends one `usage.delta` per backend and month per
// interval through the outbox, and — in distributed mode — the NATS KV bucket the usage
// service publishes totals to and every process watches.
import type { Config } from '@s3o/config';
import {
  UsageBoard, UsageFlusher, UsageLimitGate, UsageMeter, usageLimitsOf, usagePeriod,
  type BackendAvailability, type BackendClient, type ProcessUsage, type PublishedUsage, type SentDelta,
} from '@s3o/backends';
import { UsageTotalsKv, usageBucketName } from '@s3o/bus';
import { usageDeltaEvent } from '@s3o/events';
import type { EventLedger, UsageLedger } from '@s3o/store';
import { counter, gauge, type Logger } from '@s3o/telemetry';

export interface ProcessUsageRuntime extends ProcessUsage {
  /** Reads the month's stored totals, then starts flushing (and, with NATS, the KV bucket). */
  start(deps: { ledger: UsageLedger & EventLedger }): Promise<void>;
  /** Flushes what is left into the outbox and closes the KV connection. */
  stop(): Promise<void>;
}

export function createProcessUsage(
  config: Config,
  backends: ReadonlyMap<string, BackendClient>,
  availability: BackendAvailability,
  logger: Logger,
): ProcessUsageRuntime {
  const flush = config.usageFlush;
  const meter = new UsageMeter();
  for (const client of backends.values()) client.observe(meter);
  // A delta whose fold was never seen stops counting after this long: by then it is folded,
  // or the usage service is down and every figure is stale anyway.
  const board = new UsageBoard(meter, { unconfirmedTtlMs: Math.max(30_000, 20 * flush.intervalMs) });
  const limits = usageLimitsOf(config.backends);
  const refusals = counter({
    name: 's3o_usage_limit_rejections_total',
    help: 'Backends skipped because a monthly usage limit was reached, by backend, use (read/write) and limit',
    labelNames: ['backend', 'use', 'limit_type'],
  });
  availability.addGate(new UsageLimitGate(board, limits, { onRefusal: (backend, use, limit) => refusals.inc({ backend, use, limit_type: limit }) }));
  const limitGauges = exportUsageMetrics(board, limits);

  const kv = config.bus.driver === 'nats'
    ? new UsageTotalsKv({
        url: config.bus.url.split(',').map((u) => u.trim()).filter((u) => u !== ''),
        bucket: usageBucketName(config.bus.subjectPrefix),
        logger: logger.child({ component: 'usage-kv' }),
        onTotal: (total) => board.applyPublished(total),
      })
    : null;
  let flusher: UsageFlusher | null = null;

  return {
    board,
    limits,
    async publishTotal(total: PublishedUsage): Promise<void> {
      board.applyPublished(total);
      await kv?.put(total);
    },
    // The gate holds this same map: replacing entries in place changes what it enforces.
    updateLimits(next) {
      for (const [backend, l] of next) {
        if (!limits.has(backend)) continue;
        limits.set(backend, l);
        limitGauges.apiRequests.set({ backend }, l.apiRequests);
        limitGauges.egressBytes.set({ backend }, l.egressBytes);
        limitGauges.ingressBytes.set({ backend }, l.ingressBytes);
      }
    },
    async flushNow() {
      return (await flusher?.flush()) ?? null;
    },
    async start({ ledger }) {
      for (const row of await ledger.listUsage(usagePeriod(Date.now()))) {
        board.applyPublished({ backend: row.backendName, period: row.period, requests: row.apiRequests, egress: row.egressBytes, ingress: row.ingressBytes, deltaId: '' });
      }
      kv?.start();
      flusher = new UsageFlusher({
        board,
        limits,
        intervalMs: flush.intervalMs,
        adaptive: flush.adaptiveEnabled ? { threshold: flush.adaptiveThreshold, fastIntervalMs: flush.fastIntervalMs } : null,
        publish: async (deltas: SentDelta[]) => {
          await ledger.appendEvents(deltas.map((d) => usageDeltaEvent({
            backend: d.backend, period: d.period, requests: d.requests, egress: d.egress, ingress: d.ingress, delta_id: d.deltaId,
          })));
        },
        onError: (err) => logger.warn({ err }, 'appending usage deltas failed; they go with the next flush'),
      });
      flusher.start();
    },
    async stop() {
      await flusher?.stop();
      await kv?.stop();
    },
  };
}

/** The s3o_usage_* gauges: this month's published totals and the limits, per backend; returns the limit gauges. */
function exportUsageMetrics(board: UsageBoard, limits: ReadonlyMap<string, { apiRequests: number; egressBytes: number; ingressBytes: number }>) {
  const requests = gauge({ name: 's3o_usage_api_requests', help: 'Current month API request count per backend', labelNames: ['backend'] });
  const egress = gauge({ name: 's3o_usage_egress_bytes', help: 'Current month egress bytes per backend', labelNames: ['backend'] });
  const ingress = gauge({ name: 's3o_usage_ingress_bytes', help: 'Current month ingress bytes per backend', labelNames: ['backend'] });
  const limitGauges = {
    apiRequests: gauge({ name: 's3o_usage_limit_api_requests', help: 'Monthly API request limit per backend (0 = unlimited)', labelNames: ['backend'] }),
    egressBytes: gauge({ name: 's3o_usage_limit_egress_bytes', help: 'Monthly egress byte limit per backend (0 = unlimited)', labelNames: ['backend'] }),
    ingressBytes: gauge({ name: 's3o_usage_limit_ingress_bytes', help: 'Monthly ingress byte limit per backend (0 = unlimited)', labelNames: ['backend'] }),
  };
  for (const [backend, l] of limits) {
    limitGauges.apiRequests.set({ backend }, l.apiRequests);
    limitGauges.egressBytes.set({ backend }, l.egressBytes);
    limitGauges.ingressBytes.set({ backend }, l.ingressBytes);
    requests.set({ backend }, 0);
    egress.set({ backend }, 0);
    ingress.set({ backend }, 0);
  }
  board.onPublished((u) => {
    if (u.period !== usagePeriod(Date.now())) return;
    requests.set({ backend: u.backend }, u.requests);
    egress.set({ backend: u.backend }, u.egress);
    ingress.set({ backend: u.backend }, u.ingress);
  });
  return limitGauges;
}
