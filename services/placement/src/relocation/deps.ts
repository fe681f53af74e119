// What drains and the rebalancer work with.
import type { Config } from '@s3o/config';
import type { DebtLedger, DrainLedger, IntentLedger, LeaderLocks, PlacementLedger, ReadLedger } from '@s3o/store';
import type { BackendAvailability, BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';

/** The ledger roles drains and the rebalancer use: claims and moves of copies, the drains, leader locks. */
export type RelocationLedger = IntentLedger & DebtLedger & ReadLedger & PlacementLedger & DrainLedger & LeaderLocks;

export interface RelocationDeps {
  config: Config;
  ledger: RelocationLedger;
  backends: Map<string, BackendClient>;
  /** gates (breakers, usage limits) that refuse backends for writes and order reads */
  availability?: BackendAvailability;
  /** the process's budget for background backend writes; every copy takes a slot when given */
  admission?: { backgroundWrite(signal?: AbortSignal): Promise<(() => void) | null> };
  logger: Logger;
}
