// backend_quotas and backend_drains.
import type { QuotaBalance, TxStatements, ReadStatements } from '../../tx-adapter.js';
import type { QuotaRow } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawQuota {
  backend_name: string;
  bytes_limit: bigint;
  bytes_used: bigint;
  orphan_bytes: bigint;
  inflight_bytes: bigint;
}

/** Draining, or drained and not yet returned to service: the backend (a bound name) takes no new data. */
export const DRAINING_OF = (backend: string) =>
  `EXISTS (SELECT 1 FROM backend_drains WHERE backend_name = ${backend} AND state IN ('draining', 'drained'))`;

// In-flight = open intents + reserved multipart parts; the claim rule subtracts both.
export const INFLIGHT_OF = (backend: string) => `(
  (SELECT COALESCE(SUM(p.size_bytes), 0) FROM pending_objects p WHERE p.backend_name = ${backend})
  + (SELECT COALESCE(SUM(mp.size_bytes), 0)
       FROM multipart_parts mp JOIN multipart_uploads mu ON mu.upload_id = mp.upload_id
      WHERE mu.backend_name = ${backend}))`;

const SELECT_QUOTAS = `
SELECT q.backend_name, q.bytes_limit, q.bytes_used, q.orphan_bytes, ${INFLIGHT_OF('q.backend_name')} AS inflight_bytes
  FROM backend_quotas q ORDER BY q.backend_name`;

export function quotaReads(c: SqliteConnection): Pick<ReadStatements, 'selectQuotas'> {
  return {
    async selectQuotas(): Promise<QuotaRow[]> {
      return c.all<RawQuota>(SELECT_QUOTAS).map((r) => ({
        backendName: r.backend_name,
        bytesLimit: int(r.bytes_limit),
        bytesUsed: int(r.bytes_used),
        orphanBytes: int(r.orphan_bytes),
        inflightBytes: int(r.inflight_bytes),
      }));
    },
  };
}

type QuotaWrites = Pick<TxStatements, 'upsertBackendQuota' | 'lockBackendQuota' | 'lockUnlimitedQuota' | 'quotaBalance' | 'isBackendDraining' | 'adjustQuota'>;

// One row per backend holds the charged bytes: the single writer runs one transaction at a
// time, so there is no row lock to spread over stripes (Postgres: backend_quota_stripes).
export function quotaWrites(c: SqliteConnection): QuotaWrites {
  return {
    async upsertBackendQuota(backendName, bytesLimit, now) {
      c.run(
        `INSERT INTO backend_quotas (backend_name, bytes_limit, bytes_used, orphan_bytes, updated_at)
         VALUES (@backendName, @bytesLimit, 0, 0, @now)
         ON CONFLICT (backend_name) DO UPDATE SET bytes_limit = excluded.bytes_limit, updated_at = excluded.updated_at`,
        { backendName, bytesLimit, now },
      );
    },

    // The single writer holds the database for the whole transaction: the lock is already held.
    async lockBackendQuota(backendName) {
      return c.get(`SELECT 1 FROM backend_quotas WHERE backend_name = @backendName`, { backendName }) !== undefined;
    },

    async lockUnlimitedQuota(backendName) {
      return c.get(`SELECT 1 FROM backend_quotas WHERE backend_name = @backendName AND bytes_limit = 0`, { backendName }) !== undefined;
    },

    async quotaBalance(backendName): Promise<QuotaBalance | null> {
      const r = c.get<Omit<RawQuota, 'inflight_bytes' | 'backend_name'> & { inflight: bigint; draining: bigint }>(
        `SELECT bytes_limit, bytes_used, orphan_bytes, ${INFLIGHT_OF('@backendName')} AS inflight,
                ${DRAINING_OF('@backendName')} AS draining
           FROM backend_quotas WHERE backend_name = @backendName`,
        { backendName },
      );
      if (!r) return null;
      return {
        bytesLimit: int(r.bytes_limit),
        bytesUsed: int(r.bytes_used),
        orphanBytes: int(r.orphan_bytes),
        inflight: int(r.inflight),
        draining: int(r.draining) === 1,
      };
    },

    async isBackendDraining(backendName) {
      const r = c.get<{ draining: bigint }>(
        `SELECT ${DRAINING_OF('@backendName')} AS draining`,
        { backendName },
      );
      return int(r!.draining) === 1;
    },

    async adjustQuota(backendName, usedDelta, orphanDelta, now) {
      c.run(
        `INSERT INTO backend_quotas (backend_name, bytes_limit, bytes_used, orphan_bytes, updated_at)
         VALUES (@backendName, 0, @usedDelta, @orphanDelta, @now)
         ON CONFLICT (backend_name) DO UPDATE SET
           bytes_used = bytes_used + excluded.bytes_used,
           orphan_bytes = orphan_bytes + excluded.orphan_bytes,
           updated_at = excluded.updated_at`,
        { backendName, usedDelta, orphanDelta, now },
      );
    },
  };
}
