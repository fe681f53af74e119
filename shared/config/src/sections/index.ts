// Every section of the configuration file. A new section is a new file in this folder plus
// its entry in SECTIONS (and the import that names it); the file's schema, the Config type,
// the rules and the list of refused settings follow from the entry. Its keys go into
// config.example.yaml too, which test/example.test.ts checks.
//
// The order is the order problems are reported in: each value's own problems section by
// section, then every section's checkCounts, then every section's check, then the refused
// settings. It is the order of config.example.yaml, except that auth comes after the lists:
// its rule (an access key id is used once) is about every bucket's credentials, and reads
// best after the buckets' and backends' own rules. (test/example.test.ts holds it to that.)

import type { z } from 'zod';
import type { UnsupportedSetting } from '../section.js';
import { authSection } from './auth.js';
import { backendCircuitBreakerSection } from './backend-circuit-breaker.js';
import { backendsSection } from './backends.js';
import { bucketsSection } from './buckets.js';
import { busSection } from './bus.js';
import { circuitBreakerSection } from './circuit-breaker.js';
import { cleanupQueueSection } from './cleanup-queue.js';
import { databaseSection } from './database.js';
import { encryptionSection } from './encryption.js';
import { integritySection } from './integrity.js';
import { lifecycleSection } from './lifecycle.js';
import { loggingSection } from './logging.js';
import { notificationsSection } from './notifications.js';
import { rateLimitSection } from './rate-limit.js';
import { rebalanceSection } from './rebalance.js';
import { reconcileSection } from './reconcile.js';
import { replicationSection } from './replication.js';
import { routingStrategySection } from './routing-strategy.js';
import { serverSection } from './server.js';
import { telemetrySection } from './telemetry.js';
import { uiSection } from './ui.js';
import { usageFlushSection } from './usage-flush.js';
import { writePathSection } from './write-path.js';

export const SECTIONS = [
  serverSection,
  bucketsSection,
  databaseSection,
  backendsSection,
  authSection,
  routingStrategySection,
  replicationSection,
  busSection,
  cleanupQueueSection,
  writePathSection,
  loggingSection,
  circuitBreakerSection,
  lifecycleSection,
  reconcileSection,
  backendCircuitBreakerSection,
  rebalanceSection,
  rateLimitSection,
  usageFlushSection,
  encryptionSection,
  integritySection,
  notificationsSection,
  telemetrySection,
  uiSection,
] as const;

type Section = (typeof SECTIONS)[number];

/** The file after per-value validation: snake_case, typed, defaults filled. */
export type ConfigDocument = { [S in Section as S['key']]: z.output<S['schema']> };

/**
 * The validated, normalised configuration every service codes against. Names are camelCase;
 * durations are milliseconds, sizes are bytes, and every default is already filled in, so
 * consumers never re-parse or re-default.
 */
export type Config = {
  [S in Section as S['field'] & string]: S extends { normalise?(...args: never[]): infer Value } ? Value : never;
};

/** Every setting we recognise but refuse to turn on, section by section. */
export const UNSUPPORTED_SETTINGS: readonly UnsupportedSetting<ConfigDocument>[] = SECTIONS.flatMap(
  (section): readonly UnsupportedSetting<ConfigDocument>[] => section.unsupported ?? [],
);
