// The events' schemas, constructors and parse: what producers build is what consumers read,
// and what is not an event this version can read is refused, naming the problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EVENT_SCHEMAS, EventType, MalformedEventError, NO_REQUEST, backendCircuitChanged, backendDrainEvent, cleanupDeadLettered,
  cleanupEnqueued, copyRef, integrityCorruptionDetected, objectCreated, objectLost, objectMoved, objectRemoved, objectReplicated, objectTagging, parseEvent,
  replicationTargetExhausted, splitInternalKey, usageDeltaEvent, identityChanged, type EventRecord, type NewEvent,
} from '../src/index.js';

let seq = 0;
function stored(event: { type: string; resource: string; data: object }): EventRecord {
  seq += 1;
  return {
    seq, id: `E${seq}`, type: event.type, time: '2026-01-01T00:00:00.000Z', resource: event.resource, source: 'test',
    traceparent: null, data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>, sequencer: seq.toString(16).padStart(16, '0'), publishedAt: null,
  };
}

const object = { objectKey: 'photos/a/b.jpg', size: 5, etag: 'abc', contentType: 'image/jpeg', writeId: 'W1' };
const copy = (backendName: string) => ({ backendName, storageKey: `photos/a/b.jpg!${backendName}`, sizeBytes: 5 });
const drain = { backendName: 'b1', objectsTotal: 3, objectsMoved: 1, bytesMoved: 10, lastError: 'full' };
const request = { request_id: 'R1', access_key_id: 'AK', source_ip: '10.0.0.1' };

const everyEvent: NewEvent[] = [
  objectCreated('Put', { object, copies: [copy('b1')], displaced: [copy('b2')] }, request),
  objectRemoved('LifecycleExpiration', object.objectKey, [copy('b1')], NO_REQUEST),
  objectTagging('Put', { ...object, tags: { colour: 'blue' } }, request),
  objectCreated('Copy', { object: { ...object, tags: { colour: 'blue' } }, copies: [copy('b1')], displaced: [] }, request),
  objectReplicated({ object, copy: copy('b2') }, 'b1'),
  objectMoved({ object, from: copy('b1'), to: copy('b3') }, 'drain'),
  objectLost(object, [copy('b1')]),
  integrityCorruptionDetected({ ...copy('b1'), objectKey: object.objectKey, writeId: 'w1' }, 'sha256', 'scrub'),
  replicationTargetExhausted(object.objectKey, 3, 2),
  cleanupEnqueued('b1', 4),
  cleanupDeadLettered({ id: 7, backendName: 'b1', kind: 'object', storageKey: 'k!1', objectKey: null }, 5, 'refused'),
  backendCircuitChanged('open', 'b1', '5 failures'),
  backendCircuitChanged('closed', 'b1', 'probe answered'),
  backendDrainEvent(EventType.BackendDrainStarted, drain),
  backendDrainEvent(EventType.BackendDrainCompleted, drain),
  backendDrainEvent(EventType.BackendDrainFailed, drain),
  backendDrainEvent(EventType.BackendDrainCancelled, drain),
  identityChanged('credential.revoked', 'AKIAEXAMPLE0000000'),
  usageDeltaEvent({ backend: 'b1', period: '2026-01', requests: 1, egress: 2, ingress: 3, delta_id: 'd1' }),
];

test('every event type has a constructor, and what it builds is what a consumer reads back', () => {
  assert.deepEqual(new Set(everyEvent.map((e) => e.type)), new Set(Object.keys(EVENT_SCHEMAS)));
  assert.deepEqual(new Set(Object.values(EventType)), new Set(Object.keys(EVENT_SCHEMAS)));
  for (const event of everyEvent) {
    const parsed = parseEvent(stored(event));
    assert.equal(parsed.type, event.type);
    assert.deepEqual(parsed.data, event.data, event.type);
  }
});

test('constructors: internal keys split at the first slash, copies as backend + storage key, request facts or none', () => {
  assert.deepEqual(splitInternalKey('photos/a/b.jpg'), { bucket: 'photos', key: 'a/b.jpg' });
  assert.deepEqual(splitInternalKey('photos'), { bucket: 'photos', key: '' });
  assert.deepEqual(copyRef(copy('b1')), { backend: 'b1', storage_key: 'photos/a/b.jpg!b1' });
  const created = everyEvent[0]!;
  assert.equal(created.resource, 'photos/a/b.jpg');
  assert.deepEqual(created.data, {
    version: 1, op: 'Put', bucket: 'photos', key: 'a/b.jpg', size: 5, etag: 'abc', content_type: 'image/jpeg',
    copies: [{ backend: 'b1', storage_key: 'photos/a/b.jpg!b1' }], displaced: [{ backend: 'b2', storage_key: 'photos/a/b.jpg!b2' }],
    request_id: 'R1', access_key_id: 'AK', source_ip: '10.0.0.1',
  });
  assert.deepEqual(everyEvent[1]!.data, {
    version: 1, op: 'LifecycleExpiration', bucket: 'photos', key: 'a/b.jpg', copies: [{ backend: 'b1', storage_key: 'photos/a/b.jpg!b1' }],
    request_id: null, access_key_id: null, source_ip: null,
  });
  const [failed, started] = [backendDrainEvent(EventType.BackendDrainFailed, drain), backendDrainEvent(EventType.BackendDrainStarted, drain)];
  assert.equal(failed.data.reason, 'full', 'a failed drain says why');
  assert.equal(started.data.reason, null);
  assert.equal(backendCircuitChanged('open', 'b1', 'x').type, 'backend.circuit.opened');
});

test('the sequencer the store stamps on object events is read back', () => {
  const record = stored(everyEvent[0]!);
  record.data.sequencer = '00000000000000ff';
  const parsed = parseEvent(record);
  assert.equal(parsed.type === EventType.ObjectCreated && parsed.data.sequencer, '00000000000000ff');
});

test('data of a later version is read by the fields this version knows', () => {
  const record = stored(cleanupEnqueued('b1', 2));
  record.data = { ...record.data, version: 2, priority: 'high' };
  assert.deepEqual(parseEvent(record).data, { version: 2, backend: 'b1', count: 2 });
});

test('a usage.delta without a delta id reads as an empty one', () => {
  const record = stored(usageDeltaEvent({ backend: 'b1', period: '2026-01', requests: 1, egress: 0, ingress: 0, delta_id: 'x' }));
  delete record.data.delta_id;
  const parsed = parseEvent(record);
  assert.equal(parsed.type === EventType.UsageDelta && parsed.data.delta_id, '');
});

test('what is not an event this version can read is refused, naming the event and the problem', () => {
  const refused = (record: EventRecord, problem: RegExp) => assert.throws(() => parseEvent(record), (err: unknown) => {
    assert.ok(err instanceof MalformedEventError);
    assert.equal(err.eventId, record.id);
    assert.match(err.message, problem);
    return true;
  });
  refused(stored({ type: 'object.teleported', resource: 'r', data: { version: 1 } }), /unknown event type/);
  refused(stored({ type: 'cleanup.enqueued', resource: 'b1', data: { backend: 'b1', count: 1 } }), /version/);
  refused(stored({ type: 'cleanup.enqueued', resource: 'b1', data: { version: 0, backend: 'b1', count: 1 } }), /version/);
  refused(stored({ type: 'cleanup.enqueued', resource: 'b1', data: { version: 1, backend: 'b1', count: -1 } }), /count/);
  refused(stored({ type: 'object.created', resource: 'b/k', data: { ...everyEvent[0]!.data, op: 'Teleport' } }), /op/);
  refused(stored({ type: 'object.created', resource: 'b/k', data: { ...everyEvent[0]!.data, copies: [{ backend: 'b1' }] } }), /copies\.0\.storage_key/);
  refused(stored({ type: 'usage.delta', resource: 'b1', data: { ...everyEvent.at(-1)!.data, period: '2026-1' } }), /period/);
  refused(stored({ type: 'usage.delta', resource: 'b1', data: { ...everyEvent.at(-1)!.data, egress: 1.5 } }), /egress/);
});
