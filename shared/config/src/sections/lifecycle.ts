// `lifecycle.*`: expiry rules. A rule's prefix is an object-key prefix inside a bucket; a
// rule without `bucket` applies to every bucket, one with it only to that (configured) bucket.
// A rule with `tags` selects only objects that carry every one of them (AND with the prefix,
// as an AWS rule's `And` filter).

import { z } from 'zod';
import { duration, integer, list, optionalText, requiredInteger, requiredText, section, textOr } from '../fields.js';
import { defineSection, reportDuplicates } from '../section.js';
import { HOUR } from '../units.js';

/**
 * Objects created more than `expirationDays` ago whose key starts with `prefix` expire —
 * in the virtual bucket `bucket`, or in every bucket when it is null.
 */
export interface LifecycleRule {
  bucket: string | null;
  /** prefix of the object key inside the bucket (not the internal `bucket/key`); "" = every key */
  prefix: string;
  /** tags an object must all carry (key → value); empty = no tag filter */
  tags: Record<string, string>;
  expirationDays: number;
}

export interface LifecycleConfig {
  rules: LifecycleRule[];
  /** How often the rules are applied (default 1 h). */
  intervalMs: number;
  /** Keys read per listing page while looking for expired objects. */
  batchSize: number;
}

const tag = z.object({
  key: requiredText(),
  value: textOr(''),
});

const rule = z.object({
  bucket: optionalText(),
  prefix: textOr(''),
  tags: list(tag),
  expiration_days: requiredInteger({ min: 1 }),
});

const schema = section({
  rules: list(rule),
  interval: duration(1 * HOUR, { allowZero: false }),
  batch_size: integer(1000, { min: 1 }),
});

type Reads = { lifecycle: z.output<typeof schema>; buckets: ReadonlyArray<{ name: string }> };

export const lifecycleSection = defineSection({
  key: 'lifecycle',
  field: 'lifecycle',
  schema,
  normalise: ({ lifecycle }: Reads): LifecycleConfig => ({
    rules: lifecycle.rules.map((r) => ({
      bucket: r.bucket, prefix: r.prefix, tags: Object.fromEntries(r.tags.map((t) => [t.key, t.value])), expirationDays: r.expiration_days,
    })),
    intervalMs: lifecycle.interval,
    batchSize: lifecycle.batch_size,
  }),
  check({ lifecycle, buckets }: Reads, report) {
    const bucketNames = new Set(buckets.map((b) => b.name));
    lifecycle.rules.forEach((r, i) => {
      if (typeof r.bucket === 'string' && !bucketNames.has(r.bucket)) {
        report(['lifecycle', 'rules', i, 'bucket'], `no bucket is named ${JSON.stringify(r.bucket)}`);
      }
      reportDuplicates(
        r.tags.map((t, j) => ({ value: t.key, path: ['lifecycle', 'rules', i, 'tags', j, 'key'] })),
        (key) => `tag ${JSON.stringify(key)} is listed twice in this rule`,
        report,
      );
    });
  },
});
