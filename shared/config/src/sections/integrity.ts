// `integrity.*`: end-to-end integrity (docs/architecture.md, "Integrity"). With `enabled`, the
// SHA-256 of every new object's plaintext is recorded at write (ledger, and the backend
// object's metadata when known before the upload) and full reads are checked against it.
// The scrubber (`scrub_*`, the placement service, one process at a time) re-reads copies at a
// bounded rate, oldest-verified first, and marks the ones that fail their check corrupt.

import type { z } from 'zod';
import { boolean, duration, integer, section, size } from '../fields.js';
import { defineSection } from '../section.js';
import { DAY, HOUR, MiB } from '../units.js';

export interface IntegrityConfig {
  /** Record the SHA-256 of new objects' plaintext. */
  enabled: boolean;
  /** The scrubber: a pass every `intervalMs`, checking at most `objectsPerPass` copies verified longer than `minAgeMs` ago (or never), reading at most `bytesPerSecond`. */
  scrub: { enabled: boolean; intervalMs: number; objectsPerPass: number; bytesPerSecond: number; minAgeMs: number };
}

const schema = section({
  enabled: boolean(false),
  scrub_enabled: boolean(false),
  scrub_interval: duration(1 * HOUR, { allowZero: false }),
  scrub_objects_per_pass: integer(1000, { min: 1, max: 1_000_000 }),
  scrub_bytes_per_second: size(16 * MiB, { allowZero: false }),
  scrub_min_age: duration(7 * DAY, { allowZero: true }),
});

type Reads = { integrity: z.output<typeof schema> };

export const integritySection = defineSection({
  key: 'integrity',
  field: 'integrity',
  schema,
  normalise: ({ integrity }: Reads): IntegrityConfig => ({
    enabled: integrity.enabled,
    scrub: {
      enabled: integrity.scrub_enabled,
      intervalMs: integrity.scrub_interval,
      objectsPerPass: integrity.scrub_objects_per_pass,
      bytesPerSecond: integrity.scrub_bytes_per_second,
      minAgeMs: integrity.scrub_min_age,
    },
  }),
});
