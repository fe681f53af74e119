// `cleanup_queue.*`: deleting bytes nothing references any more (cleanup debts), with
// retries and a dead-letter table, and the stale multipart upload sweep.

import type { z } from 'zod';
import { duration, integer, section } from '../fields.js';
import { defineSection } from '../section.js';
import { DAY, MINUTE, SECOND } from '../units.js';

export interface CleanupQueueConfig {
  concurrency: number;
  tickMs: number;
  batchSize: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
  multipartStaleTimeoutMs: number;
  /**
   * An in-doubt debt (bytes of a request whose outcome is unknown) is settled only by a second
   * DELETE this long after the first; 0 = one DELETE settles every debt.
   */
  confirmDelayMs: number;
}

const schema = section({
  concurrency: integer(4, { min: 1 }),
  tick: duration(5 * SECOND, { allowZero: false }),
  batch_size: integer(50, { min: 1 }),
  backoff_base: duration(1 * MINUTE, { allowZero: false }),
  backoff_max: duration(1 * DAY, { allowZero: false }),
  max_attempts: integer(10, { min: 1 }),
  multipart_stale_timeout: duration(1 * DAY, { allowZero: false }),
  confirm_delay: duration(1 * MINUTE, { allowZero: true }),
});

type Reads = { cleanup_queue: z.output<typeof schema> };

export const cleanupQueueSection = defineSection({
  key: 'cleanup_queue',
  field: 'cleanupQueue',
  schema,
  normalise: ({ cleanup_queue: queue }: Reads): CleanupQueueConfig => ({
    concurrency: queue.concurrency,
    tickMs: queue.tick,
    batchSize: queue.batch_size,
    backoffBaseMs: queue.backoff_base,
    backoffMaxMs: queue.backoff_max,
    maxAttempts: queue.max_attempts,
    multipartStaleTimeoutMs: queue.multipart_stale_timeout,
    confirmDelayMs: queue.confirm_delay,
  }),
  check({ cleanup_queue: queue }: Reads, report) {
    if (queue.backoff_max < queue.backoff_base) {
      report(['cleanup_queue', 'backoff_max'], 'must not be shorter than backoff_base');
    }
  },
});
