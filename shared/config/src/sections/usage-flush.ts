// `usage_flush.*`: how often each process publishes its usage deltas (usage.delta events),
// and faster while a backend is above adaptive_threshold of one of its limits.

import type { z } from 'zod';
import { boolean, duration, ratio, section } from '../fields.js';
import { defineSection } from '../section.js';
import { SECOND } from '../units.js';

/** How each process publishes its usage deltas (`usage_flush.*`). */
export interface UsageFlushConfig {
  intervalMs: number;
  adaptiveEnabled: boolean;
  /** Ratio of any usage limit above which a backend's deltas go out every fastIntervalMs. */
  adaptiveThreshold: number;
  fastIntervalMs: number;
}

const schema = section({
  interval: duration(1 * SECOND, { allowZero: false }),
  adaptive_enabled: boolean(false),
  adaptive_threshold: ratio(0.8, 1),
  fast_interval: duration(200, { allowZero: false }),
});

type Reads = { usage_flush: z.output<typeof schema> };

export const usageFlushSection = defineSection({
  key: 'usage_flush',
  field: 'usageFlush',
  schema,
  normalise: ({ usage_flush: flush }: Reads): UsageFlushConfig => ({
    intervalMs: flush.interval,
    adaptiveEnabled: flush.adaptive_enabled,
    adaptiveThreshold: flush.adaptive_threshold,
    fastIntervalMs: flush.fast_interval,
  }),
  // Adaptive flushing publishes faster near a limit; a "fast" interval that is not faster
  // would silently do nothing.
  check({ usage_flush: flush }: Reads, report) {
    if (flush.adaptive_enabled === true && flush.fast_interval >= flush.interval) {
      report(['usage_flush', 'fast_interval'], 'must be shorter than interval when adaptive_enabled is true');
    }
  },
});
