// `reconcile.*`: the placement service's periodic check of the ledger against the backends
// (one process at a time): copies found absent are marked missing, unknown keys imported or
// (our own leftovers) owed to cleanup.

import type { z } from 'zod';
import { boolean, duration, section } from '../fields.js';
import { defineSection } from '../section.js';
import { HOUR } from '../units.js';

/** The placement service's reconcile job (`reconcile.*`). */
export interface ReconcileConfig {
  enabled: boolean;
  /** How often a pass runs (default 1 h). */
  intervalMs: number;
}

const schema = section({
  enabled: boolean(false),
  interval: duration(1 * HOUR, { allowZero: false }),
});

type Reads = { reconcile: z.output<typeof schema> };

export const reconcileSection = defineSection({
  key: 'reconcile',
  field: 'reconcile',
  schema,
  normalise: ({ reconcile }: Reads): ReconcileConfig => ({ enabled: reconcile.enabled, intervalMs: reconcile.interval }),
});
