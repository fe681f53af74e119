// What drains and the rebalancer work with.
import type { Config } from '@s3o/config';
import type { Ledger } from '@s3o/store';
import type { BackendAvailability, BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';

export interface RelocationDeps {
  config: Config;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  /** gates (breakers, usage limits) that refuse backends for writes and order reads */
  availability?: BackendAvailability;
  /** the process's budget for background backend writes; every copy takes a slot when given */
  admission?: { backgroundWrite(signal?: AbortSignal): Promise<(() => void) | null> };
  logger: Logger;
  /** Called after a transaction appended events, so in-process consumers wake at once. */
  onEventsAppended?: () => void;
}
