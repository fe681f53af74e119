// The usage state one process shares between its services: the gateway reads it for the
// admin API and metrics, the usage service hands it the totals it folds.
import type { PublishedUsage, UsageBoard } from './board.js';
import type { UsageLimits } from './limits.js';
import type { FlushCounts } from './flusher.js';

export interface ProcessUsage {
  readonly board: UsageBoard;
  /** per backend; 0 = unlimited */
  readonly limits: ReadonlyMap<string, UsageLimits>;
  /**
   * Where the usage service puts each total it folds: this process's board, and in
   * distributed mode the KV bucket every process watches.
   */
  publishTotal(total: PublishedUsage): Promise<void>;
  /** Publishes what this process has metered now, without waiting for the next flush (admin usage-flush); null before start. */
  flushNow(): Promise<FlushCounts | null>;
  /** New limits for backends this process knows (a configuration reload); enforced from the next call on. */
  updateLimits(limits: ReadonlyMap<string, UsageLimits>): void;
}
