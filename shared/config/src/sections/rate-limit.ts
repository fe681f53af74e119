// `rate_limit.*`: per-client-IP token buckets in the gateway, and the proxies whose
// X-Forwarded-For is believed.

import type { z } from 'zod';
import { cidrProblem } from '../cidr.js';
import { boolean, duration, integer, list, parsedText, requiredText, section } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE, type Parsed } from '../units.js';

export interface RateLimitConfig {
  enabled: boolean;
  /** Tokens added per second to each client's bucket. */
  requestsPerSec: number;
  /** Bucket size: requests a client may send at once after being idle. */
  burst: number;
  /** IP addresses / CIDR blocks of proxies whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  /** How often idle client entries are dropped. */
  cleanupIntervalMs: number;
  /** An entry idle this long is dropped (its bucket would be full again anyway). */
  cleanupMaxAgeMs: number;
}

/** A rate such as `100` or `2.5` (per second); must be above 0. */
function readPositiveRate(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) {
    return { ok: false, problem: trimmed.startsWith('-') ? 'must be greater than 0' : 'expected a number' };
  }
  const value = Number(trimmed);
  return value > 0 ? { ok: true, value } : { ok: false, problem: 'must be greater than 0' };
}

const schema = section({
  enabled: boolean(false),
  requests_per_sec: parsedText('100', readPositiveRate),
  burst: integer(200, { min: 1 }),
  trusted_proxies: list(requiredText(cidrProblem)),
  cleanup_interval: duration(1 * MINUTE, { allowZero: false }),
  cleanup_max_age: duration(5 * MINUTE, { allowZero: false }),
});

type Reads = { rate_limit: z.output<typeof schema> };

export const rateLimitSection = defineSection({
  key: 'rate_limit',
  field: 'rateLimit',
  schema,
  normalise: ({ rate_limit: limit }: Reads): RateLimitConfig => ({
    enabled: limit.enabled,
    requestsPerSec: limit.requests_per_sec,
    burst: limit.burst,
    trustedProxies: limit.trusted_proxies,
    cleanupIntervalMs: limit.cleanup_interval,
    cleanupMaxAgeMs: limit.cleanup_max_age,
  }),
});
