// `integrity.*`: end-to-end integrity (docs/architecture.md, "Integrity"). With `enabled`, the
// SHA-256 of every new object's plaintext is recorded at write (ledger, and the backend
// object's metadata when known before the upload) and full reads are checked against it.

import type { z } from 'zod';
import { boolean, section } from '../fields.js';
import { defineSection } from '../section.js';

export interface IntegrityConfig {
  /** Record the SHA-256 of new objects' plaintext. */
  enabled: boolean;
}

const schema = section({
  enabled: boolean(false),
});

type Reads = { integrity: z.output<typeof schema> };

export const integritySection = defineSection({
  key: 'integrity',
  field: 'integrity',
  schema,
  normalise: ({ integrity }: Reads): IntegrityConfig => ({ enabled: integrity.enabled }),
});
