// What every part of the cleanup service works with.
import type { Config } from '@s3o/config';
import type {
  CleanupLedger, EventLogLedger, IdentityLedger, LeaderLocks, MultipartLedger, ReadLedger, ReaperLedger, WriteLedger,
} from '@s3o/store';
import type { BackendAvailability, BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';

/**
 * The ledger roles the cleanup service uses: the queue worker's debts, the reaper's intents,
 * the stale-multipart sweep's uploads, lifecycle expiry's listing and deletes (and the stored
 * buckets its rules reach), event log pruning, and the leader locks of its sweeps.
 */
export type CleanupServiceLedger = CleanupLedger & ReaperLedger & MultipartLedger & ReadLedger & WriteLedger & IdentityLedger & LeaderLocks
  & Pick<EventLogLedger, 'pruneEventLog'>;

export interface CleanupDeps {
  config: Config;
  ledger: CleanupServiceLedger;
  backends: Map<string, BackendClient>;
  /** Which backends may be used right now (breakers): lifecycle expiry's delete markers try those last. */
  availability?: BackendAvailability;
  logger: Logger;
  /** Epoch milliseconds; defaults to Date.now. Ages (min_age, staleness, expiry) are measured on it. */
  clock?: () => number;
}
