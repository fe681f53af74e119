// `backend_circuit_breaker.*`: one circuit breaker per backend, in every process.

import type { z } from 'zod';
import { boolean, duration, integer, section } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE } from '../units.js';

/** Backend circuit breakers (`backend_circuit_breaker.*`). */
export interface BackendCircuitBreakerConfig {
  enabled: boolean;
  /** Consecutive failed calls to a backend that open its breaker (default 5). */
  failureThreshold: number;
  /** Delay before the first background HeadBucket probe of an open breaker (default 5 min); later probes back off. */
  openTimeoutMs: number;
}

const schema = section({
  enabled: boolean(false),
  failure_threshold: integer(5, { min: 1 }),
  open_timeout: duration(5 * MINUTE, { allowZero: false }),
});

type Reads = { backend_circuit_breaker: z.output<typeof schema> };

export const backendCircuitBreakerSection = defineSection({
  key: 'backend_circuit_breaker',
  field: 'backendCircuitBreaker',
  schema,
  normalise: ({ backend_circuit_breaker: breaker }: Reads): BackendCircuitBreakerConfig => ({
    enabled: breaker.enabled,
    failureThreshold: breaker.failure_threshold,
    openTimeoutMs: breaker.open_timeout,
  }),
});
