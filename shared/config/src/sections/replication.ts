// `replication.*`: copies per object on distinct backends, and the placement worker that
// keeps them.

import type { z } from 'zod';
import { duration, integer, section } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE } from '../units.js';

export interface ReplicationConfig {
  /** copies of each object on distinct backends (at most the number of backends) */
  factor: number;
  /** how often the catch-up sweep looks for objects below / above the factor */
  workerIntervalMs: number;
  /** objects per page of the sweep */
  batchSize: number;
  /** copies made at once */
  concurrency: number;
  /** copies on a backend whose breaker has been open longer than this do not count (0: as soon as it opens) */
  unhealthyThresholdMs: number;
}

const schema = section({
  factor: integer(1, { min: 1 }),
  worker_interval: duration(5 * MINUTE, { allowZero: false }),
  batch_size: integer(50, { min: 1 }),
  concurrency: integer(5, { min: 1 }),
  unhealthy_threshold: duration(10 * MINUTE, { allowZero: true }),
});

type Reads = { replication: z.output<typeof schema>; backends: readonly unknown[] };

export const replicationSection = defineSection({
  key: 'replication',
  field: 'replication',
  schema,
  normalise: ({ replication }: Reads): ReplicationConfig => ({
    factor: replication.factor,
    workerIntervalMs: replication.worker_interval,
    batchSize: replication.batch_size,
    concurrency: replication.concurrency,
    unhealthyThresholdMs: replication.unhealthy_threshold,
  }),
  // Each copy of an object lives on its own backend: more copies than backends cannot be made.
  checkCounts({ replication, backends }: Reads, report) {
    const { factor } = replication;
    if (typeof factor === 'number' && backends.length > 0 && factor > backends.length) {
      report(['replication', 'factor'], `must not exceed the number of backends (${backends.length})`);
    }
  },
});
