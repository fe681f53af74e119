// `notifications.*`: the endpoints the notifier delivers bucket and operational events to
// from its outbox, their per-value rules, the rules relating them to the buckets and the
// bus, and their normalised form.

import { z } from 'zod';
import { choice, duration, integer, list, optionalText, requiredText, section, textOr } from '../fields.js';
import { formatKeyPath, type KeyPath } from '../key-path.js';
import { httpUrlProblem, natsUrlProblem, plainNameProblem } from '../names.js';
import { notificationEventPatternProblem } from '../notification-events.js';
import { defineSection } from '../section.js';
import { MINUTE, SECOND } from '../units.js';

export type NotificationEndpointType = 'webhook' | 'nats';
export type NotificationFormat = 's3' | 'cloudevents';

export interface NotificationEndpointConfig {
  name: string;
  type: NotificationEndpointType;
  /** webhook: the URL POSTed to; nats: the server URL(s) (bus.url when left out and the bus is NATS) */
  url: string;
  /** nats: the subject published to; null for webhooks */
  subject: string | null;
  /** names or `prefix*` patterns (see notification-events.ts) */
  events: string[];
  /** only these virtual buckets; empty = every bucket */
  buckets: string[];
  /** object-key prefix / suffix filters ("" = any) */
  prefix: string;
  suffix: string;
  format: NotificationFormat;
  /** HMAC-SHA256 signing secret; null = deliveries are not signed */
  secret: string | null;
  timeoutMs: number;
  /** failed attempts retried before the delivery is dead-lettered */
  maxRetries: number;
}

export interface NotificationsConfig {
  endpoints: NotificationEndpointConfig[];
  /** `awsRegion` of S3-format records */
  region: string;
  /** deliveries in flight at once per notifier process */
  concurrency: number;
  /** how often the delivery loop looks for due rows besides being woken */
  pollIntervalMs: number;
  /** first retry delay; doubles per attempt up to backoffMaxMs, with jitter */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** a claimed delivery is another notifier's to take after this long (a crashed notifier's rows) */
  leaseMs: number;
}

/** A NATS subject to publish to: dot-separated tokens, no wildcards or whitespace. */
function natsSubjectProblem(text: string): string | null {
  if (text.split('.').every((token) => /^[^\s.*>]+$/.test(token))) return null;
  return `expected a NATS subject like "events.s3" (tokens separated by ".", no wildcards or spaces), got ${JSON.stringify(text)}`;
}

const endpoint = z.object({
  name: requiredText(plainNameProblem),
  type: choice('webhook', ['webhook', 'nats'] as const),
  // Checked against `type` in checkNotificationRules.
  url: optionalText(),
  subject: optionalText(natsSubjectProblem),
  events: list(requiredText(notificationEventPatternProblem)),
  buckets: list(requiredText()),
  prefix: textOr(''),
  suffix: textOr(''),
  format: choice('s3', ['s3', 'cloudevents'] as const),
  secret: optionalText(),
  timeout: duration(10 * SECOND, { allowZero: false }),
  max_retries: integer(8, { min: 0 }),
});

const schema = section({
  endpoints: list(endpoint),
  region: textOr('us-east-1'),
  concurrency: integer(8, { min: 1 }),
  poll_interval: duration(1 * SECOND, { allowZero: false }),
  backoff_base: duration(1 * SECOND, { allowZero: false }),
  backoff_max: duration(5 * MINUTE, { allowZero: false }),
  lease: duration(1 * MINUTE, { allowZero: false }),
});

type Reads = {
  notifications: z.output<typeof schema>;
  buckets: ReadonlyArray<{ name: string }>;
  bus: { url: string };
};

export const notificationsSection = defineSection({
  key: 'notifications',
  field: 'notifications',
  schema,
  normalise: ({ notifications: n, bus }: Reads): NotificationsConfig => ({
    endpoints: n.endpoints.map((e) => ({
      name: e.name,
      type: e.type,
      url: e.url ?? bus.url,
      subject: e.subject,
      events: e.events,
      buckets: e.buckets,
      prefix: e.prefix,
      suffix: e.suffix,
      format: e.format,
      secret: e.secret,
      timeoutMs: e.timeout,
      maxRetries: e.max_retries,
    })),
    region: n.region,
    concurrency: n.concurrency,
    pollIntervalMs: n.poll_interval,
    backoffBaseMs: n.backoff_base,
    backoffMaxMs: n.backoff_max,
    leaseMs: n.lease,
  }),
  /** Rules relating an endpoint to its type, the buckets and the bus. */
  check({ notifications: n, buckets }: Reads, report, derived) {
    const bucketNames = new Set(buckets.map((b) => b.name));
    const names = new Map<string, KeyPath>();
    n.endpoints.forEach((e, i) => {
      const at = (key: string): KeyPath => ['notifications', 'endpoints', i, key];
      if (typeof e.name === 'string') {
        const first = names.get(e.name);
        if (first) report(at('name'), `duplicate endpoint name ${JSON.stringify(e.name)} (also ${formatKeyPath(first)})`);
        else names.set(e.name, at('name'));
      }
      if (Array.isArray(e.events) && e.events.length === 0) report(at('events'), 'at least one event (or pattern) is required');
      if (Array.isArray(e.buckets)) {
        e.buckets.forEach((b, j) => {
          if (typeof b === 'string' && !bucketNames.has(b)) report([...at('buckets'), j], `no bucket is named ${JSON.stringify(b)}`);
        });
      }
      if (typeof e.timeout === 'number' && typeof n.lease === 'number' && e.timeout >= n.lease) {
        report(at('timeout'), `must be shorter than notifications.lease (${n.lease} ms): a delivery still running would be taken again`);
      }
      if (e.type === 'webhook') {
        if (e.url === null) report(at('url'), 'required for a webhook endpoint');
        else if (typeof e.url === 'string' && httpUrlProblem(e.url)) report(at('url'), httpUrlProblem(e.url)!);
        if (typeof e.subject === 'string') report(at('subject'), 'only a nats endpoint has a subject');
      } else if (e.type === 'nats') {
        if (e.subject === null) report(at('subject'), 'required for a nats endpoint');
        if (e.url === null && derived.busDriver !== 'nats') report(at('url'), 'required for a nats endpoint when the bus is not NATS (it defaults to bus.url)');
        else if (typeof e.url === 'string' && natsUrlProblem(e.url)) report(at('url'), natsUrlProblem(e.url)!);
      }
    });
    if (n.backoff_max < n.backoff_base) report(['notifications', 'backoff_max'], 'must not be shorter than backoff_base');
  },
});
