// The latency of each backend's most recent calls in this process (a ring of the last
// RECENT_CALLS per backend), for the dashboard's backend cards: what an operator wants at a
// glance without a Prometheus to ask. Fed by backendTelemetry() with every call it observes.

export const RECENT_CALLS = 100;

export interface RecentLatency {
  /** calls kept (at most RECENT_CALLS) */
  calls: number;
  p50Ms: number;
  p95Ms: number;
  /** of the calls kept, those that failed */
  errors: number;
}

const rings = new Map<string, { durations: number[]; failed: boolean[]; next: number }>();

export function recordBackendLatency(backend: string, durationMs: number, failed: boolean): void {
  let ring = rings.get(backend);
  if (!ring) {
    ring = { durations: [], failed: [], next: 0 };
    rings.set(backend, ring);
  }
  ring.durations[ring.next] = durationMs;
  ring.failed[ring.next] = failed;
  ring.next = (ring.next + 1) % RECENT_CALLS;
}

/** The backend's recent calls summarised, or null when this process has made none. */
export function recentBackendLatency(backend: string): RecentLatency | null {
  const ring = rings.get(backend);
  if (!ring || ring.durations.length === 0) return null;
  const sorted = [...ring.durations].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { calls: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), errors: ring.failed.filter(Boolean).length };
}
