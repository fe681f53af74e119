// Health-aware replication (replication.unhealthy_threshold): copies on a backend whose
// circuit breaker has been open longer than the threshold do not count toward the factor,
// so replacements are made elsewhere. The breakers are the placement process's own (docs/architecture.md
// §5: its background prober is the cluster's view of backend health); this module only
// needs to know since when each one has been open.

/** What replication needs to know of backend health. */
export interface BackendHealthView {
  /** Epoch ms when the backend's breaker opened; null while it is closed. */
  openSince(backend: string): number | null;
}

/** The backends whose copies do not count now: open for longer than `thresholdMs`. */
export function uncountedBackends(
  health: BackendHealthView | undefined,
  backends: readonly string[],
  thresholdMs: number,
  now: number,
): string[] {
  if (!health) return [];
  return backends.filter((name) => {
    const since = health.openSince(name);
    return since !== null && now - since >= thresholdMs;
  });
}

/** Whether the backend's breaker is open at all (for scoring copies). */
export function isOpen(health: BackendHealthView | undefined, backend: string): boolean {
  return health?.openSince(backend) != null;
}
