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
  /**
   * The UTC day (`YYYY-MM-DD`) the usage was recorded (the delta's event time); default the
   * day of the fold. A day outside `period` is taken as the period's nearest day (a delta for
   * last month flushed after midnight counts on last month's last day).
   */
  day?: string;
}

/** One backend_usage_daily row: a backend's totals for one UTC day. */
export interface DailyUsageRow {
  backendName: string;
  /** `YYYY-MM-DD`, UTC */
  day: string;
  apiRequests: number;
  egressBytes: number;
  ingressBytes: number;
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
  /** The daily rows of `period` (`YYYY-MM`), by (day, backend). */
  selectDailyUsage(period: string): Promise<DailyUsageRow[]>;
}

/** Statements over backend_usage usable inside `withTx`. */
export interface UsageWrites {
  /** Add the delta to the (backend, period) row, creating it; returns the row after. */
  addUsage(delta: UsageDelta, now: number): Promise<UsageRow>;
  /** Add the delta to the (backend, day) row, creating it. */
  addDailyUsage(delta: UsageDelta & { day: string }, now: number): Promise<void>;
}

/** The usage service's operations on backend_usage. */
export interface UsageLedger {
  /**
   * In ONE transaction: record `(consumer, eventId)` in processed_events and add the delta to
   * its backend_usage row and its backend_usage_daily row. A redelivered event (already recorded) adds nothing.
   */
  applyUsageDelta(consumer: string, eventId: string, delta: UsageDelta): Promise<UsageFoldResult>;
  /** Totals of `period` (every period when null), by (period, backend). */
  listUsage(period: string | null): Promise<UsageRow[]>;
  /** The daily totals of `period` (`YYYY-MM`), by (day, backend); days without usage have no row. */
  listDailyUsage(period: string): Promise<DailyUsageRow[]>;
}
