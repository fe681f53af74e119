// `circuit_breaker.*`: the gateway's database circuit breaker and the degraded mode it
// switches on (reads served from the backends, writes and listings refused). Defaults follow
// upstream where it has one.

import type { z } from 'zod';
import { boolean, duration, integer, section } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE, SECOND } from '../units.js';

/** The gateway's database circuit breaker and degraded mode (`circuit_breaker.*`). */
export interface CircuitBreakerConfig {
  /** Consecutive "database unreachable" failures that open the breaker (default 3). */
  failureThreshold: number;
  /** How long the breaker stays open before one probe is let through (default 15 s). */
  openTimeoutMs: number;
  /** How long a degraded read remembers where it found a key (default 60 s; 0 = never). */
  cacheTtlMs: number;
  /** Degraded reads ask all backends at once (default) rather than one after another. */
  parallelBroadcast: boolean;
  /** Cap on backends asked at once by a parallel broadcast; 0 = no cap. */
  degradedBroadcastParallelism: number;
  /** false: reads answer 503 while the database is unreachable, like writes. */
  degradedReadsEnabled: boolean;
}

const schema = section({
  failure_threshold: integer(3, { min: 1 }),
  open_timeout: duration(15 * SECOND, { allowZero: false }),
  // 0 = remember nothing: every degraded read asks the backends again.
  cache_ttl: duration(1 * MINUTE, { allowZero: true }),
  parallel_broadcast: boolean(true),
  // 0 = ask every backend at once.
  degraded_broadcast_parallelism: integer(0, { min: 0 }),
  degraded_reads_enabled: boolean(true),
});

type Reads = { circuit_breaker: z.output<typeof schema> };

export const circuitBreakerSection = defineSection({
  key: 'circuit_breaker',
  field: 'circuitBreaker',
  schema,
  normalise: ({ circuit_breaker: breaker }: Reads): CircuitBreakerConfig => ({
    failureThreshold: breaker.failure_threshold,
    openTimeoutMs: breaker.open_timeout,
    cacheTtlMs: breaker.cache_ttl,
    parallelBroadcast: breaker.parallel_broadcast,
    degradedBroadcastParallelism: breaker.degraded_broadcast_parallelism,
    degradedReadsEnabled: breaker.degraded_reads_enabled,
  }),
});
