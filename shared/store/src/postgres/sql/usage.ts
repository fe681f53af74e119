// backend_usage: monthly request/egress/ingress totals per backend.
import { sql } from 'slonik';
import { z } from 'zod';
import type { DailyUsageRow, UsageReads, UsageRow, UsageWrites } from '../../usage.js';
import { int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const usageRow = z
  .object({
    backend_name: z.string(),
    period: z.string(),
    api_requests: int8,
    egress_bytes: int8,
    ingress_bytes: int8,
    updated_at: int8,
  })
  .transform((r): UsageRow => ({
    backendName: r.backend_name,
    period: r.period,
    apiRequests: r.api_requests,
    egressBytes: r.egress_bytes,
    ingressBytes: r.ingress_bytes,
    updatedAt: r.updated_at,
  }));

const dailyRow = z
  .object({ backend_name: z.string(), day: z.string(), api_requests: int8, egress_bytes: int8, ingress_bytes: int8 })
  .transform((r): DailyUsageRow => ({
    backendName: r.backend_name, day: r.day, apiRequests: r.api_requests, egressBytes: r.egress_bytes, ingressBytes: r.ingress_bytes,
  }));

const COLUMNS = sql.fragment`backend_name, period, api_requests, egress_bytes, ingress_bytes, updated_at`;

export function usageReads(db: Queries): UsageReads {
  return {
    async selectUsage(period) {
      const where = period === null ? sql.fragment`TRUE` : sql.fragment`period = ${period}`;
      return [...(await db.any(sql.type(usageRow)`
        SELECT ${COLUMNS} FROM backend_usage WHERE ${where} ORDER BY period, backend_name`))];
    },

    async selectDailyUsage(period) {
      return [...(await db.any(sql.type(dailyRow)`
        SELECT backend_name, day, api_requests, egress_bytes, ingress_bytes FROM backend_usage_daily
         WHERE day >= ${`${period}-01`} AND day < ${`${period}-32`} ORDER BY day, backend_name`))];
    },
  };
}

export function usageWrites(db: Queries): UsageWrites {
  return {
    // The upsert takes the row lock, so concurrent folds of one (backend, period) add up.
    async addUsage(delta, now) {
      return db.one(sql.type(usageRow)`
        INSERT INTO backend_usage (backend_name, period, api_requests, egress_bytes, ingress_bytes, updated_at)
        VALUES (${delta.backendName}, ${delta.period}, ${delta.requests}, ${delta.egress}, ${delta.ingress}, ${now})
        ON CONFLICT (backend_name, period) DO UPDATE SET
          api_requests = backend_usage.api_requests + EXCLUDED.api_requests,
          egress_bytes = backend_usage.egress_bytes + EXCLUDED.egress_bytes,
          ingress_bytes = backend_usage.ingress_bytes + EXCLUDED.ingress_bytes,
          updated_at = EXCLUDED.updated_at
        RETURNING ${COLUMNS}`);
    },

    async addDailyUsage(delta, now) {
      await db.query(sql.unsafe`
        INSERT INTO backend_usage_daily (backend_name, day, api_requests, egress_bytes, ingress_bytes, updated_at)
        VALUES (${delta.backendName}, ${delta.day}, ${delta.requests}, ${delta.egress}, ${delta.ingress}, ${now})
        ON CONFLICT (backend_name, day) DO UPDATE SET
          api_requests = backend_usage_daily.api_requests + EXCLUDED.api_requests,
          egress_bytes = backend_usage_daily.egress_bytes + EXCLUDED.egress_bytes,
          ingress_bytes = backend_usage_daily.ingress_bytes + EXCLUDED.ingress_bytes,
          updated_at = EXCLUDED.updated_at`);
    },
  };
}
