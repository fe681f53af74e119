// backend_quotas (limits, the claims' lock), backend_quota_stripes (charged bytes) and backend_drains.
import { sql } from 'slonik';
import { z } from 'zod';
import type { QuotaBalance, ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { QuotaRow } from '../../types.js';
import { int8, type Fragment } from '../columns.js';
import type { Queries } from '../queries.js';

// In-flight = open intents + reserved multipart parts; the claim rule subtracts both.
// SUM(bigint) is numeric in Postgres: cast back, so an overflow fails instead of rounding.
export function inflightOf(backend: Fragment | string): Fragment {
  return sql.fragment`(
    COALESCE((SELECT SUM(p.size_bytes) FROM pending_objects p WHERE p.backend_name = ${backend}), 0)
    + COALESCE((SELECT SUM(mp.size_bytes)
                  FROM multipart_parts mp JOIN multipart_uploads mu ON mu.upload_id = mp.upload_id
                 WHERE mu.backend_name = ${backend}), 0))::bigint`;
}

/**
 * Rows per backend in backend_quota_stripes. A commit adds to one picked at random, so two
 * concurrent commits on a backend meet on a row (and the second waits for the first's COMMIT)
 * with probability 1/QUOTA_STRIPES; reads sum at most this many rows per backend.
 */
export const QUOTA_STRIPES = 16;

// A backend's charged bytes: the sums of its stripes. SUM(bigint) is numeric: cast back.
export function chargedOf(backend: Fragment | string): Fragment {
  return sql.fragment`(SELECT COALESCE(SUM(s.bytes_used), 0)::bigint AS bytes_used, COALESCE(SUM(s.orphan_bytes), 0)::bigint AS orphan_bytes
                         FROM backend_quota_stripes s WHERE s.backend_name = ${backend})`;
}

/** Draining, or drained and not yet returned to service: the backend takes no new data. */
export function drainingOf(backend: string): Fragment {
  return sql.fragment`EXISTS (SELECT 1 FROM backend_drains WHERE backend_name = ${backend} AND state IN ('draining', 'drained'))`;
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
  .object({ bytes_limit: int8, bytes_used: int8, orphan_bytes: int8, inflight: int8, draining: z.boolean() })
  .transform((r): QuotaBalance => ({
    bytesLimit: r.bytes_limit,
    bytesUsed: r.bytes_used,
    orphanBytes: r.orphan_bytes,
    inflight: r.inflight,
    draining: r.draining,
  }));

export function quotaReads(db: Queries): Pick<ReadStatements, 'selectQuotas'> {
  return {
    // Every reader of a backend's usage (status, admin API, dashboard, gauges, rebalancer,
    // drains, verify) comes here, so each sees the sum of the stripes. A backend that has
    // stripes and no quota row (charged after it was forgotten) shows with limit 0, as the
    // single row that adjustQuota used to create for it did.
    async selectQuotas() {
      return [
        ...(await db.any(sql.type(quotaRow)`
          SELECT n.backend_name, COALESCE(q.bytes_limit, 0) AS bytes_limit, c.bytes_used, c.orphan_bytes,
                 ${inflightOf(sql.fragment`n.backend_name`)} AS inflight_bytes
            FROM (SELECT backend_name FROM backend_quotas UNION SELECT backend_name FROM backend_quota_stripes) n
            LEFT JOIN backend_quotas q ON q.backend_name = n.backend_name
            CROSS JOIN LATERAL ${chargedOf(sql.fragment`n.backend_name`)} c
           ORDER BY n.backend_name`)),
      ];
    },
  };
}

type QuotaWrites = Pick<TxStatements, 'upsertBackendQuota' | 'lockBackendQuota' | 'lockUnlimitedQuota' | 'quotaBalance' | 'isBackendDraining' | 'adjustQuota'>;

export function quotaWrites(db: Queries): QuotaWrites {
  return {
    async upsertBackendQuota(backendName, bytesLimit, now) {
      await db.query(sql.unsafe`
        INSERT INTO backend_quotas (backend_name, bytes_limit, updated_at)
        VALUES (${backendName}, ${bytesLimit}, ${now})
        ON CONFLICT (backend_name) DO UPDATE SET bytes_limit = EXCLUDED.bytes_limit, updated_at = EXCLUDED.updated_at`);
    },

    // The row lock serialises the claims on the backend (and drains, imports, removals): a
    // second claimer waits here until the first commits. Commits never take it: they write
    // the stripes (adjustQuota).
    async lockBackendQuota(backendName) {
      const row = await db.maybeOne(sql.type(z.object({ one: z.number() }))`
        SELECT 1 AS one FROM backend_quotas WHERE backend_name = ${backendName} FOR UPDATE`);
      return row !== null;
    },

    // Share mode: claims on a backend without a limit hold it together. A limit set meanwhile
    // (config sync's UPDATE) is waited for and the row re-checked against bytes_limit = 0
    // (READ COMMITTED re-evaluates a locked row's condition on its newest version), so a
    // claim never goes on in share mode on a backend that has a limit.
    async lockUnlimitedQuota(backendName) {
      const row = await db.maybeOne(sql.type(z.object({ one: z.number() }))`
        SELECT 1 AS one FROM backend_quotas WHERE backend_name = ${backendName} AND bytes_limit = 0 FOR SHARE`);
      return row !== null;
    },

    // One statement, so one snapshot (READ COMMITTED takes it at the statement's start, after
    // lockBackendQuota's wait): a commit that ran concurrently moved its intent's bytes into a
    // stripe in one transaction, so this sees them either in flight or charged, never neither.
    async quotaBalance(backendName) {
      return db.maybeOne(sql.type(balanceRow)`
        SELECT q.bytes_limit, c.bytes_used, c.orphan_bytes,
               ${inflightOf(backendName)} AS inflight,
               ${drainingOf(backendName)} AS draining
          FROM backend_quotas q CROSS JOIN LATERAL ${chargedOf(backendName)} c
         WHERE q.backend_name = ${backendName}`);
    },

    async isBackendDraining(backendName) {
      const row = await db.one(sql.type(z.object({ draining: z.boolean() }))`
        SELECT ${drainingOf(backendName)} AS draining`);
      return row.draining;
    },

    // A transaction calls this once per backend, in name order (tx-work.ts), and holds one
    // stripe row per backend, so two transactions never wait on each other in a cycle.
    async adjustQuota(backendName, usedDelta, orphanDelta, now) {
      const stripe = Math.floor(Math.random() * QUOTA_STRIPES);
      await db.query(sql.unsafe`
        INSERT INTO backend_quota_stripes (backend_name, stripe, bytes_used, orphan_bytes, updated_at)
        VALUES (${backendName}, ${stripe}, ${usedDelta}, ${orphanDelta}, ${now})
        ON CONFLICT (backend_name, stripe) DO UPDATE SET
          bytes_used = backend_quota_stripes.bytes_used + EXCLUDED.bytes_used,
          orphan_bytes = backend_quota_stripes.orphan_bytes + EXCLUDED.orphan_bytes,
          updated_at = EXCLUDED.updated_at`);
    },
  };
}
