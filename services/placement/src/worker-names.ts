// The placement service's periodic workers (@s3o/workers) by name. Each name is also the
// leader lock the worker runs under, so it must not change between releases: processes of
// two versions side by side must still exclude each other.
export const PLACEMENT_WORKERS = {
  replicationSweep: 'replication-sweep',
  rebalance: 'rebalance',
  reconcile: 'reconcile',
  drains: 'backend-drains',
  health: 'backend-health',
  scrub: 'integrity-scrub',
} as const;
