// Gauges read from the ledger: per-backend quota (`s3o_quota_bytes_used/limit/available`,
// `s3o_quota_orphan_bytes`), copies per backend (`s3o_objects_count`) and the cleanup
// queue depth (`s3o_cleanup_queue_depth`), upstream's names. They are read when Prometheus
// scrapes — not polled — from one snapshot that is kept for `cacheMs`, so several gauges
// and several scrapers in a short time cost one round of queries. The ledger is described
// by shape, so telemetry depends on no other package of ours.
import { gauge } from './metrics.js';

export interface LedgerStatsSource {
  getQuotas(): Promise<Array<{ backendName: string; bytesLimit: number; bytesUsed: number; orphanBytes: number }>>;
  cleanupDepth(): Promise<number>;
  /** live copies per backend that holds any (object_locations rows) */
  copiesByBackend(): Promise<Array<{ backendName: string; copies: number }>>;
}

interface Snapshot {
  quotas: Awaited<ReturnType<LedgerStatsSource['getQuotas']>>;
  cleanupDepth: number;
  copies: Array<{ backendName: string; copies: number }>;
}

let current: { source: LedgerStatsSource; cacheMs: number; at: number; snapshot: Promise<Snapshot> | null } | null = null;

/** The snapshot for this scrape, or null without a source (or when the ledger cannot answer: the gauges go empty). */
async function snapshot(): Promise<Snapshot | null> {
  const c = current;
  if (!c) return null;
  if (!c.snapshot || Date.now() - c.at > c.cacheMs) {
    c.at = Date.now();
    c.snapshot = Promise.all([c.source.getQuotas(), c.source.cleanupDepth(), c.source.copiesByBackend()])
      .then(([quotas, cleanupDepth, copies]) => ({ quotas, cleanupDepth, copies }));
    // A failed read is not kept: the next scrape asks again.
    c.snapshot.catch(() => {
      if (current === c) c.snapshot = null;
    });
  }
  return c.snapshot.catch(() => null);
}

function perBackendGauge(name: string, help: string, value: (q: Snapshot['quotas'][number]) => number | null): void {
  gauge({
    name,
    help,
    labelNames: ['backend'] as const,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const q of s.quotas) {
        const v = value(q);
        if (v !== null) this.set({ backend: q.backendName }, v);
      }
    },
  });
}

/** Created on first registration, so processes without a ledger source serve none of them. */
function createGauges(): void {
  perBackendGauge('s3o_quota_bytes_used', 'Bytes of live copies on each backend', (q) => q.bytesUsed);
  perBackendGauge('s3o_quota_bytes_limit', 'Quota limit in bytes for each backend (0 = unlimited)', (q) => q.bytesLimit);
  perBackendGauge(
    's3o_quota_bytes_available',
    'Bytes still free on each backend (limit - used - orphan); absent for unlimited backends',
    (q) => (q.bytesLimit === 0 ? null : Math.max(0, q.bytesLimit - q.bytesUsed - q.orphanBytes)),
  );
  perBackendGauge('s3o_quota_orphan_bytes', 'Bytes owed for deletion (cleanup debts) on each backend, still charged', (q) => q.orphanBytes);

  gauge({
    name: 's3o_objects_count',
    help: 'Live object copies stored on each backend',
    labelNames: ['backend'] as const,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const q of s.quotas) this.set({ backend: q.backendName }, 0);
      for (const c of s.copies) this.set({ backend: c.backendName }, c.copies);
    },
  });

  gauge({
    name: 's3o_cleanup_queue_depth',
    help: 'Byte deletions owed (cleanup_queue rows), dead letters not included',
    async collect() {
      const s = await snapshot();
      if (s) this.set(s.cleanupDepth);
    },
  });
}

/**
 * Serves the ledger gauges of this process from `source` (the last registration wins: one
 * ledger per process). Returns the remover.
 */
export function registerLedgerGauges(source: LedgerStatsSource, cacheMs = 5000): () => void {
  createGauges();
  const entry = { source, cacheMs, at: 0, snapshot: null };
  current = entry;
  return () => {
    if (current === entry) current = null;
  };
}
