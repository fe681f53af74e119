// What every part of replication works with.
import type { Config } from '@s3o/config';
import type { DebtLedger, DrainLedger, EventLedger, IntentLedger, LeaderLocks, MissingCopyLedger, PlacementLedger, ReadLedger } from '@s3o/store';
import type { BackendAvailability, BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';
import type { BackendHealthView } from './health.js';

/**
 * The ledger roles replication uses: claims for the copies, the replica commits and drops,
 * copies found missing, target_exhausted announcements, the drains targets avoid, and the
 * sweep's leader lock.
 */
export type ReplicationLedger = IntentLedger & DebtLedger & ReadLedger & PlacementLedger & MissingCopyLedger & EventLedger & DrainLedger & LeaderLocks;

export interface ReplicationDeps {
  config: Config;
  ledger: ReplicationLedger;
  backends: Map<string, BackendClient>;
  /** gates (breakers, usage limits) that refuse backends for writes and order reads */
  availability?: BackendAvailability;
  /** the placement process's breakers: copies on long-open backends do not count */
  health?: BackendHealthView;
  logger: Logger;
  /** the process's write budget, shared with the gateway: every copy takes a background write slot */
  admission?: { backgroundWrite(signal?: AbortSignal): Promise<(() => void) | null> };
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
}
