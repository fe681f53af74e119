// `write_path.*`: the pending pattern — every write records its intent before touching a
// backend, renews it while it runs, and the reaper resolves the intents of writes that died.

import type { z } from 'zod';
import { boolean, duration, integer, section } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE, SECOND } from '../units.js';

export interface PendingPatternConfig {
  reaperTickMs: number;
  minAgeMs: number;
  batchSize: number;
  heartbeatMs: number;
}

export interface WritePathConfig {
  pendingPattern: PendingPatternConfig;
}

const schema = section({
  pending_pattern: section({
    // Upstream may turn the pattern off; we never do (see check below).
    enabled: boolean(true),
    reaper_tick: duration(1 * MINUTE, { allowZero: false }),
    min_age: duration(5 * MINUTE, { allowZero: false }),
    batch_size: integer(50, { min: 1 }),
    heartbeat: duration(30 * SECOND, { allowZero: false }),
  }),
});

type Reads = { write_path: z.output<typeof schema> };

export const writePathSection = defineSection({
  key: 'write_path',
  field: 'writePath',
  schema,
  normalise: ({ write_path: { pending_pattern: pending } }: Reads): WritePathConfig => ({
    pendingPattern: {
      reaperTickMs: pending.reaper_tick,
      minAgeMs: pending.min_age,
      batchSize: pending.batch_size,
      heartbeatMs: pending.heartbeat,
    },
  }),
  check({ write_path: { pending_pattern: pending } }: Reads, report) {
    if (pending.enabled === false) {
      report(
        ['write_path', 'pending_pattern', 'enabled'],
        'cannot be turned off (every write records its intent before touching a backend)',
      );
    }
    // A write renews its intent every heartbeat; the reaper treats intents older than
    // min_age as abandoned, so the heartbeat must come well before that.
    if (pending.heartbeat >= pending.min_age) {
      report(['write_path', 'pending_pattern', 'heartbeat'], 'must be shorter than min_age (live writes would be reaped)');
    }
  },
});
