// What every part of the cleanup service works with.
import type { Config } from '@s3o/config';
import type { Ledger } from '@s3o/store';
import type { BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';

export interface CleanupDeps {
  config: Config;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  logger: Logger;
  /** Epoch milliseconds; defaults to Date.now. Ages (min_age, staleness, expiry) are measured on it. */
  clock?: () => number;
  /** Called after a transaction appended events, so in-process consumers wake at once. */
  onEventsAppended?: () => void;
}
