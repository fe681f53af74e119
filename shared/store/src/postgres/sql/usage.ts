// backend_usage: monthly request/egress/ingress totals per backend.
import { sql } from 'slonik';
import { z } from 'zod';
import type { UsageReads, UsageRow, UsageWrites } from '../../usage.js';
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

const COLUMNS = sql.fragment`backend_name, period, api_requests, egress_bytes, ingress_bytes, updated_at`;

export function usageReads(db: Queries): UsageReads {
  return {
    async selectUsage(period) {
      const where = period === null ? sql.fragment`TRUE` : sql.fragment`period = ${period}`;
      return [...(await db.any(sql.type(usageRow)`
        SELECT ${COLUMNS} FROM backend_usage WHERE ${where} ORDER BY period, backend_name`))];
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
  };
}
