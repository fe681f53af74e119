// Which deliveries an event owes and what their bodies say: the mapping from bus events
// (as the gateway, lifecycle expiry, cleanup and placement append them) to notification
// names, the endpoint filters, and both formats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONAL_NOTIFICATION_EVENTS, parseConfig, type NotificationsConfig } from '@s3o/config';
import { EventType } from '@s3o/events';
import type { StoredEvent } from '@s3o/store';
import { deliveriesFor, encodeEventKey, retryDelayMs, SYSTEM_PRINCIPAL } from '../src/index.js';

function notificationsConfig(endpoints: unknown[]): NotificationsConfig {
  const text = JSON.stringify({
    buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK1', secret_access_key: 's' }] },
      { name: 'docs', credentials: [{ access_key_id: 'AK2', secret_access_key: 's' }] }],
    backends: [{ name: 'b1', endpoint: 'http://127.0.0.1:1', bucket: 'x', access_key_id: 'a', secret_access_key: 'b' }],
    notifications: { region: 'eu-central-1', endpoints },
  });
  return parseConfig(text, {}).config.notifications;
}

let seq = 100;
function event(type: string, resource: string, data: Record<string, unknown>): StoredEvent {
  seq += 1;
  const sequencer = seq.toString(16).padStart(16, '0');
  return {
    seq, id: `01J${seq}`, type, time: '2026-01-02T03:04:05.678Z', resource, source: 'gateway@host-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    data: { version: 1, ...data, ...(type.startsWith('object.') ? { sequencer } : {}) }, sequencer, publishedAt: null,
  };
}

const request = { request_id: 'REQ1', access_key_id: 'AK1', source_ip: '10.0.0.7' };
const created = (op: string, bucket: string, key: string, extra: Record<string, unknown> = {}) =>
  event(EventType.ObjectCreated, `${bucket}/${key}`, { op, bucket, key, size: 5, etag: 'abc', content_type: 'text/plain', copies: [], displaced: [], ...request, ...extra });
const removed = (op: string, bucket: string, key: string, req: Record<string, unknown> = request) =>
  event(EventType.ObjectRemoved, `${bucket}/${key}`, { op, bucket, key, copies: [], ...req });

const hook = (name: string, extra: Record<string, unknown>) => ({ name, url: `http://127.0.0.1:9/${name}`, ...extra });
const names = (config: NotificationsConfig, e: StoredEvent) => deliveriesFor(e, config).map((d) => d.endpoint);
const body = (config: NotificationsConfig, e: StoredEvent, endpoint: string) =>
  JSON.parse(deliveriesFor(e, config).find((d) => d.endpoint === endpoint)!.payload) as Record<string, any>;

test('object events map to AWS names; both delete calls are ObjectRemoved:Delete, lifecycle expiry its own', () => {
  const config = notificationsConfig([hook('all', { events: ['*'] })]);
  const name = (e: StoredEvent) => body(config, e, 'all').Records[0].eventName;
  assert.equal(name(created('Put', 'photos', 'a')), 'ObjectCreated:Put');
  assert.equal(name(created('Copy', 'photos', 'a')), 'ObjectCreated:Copy');
  assert.equal(name(created('CompleteMultipartUpload', 'photos', 'a')), 'ObjectCreated:CompleteMultipartUpload');
  assert.equal(name(removed('Delete', 'photos', 'a')), 'ObjectRemoved:Delete');
  assert.equal(name(removed('DeleteObjects', 'photos', 'a')), 'ObjectRemoved:Delete');
  const expiry = body(config, removed('LifecycleExpiration', 'photos', 'old/a', { request_id: null, access_key_id: null, source_ip: null }), 'all').Records[0];
  assert.equal(expiry.eventName, 'LifecycleExpiration:Delete');
  assert.equal(expiry.userIdentity.principalId, SYSTEM_PRINCIPAL, 'no client request behind a lifecycle expiry');
  assert.equal(expiry.requestParameters.sourceIPAddress, SYSTEM_PRINCIPAL);
  // Events nobody can subscribe to owe nothing.
  assert.deepEqual(deliveriesFor(event(EventType.CleanupEnqueued, 'b1', { backend: 'b1', count: 1 }), config), []);
  assert.deepEqual(deliveriesFor(event(EventType.ObjectReplicated, 'photos/a', { bucket: 'photos', key: 'a' }), config), []);
  assert.deepEqual(deliveriesFor(created('Teleport', 'photos', 'a'), config), []);
});

test('an S3 record carries what AWS sends: region, time, principal, source IP, request id, bucket, encoded key, size, eTag, sequencer', () => {
  const config = notificationsConfig([hook('s3', { events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] })]);
  const e = created('Put', 'photos', 'dir/red flower+1=ü.jpg', { etag: '"d41d8cd98f00b204e9800998ecf8427e"', size: 1234 });
  const [delivery] = deliveriesFor(e, config);
  assert.deepEqual({ ...delivery!, payload: undefined }, {
    endpoint: 's3', objectKey: 'photos/dir/red flower+1=ü.jpg', sequencer: e.data.sequencer, payload: undefined,
    // outside a span the delivery continues the event's own trace
    traceparent: e.traceparent,
  });
  assert.deepEqual(JSON.parse(delivery!.payload), {
    Records: [{
      eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'eu-central-1', eventTime: '2026-01-02T03:04:05.678Z',
      eventName: 'ObjectCreated:Put', userIdentity: { principalId: 'AK1' }, requestParameters: { sourceIPAddress: '10.0.0.7' },
      responseElements: { 'x-amz-request-id': 'REQ1', 'x-amz-id-2': e.id },
      s3: {
        s3SchemaVersion: '1.0', configurationId: 's3',
        bucket: { name: 'photos', ownerIdentity: { principalId: 'AK1' }, arn: 'arn:aws:s3:::photos' },
        object: { key: 'dir/red+flower%2B1%3D%C3%BC.jpg', size: 1234, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: e.data.sequencer },
      },
    }],
  });
  const removal = body(config, removed('Delete', 'photos', 'x'), 's3').Records[0].s3.object;
  assert.deepEqual(Object.keys(removal), ['key', 'sequencer'], 'a removal has no size or eTag');
});

test('CloudEvents: id = event id, type = notification name, subject = key, data = the S3 record', () => {
  const config = notificationsConfig([hook('ce', { events: ['s3:*'], format: 'cloudevents' })]);
  const e = created('Copy', 'docs', 'a b');
  const ce = body(config, e, 'ce');
  assert.deepEqual(Object.keys(ce), ['specversion', 'id', 'type', 'time', 'datacontenttype', 'source', 'subject', 'sequencer', 'data']);
  assert.equal(ce.specversion, '1.0');
  assert.equal(ce.id, e.id);
  assert.equal(ce.type, 's3:ObjectCreated:Copy');
  assert.equal(ce.time, e.time);
  assert.equal(ce.source, '/buckets/docs');
  assert.equal(ce.subject, 'a b');
  assert.equal(ce.sequencer, e.data.sequencer);
  assert.equal(ce.data.s3.object.key, 'a+b');
  assert.equal(ce.data.eventName, 'ObjectCreated:Copy');
});

test('operational events go as CloudEvents to endpoints that name them, whatever the endpoint format', () => {
  const config = notificationsConfig([
    hook('ops', { events: ['backend.*', 'cleanup.dead_lettered', 'object.lost', 'replication.target_exhausted'] }),
    hook('s3only', { events: ['s3:*'] }),
    hook('circuits', { events: ['backend.circuit.*'], format: 'cloudevents', buckets: ['photos'], prefix: 'only/' }),
  ]);
  const opened = event('backend.circuit.opened', 'b2', { backend: 'b2', reason: '5 failures' });
  assert.deepEqual(names(config, opened), ['ops', 'circuits'], 'bucket and key filters do not apply to operational events');
  const ce = body(config, opened, 'ops');
  assert.deepEqual(ce, {
    specversion: '1.0', id: opened.id, type: 'backend.circuit.opened', time: opened.time, datacontenttype: 'application/json',
    source: '/s3-orchestrator/gateway@host-1', subject: 'b2', sequencer: opened.sequencer, data: { resource: 'b2', backend: 'b2', reason: '5 failures' },
  });
  const [delivery] = deliveriesFor(opened, config);
  assert.equal(delivery!.objectKey, null, 'operational deliveries have no per-key order');
  for (const type of ['backend.drain.completed', 'backend.drain.failed', 'backend.drain.cancelled', 'cleanup.dead_lettered', 'object.lost', 'replication.target_exhausted']) {
    assert.deepEqual(names(config, event(type, 'x', {})), ['ops'], type);
  }
  assert.deepEqual(names(config, event('backend.drain.started', 'b1', {})), [], 'drain starts are not notified');
  // Every operational name endpoints may list is an event type of the bus.
  const busTypes = new Set<string>(Object.values(EventType));
  for (const name of OPERATIONAL_NOTIFICATION_EVENTS) assert.ok(busTypes.has(name), `${name} is not an EventType`);
});

test('filters: events (exact and trailing *), buckets, prefix, suffix', () => {
  const config = notificationsConfig([
    hook('puts', { events: ['s3:ObjectCreated:Put'] }),
    hook('created', { events: ['s3:ObjectCreated:*'] }),
    hook('photos-jpg', { events: ['s3:*'], buckets: ['photos'], prefix: 'in/', suffix: '.jpg' }),
  ]);
  assert.deepEqual(names(config, created('Put', 'photos', 'in/a.jpg')), ['puts', 'created', 'photos-jpg']);
  assert.deepEqual(names(config, created('Copy', 'photos', 'in/a.jpg')), ['created', 'photos-jpg']);
  assert.deepEqual(names(config, created('Put', 'docs', 'in/a.jpg')), ['puts', 'created']);
  assert.deepEqual(names(config, created('Put', 'photos', 'out/a.jpg')), ['puts', 'created']);
  assert.deepEqual(names(config, created('Put', 'photos', 'in/a.png')), ['puts', 'created']);
  assert.deepEqual(names(config, removed('Delete', 'photos', 'in/a.jpg')), ['photos-jpg']);
});

test('keys are encoded as AWS does', () => {
  assert.equal(encodeEventKey('a/b c/d'), 'a/b+c/d');
  assert.equal(encodeEventKey('x+y=z&q?'), 'x%2By%3Dz%26q%3F');
  assert.equal(encodeEventKey('日本'), '%E6%97%A5%E6%9C%AC');
});

test('retry delays grow exponentially to the cap, with jitter of ±50 %', () => {
  assert.equal(retryDelayMs(0, 100, 10_000, () => 0.5), 100);
  assert.equal(retryDelayMs(3, 100, 10_000, () => 0.5), 800);
  assert.equal(retryDelayMs(20, 100, 10_000, () => 0.5), 10_000);
  assert.equal(retryDelayMs(2, 100, 10_000, () => 0), 200);
  assert.equal(retryDelayMs(2, 100, 10_000, () => 0.999), 600);
  assert.equal(retryDelayMs(5000, 100, 10_000, () => 0.5), 10_000, 'huge attempt counts stay finite');
});
