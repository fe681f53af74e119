// `bus.*`: how domain events travel between the services — in process (memory) or through
// NATS JetStream. Left out, the driver follows the database (derived.ts).

import type { z } from 'zod';
import { BUS_DRIVERS, type BusDriver } from '../derived.js';
import { duration, integer, optionalChoice, section, textOr } from '../fields.js';
import { natsTokenProblem, natsUrlProblem } from '../names.js';
import { defineSection } from '../section.js';
import { DAY, HOUR, SECOND } from '../units.js';

export interface BusConfig {
  driver: BusDriver;
  url: string;
  stream: string;
  subjectPrefix: string;
  retentionMs: number;
  /** how often the cleanup service prunes event_log and processed_events */
  pruneIntervalMs: number;
  maxDeliver: number;
  pollIntervalMs: number;
}

const schema = section({
  driver: optionalChoice(BUS_DRIVERS),
  url: textOr('nats://127.0.0.1:4222', natsUrlProblem),
  stream: textOr('S3O_EVENTS', (text) => natsTokenProblem(text, 'a stream name')),
  subject_prefix: textOr('s3o', (text) => natsTokenProblem(text, 'one token')),
  retention: duration(7 * DAY, { allowZero: false }),
  prune_interval: duration(1 * HOUR, { allowZero: false }),
  max_deliver: integer(5, { min: 1 }),
  poll_interval: duration(1 * SECOND, { allowZero: false }),
});

type Reads = { bus: z.output<typeof schema> };

export const busSection = defineSection({
  key: 'bus',
  field: 'bus',
  schema,
  normalise: ({ bus }: Reads, derived): BusConfig => ({
    driver: derived.busDriver,
    url: bus.url,
    stream: bus.stream,
    subjectPrefix: bus.subject_prefix,
    retentionMs: bus.retention,
    pruneIntervalMs: bus.prune_interval,
    maxDeliver: bus.max_deliver,
    pollIntervalMs: bus.poll_interval,
  }),
  // With postgres, transactions commit out of `seq` order, so a reader tailing event_log by
  // seq (the in-process bus) could skip rows for good.
  check(_file: Reads, report, derived) {
    if (derived.busDriver === 'memory' && derived.databaseDriver === 'postgres') {
      report(['bus', 'driver'], '"memory" cannot be used with postgres (events could be skipped); use "nats"');
    }
  },
});
