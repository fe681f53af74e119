// notifications.endpoints[]: defaults, normalisation and every rule with its key path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

const hook = (extra: Record<string, unknown> = {}) => ({ name: 'hook', url: 'https://hooks.example.com/s3', events: ['s3:ObjectCreated:*'], ...extra });

test('a webhook endpoint with defaults, normalised', () => {
  const { config } = configAfter((d) => (d.notifications = { endpoints: [hook()] }));
  assert.deepEqual(config.notifications, {
    endpoints: [{
      name: 'hook', type: 'webhook', url: 'https://hooks.example.com/s3', subject: null, events: ['s3:ObjectCreated:*'],
      buckets: [], prefix: '', suffix: '', format: 's3', secret: null, timeoutMs: 10_000, maxRetries: 8,
    }],
    region: 'us-east-1', concurrency: 8, pollIntervalMs: 1000, backoffBaseMs: 1000, backoffMaxMs: 300_000, leaseMs: 60_000,
  });
});

test('every setting of an endpoint and of the section is read', () => {
  const { config } = configAfter((d) => {
    d.bus = { driver: 'nats', url: 'nats://10.0.0.1:4222' };
    d.notifications = {
      region: 'eu-west-1', concurrency: 3, poll_interval: '200ms', backoff_base: '50ms', backoff_max: '2s', lease: '30s',
      endpoints: [
        hook({ buckets: ['photos'], prefix: 'in/', suffix: '.jpg', format: 'cloudevents', secret: 's3cret', timeout: '2s', max_retries: 0,
          events: ['s3:ObjectRemoved:Delete', 'backend.*', 'object.lost'] }),
        { name: 'bus', type: 'nats', subject: 'app.s3-events', events: ['*'] },
        { name: 'other-nats', type: 'nats', url: 'nats://10.0.0.2:4222', subject: 'x', events: ['s3:*'] },
      ],
    };
  });
  const n = config.notifications;
  assert.deepEqual([n.region, n.concurrency, n.pollIntervalMs, n.backoffBaseMs, n.backoffMaxMs, n.leaseMs], ['eu-west-1', 3, 200, 50, 2000, 30_000]);
  assert.deepEqual(n.endpoints[0], {
    name: 'hook', type: 'webhook', url: 'https://hooks.example.com/s3', subject: null,
    events: ['s3:ObjectRemoved:Delete', 'backend.*', 'object.lost'], buckets: ['photos'], prefix: 'in/', suffix: '.jpg',
    format: 'cloudevents', secret: 's3cret', timeoutMs: 2000, maxRetries: 0,
  });
  assert.equal(n.endpoints[1]!.url, 'nats://10.0.0.1:4222', 'a nats endpoint defaults to bus.url');
  assert.equal(n.endpoints[1]!.subject, 'app.s3-events');
  assert.equal(n.endpoints[2]!.url, 'nats://10.0.0.2:4222');
});

test('bad values are reported at their key paths', () => {
  assert.deepEqual(
    problemsAfter((d) => (d.notifications = {
      backoff_base: '10s', backoff_max: '1s',
      endpoints: [
        hook({ url: 'ftp://x', format: 'xml', events: ['s3:ObjectCreated:Put', 's3:Nope', 's3:*Created', 'object.*'], buckets: ['photos', 'nope'], timeout: '2m' }),
        hook({ name: 'pigeon', type: 'carrier-pigeon' }),
        { name: 'hook', type: 'nats', events: [] },
        { name: 'bad name', url: 'http://x', subject: 'a.b', events: ['s3:ObjectRemoved:Delete'] },
        { name: 'n2', type: 'nats', subject: 'a.*', url: 'http://not-nats', events: ['*'] },
        { type: 'webhook', events: ['*'] },
      ],
    })),
    [
      'notifications.endpoints[0].events[1]: "s3:Nope" matches no event; known events: s3:ObjectCreated:Put, s3:ObjectCreated:Copy, s3:ObjectCreated:CompleteMultipartUpload, s3:ObjectRemoved:Delete, s3:LifecycleExpiration:Delete, s3:ObjectTagging:Put, s3:ObjectTagging:Delete, backend.circuit.opened, backend.circuit.closed, backend.drain.completed, backend.drain.failed, backend.drain.cancelled, cleanup.dead_lettered, replication.target_exhausted, object.lost, integrity.corruption_detected',
      'notifications.endpoints[0].events[2]: "s3:*Created": "*" may only end a pattern',
      'notifications.endpoints[0].format: expected one of "s3", "cloudevents", got "xml"',
      'notifications.endpoints[1].type: expected one of "webhook", "nats", got "carrier-pigeon"',
      'notifications.endpoints[3].name: "bad name" may only contain letters, digits, "_", "." and "-"',
      'notifications.endpoints[4].subject: expected a NATS subject like "events.s3" (tokens separated by ".", no wildcards or spaces), got "a.*"',
      'notifications.endpoints[5].name: required',
      'notifications.endpoints[0].buckets[1]: no bucket is named "nope"',
      'notifications.endpoints[0].timeout: must be shorter than notifications.lease (60000 ms): a delivery still running would be taken again',
      'notifications.endpoints[0].url: expected an http:// or https:// URL, got "ftp://x"',
      'notifications.endpoints[2].name: duplicate endpoint name "hook" (also notifications.endpoints[0].name)',
      'notifications.endpoints[2].events: at least one event (or pattern) is required',
      'notifications.endpoints[2].subject: required for a nats endpoint',
      'notifications.endpoints[2].url: required for a nats endpoint when the bus is not NATS (it defaults to bus.url)',
      'notifications.endpoints[3].subject: only a nats endpoint has a subject',
      'notifications.endpoints[4].url: expected a NATS server URL like "nats://127.0.0.1:4222", got "http://not-nats"',
      'notifications.endpoints[5].url: required for a webhook endpoint',
      'notifications.backoff_max: must not be shorter than backoff_base',
    ],
  );
});
