// backend_usage: monthly request/egress/ingress totals per backend.
import type { DailyUsageRow, UsageReads, UsageRow, UsageWrites } from '../../usage.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawUsage {
  backend_name: string;
  period: string;
  api_requests: bigint;
  egress_bytes: bigint;
  ingress_bytes: bigint;
  updated_at: bigint;
}

function usageFromRow(r: RawUsage): UsageRow {
  return {
    backendName: r.backend_name,
    period: r.period,
    apiRequests: int(r.api_requests),
    egressBytes: int(r.egress_bytes),
    ingressBytes: int(r.ingress_bytes),
    updatedAt: int(r.updated_at),
  };
}

const COLUMNS = 'backend_name, period, api_requests, egress_bytes, ingress_bytes, updated_at';

export function usageReads(c: SqliteConnection): UsageReads {
  return {
    async selectUsage(period) {
      const rows = period === null
        ? c.all<RawUsage>(`SELECT ${COLUMNS} FROM backend_usage ORDER BY period, backend_name`)
        : c.all<RawUsage>(`SELECT ${COLUMNS} FROM backend_usage WHERE period = @period ORDER BY backend_name`, { period });
      return rows.map(usageFromRow);
    },

    async selectDailyUsage(period) {
      // Days sort as text; a key range on the primary key's second column per backend.
      return c.all<Omit<RawUsage, 'period' | 'updated_at'> & { day: string }>(
        `SELECT backend_name, day, api_requests, egress_bytes, ingress_bytes FROM backend_usage_daily
          WHERE day >= @from AND day < @to ORDER BY day, backend_name`,
        { from: `${period}-01`, to: `${period}-32` },
      ).map((r): DailyUsageRow => ({
        backendName: r.backend_name, day: r.day, apiRequests: int(r.api_requests), egressBytes: int(r.egress_bytes), ingressBytes: int(r.ingress_bytes),
      }));
    },
  };
}

export function usageWrites(c: SqliteConnection): UsageWrites {
  return {
    async addUsage(delta, now) {
      const row = c.get<RawUsage>(
        `INSERT INTO backend_usage (backend_name, period, api_requests, egress_bytes, ingress_bytes, updated_at)
         VALUES (@backendName, @period, @requests, @egress, @ingress, @now)
         ON CONFLICT (backend_name, period) DO UPDATE SET
           api_requests = api_requests + excluded.api_requests,
           egress_bytes = egress_bytes + excluded.egress_bytes,
           ingress_bytes = ingress_bytes + excluded.ingress_bytes,
           updated_at = excluded.updated_at
         RETURNING ${COLUMNS}`,
        { ...delta, now },
      );
      if (!row) throw new Error('backend_usage upsert returned no row');
      return usageFromRow(row);
    },

    async addDailyUsage(delta, now) {
      c.run(
        `INSERT INTO backend_usage_daily (backend_name, day, api_requests, egress_bytes, ingress_bytes, updated_at)
         VALUES (@backendName, @day, @requests, @egress, @ingress, @now)
         ON CONFLICT (backend_name, day) DO UPDATE SET
           api_requests = api_requests + excluded.api_requests,
           egress_bytes = egress_bytes + excluded.egress_bytes,
           ingress_bytes = ingress_bytes + excluded.ingress_bytes,
           updated_at = excluded.updated_at`,
        { backendName: delta.backendName, day: delta.day, requests: delta.requests, egress: delta.egress, ingress: delta.ingress, now },
      );
    },
  };
}
