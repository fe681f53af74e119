// backend_quotas and backend_drains.
import { sql } from 'slonik';
import { z } from 'zod';
import type { QuotaBalance, ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { QuotaRow } from '../../types.js';
import { int8, type Fragment } from '../columns.js';
import type { Queries } from '../queries.js';

// In-flight = open intents + reserved multipart parts; the claim rule subtracts both.
// SUM(bigint) is numeric in Postgres: cast back, so an overflow fails instead of rounding.
function inflightOf(backend: Fragment | string): Fragment {
  return sql.fragment`(
    COALESCE((SELECT SUM(p.size_bytes) FROM pending_objects p WHERE p.backend_name = ${backend}), 0)
    + COALESCE((SELECT SUM(mp.size_bytes)
                  FROM multipart_parts mp JOIN multipart_uploads mu ON mu.upload_id = mp.upload_id
                 WHERE mu.backend_name = ${backend}), 0))::bigint`;
}

const quotaRow = z
  .object({ backend_name: z.string(), bytes_limit: int8, bytes_used: int8, orphan_bytes: int8, inflight_bytes: int8 })
  .transform((r): QuotaRow => ({
    backendName: r.backend_name,
    bytesLimit: r.bytes_limit,
    bytesUsed: r.bytes_used,
    orphanBytes: r.orphan_bytes,
    inflightBytes: r.inflight_bytes,
  }));

const balanceRow = z
  .object({ bytes_limit: int8, bytes_used: int8, orphan_bytes: int8 })
  .transform((r): QuotaBalance => ({ bytesLimit: r.bytes_limit, bytesUsed: r.bytes_used, orphanBytes: r.orphan_bytes }));

export function quotaReads(db: Queries): Pick<ReadStatements, 'selectQuotas'> {
  return {
    async selectQuotas() {
      return [
        ...(await db.any(sql.type(quotaRow)`
          SELECT q.backend_name, q.bytes_limit, q.bytes_used, q.orphan_bytes,
                 ${inflightOf(sql.fragment`q.backend_name`)} AS inflight_bytes
            FROM backend_quotas q ORDER BY q.backend_name`)),
      ];
    },
  };
}

type QuotaWrites = Pick<
  TxStatements,
  'upsertBackendQuota' | 'lockBackendQuota' | 'sumInflight' | 'isBackendDraining' | 'drainingAndInflight' | 'adjustQuota'
>;

export function quotaWrites(db: Queries): QuotaWrites {
  return {
    async upsertBackendQuota(backendName, bytesLimit, now) {
      await db.query(sql.unsafe`
        INSERT INTO backend_quotas (backend_name, bytes_limit, bytes_used, orphan_bytes, updated_at)
        VALUES (${backendName}, ${bytesLimit}, 0, 0, ${now})
        ON CONFLICT (backend_name) DO UPDATE SET bytes_limit = EXCLUDED.bytes_limit, updated_at = EXCLUDED.updated_at`);
    },

    // The row lock serialises every claim on the backend: a second claimer waits here until
    // the first commits, and (READ COMMITTED) its next statements then see the first's intent.
    async lockBackendQuota(backendName) {
      return db.maybeOne(sql.type(balanceRow)`
        SELECT bytes_limit, bytes_used, orphan_bytes FROM backend_quotas
         WHERE backend_name = ${backendName} FOR UPDATE`);
    },

    async sumInflight(backendName) {
      const row = await db.one(sql.type(z.object({ inflight: int8 }))`SELECT ${inflightOf(backendName)} AS inflight`);
      return row.inflight;
    },

    async isBackendDraining(backendName) {
      const row = await db.one(sql.type(z.object({ draining: z.boolean() }))`
        SELECT EXISTS (SELECT 1 FROM backend_drains WHERE backend_name = ${backendName} AND state IN ('draining', 'drained')) AS draining`);
      return row.draining;
    },

    async drainingAndInflight(backendName) {
      return db.one(sql.type(z.object({ draining: z.boolean(), inflight: int8 }))`
        SELECT EXISTS (SELECT 1 FROM backend_drains WHERE backend_name = ${backendName} AND state IN ('draining', 'drained')) AS draining,
               ${inflightOf(backendName)} AS inflight`);
    },

    async adjustQuota(backendName, usedDelta, orphanDelta, now) {
      await db.query(sql.unsafe`
        INSERT INTO backend_quotas (backend_name, bytes_limit, bytes_used, orphan_bytes, updated_at)
        VALUES (${backendName}, 0, ${usedDelta}, ${orphanDelta}, ${now})
        ON CONFLICT (backend_name) DO UPDATE SET
          bytes_used = backend_quotas.bytes_used + EXCLUDED.bytes_used,
          orphan_bytes = backend_quotas.orphan_bytes + EXCLUDED.orphan_bytes,
          updated_at = EXCLUDED.updated_at`);
    },
  };
}
