// Monthly usage per backend (docs/architecture.md §4 `backend_usage`): API requests, egress and ingress
// bytes, folded by the usage service from the `usage.delta` events every process appends.
// The statements each engine implements, and the operations the usage service calls.

/** One backend_usage row: a backend's totals for one month. */
export interface UsageRow {
  backendName: string;
  /** `YYYY-MM`, UTC */
  period: string;
  apiRequests: number;
  egressBytes: number;
  ingressBytes: number;
  updatedAt: number;
}

/** One delta to fold: what one process used of one backend in one month since its last delta. */
export interface UsageDelta {
  backendName: string;
  period: string;
  requests: number;
  egress: number;
  ingress: number;
}

export interface UsageFoldResult {
  /** false when `(consumer, eventId)` was already processed: nothing was added */
  applied: boolean;
  /** the row after the fold (or as it stands, for a redelivery) */
  total: UsageRow;
}

/** Statements over backend_usage usable outside a transaction. */
export interface UsageReads {
  /** Rows of `period` (every period when null), by (period, backend). */
  selectUsage(period: string | null): Promise<UsageRow[]>;
}

/** Statements over backend_usage usable inside `withTx`. */
export interface UsageWrites {
  /** Add the delta to the (backend, period) row, creating it; returns the row after. */
  addUsage(delta: UsageDelta, now: number): Promise<UsageRow>;
}

/** The usage service's operations on backend_usage. */
export interface UsageLedger {
  /**
   * In ONE transaction: record `(consumer, eventId)` in processed_events and add the delta to
   * its backend_usage row. A redelivered event (already recorded) adds nothing.
   */
  applyUsageDelta(consumer: string, eventId: string, delta: UsageDelta): Promise<UsageFoldResult>;
  /** Totals of `period` (every period when null), by (period, backend). */
  listUsage(period: string | null): Promise<UsageRow[]>;
}
