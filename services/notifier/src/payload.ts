// The bodies the notifier stores and sends (the bytes signed are the bytes stored):
// * S3 format — the AWS S3 event message, `{"Records":[…]}` with one record (eventVersion 2.1);
//   AWS's record has no event id, so `responseElements.x-amz-id-2` carries ours (it is also
//   the `X-S3O-Event-Id` header): the same on every retry, for receivers to dedupe on;
// * CloudEvents 1.0, structured JSON — `type` is the notification event name
//   (`s3:ObjectCreated:Put`, `backend.circuit.opened` …), `id` the event id (stable across
//   retries), `subject` the object key or the operational event's resource, `sequencer` an
//   extension attribute; `data` is the S3 record for object events, the event's own data for
//   operational events. Operational events have no S3 form: they always go as CloudEvents.
import type { NotificationEndpointConfig } from '@s3o/config';
import type { DomainEvent } from '@s3o/events';
import type { NotificationFacts, ObjectFacts } from './events.js';

/** Who an event with no client request behind it (lifecycle expiry, a promoted write) is attributed to. */
export const SYSTEM_PRINCIPAL = 's3-orchestrator';

export const CONTENT_TYPES = { s3: 'application/json', cloudevents: 'application/cloudevents+json' } as const;

export interface Payload {
  body: string;
  contentType: string;
}

/**
 * The key as AWS writes it in event records: URL-encoded, a space as `+`, `/` kept
 * (`photos/red flower.jpg` → `photos/red+flower.jpg`).
 */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

function s3Record(event: DomainEvent, facts: ObjectFacts, endpoint: NotificationEndpointConfig, region: string) {
  const principal = facts.accessKeyId ?? SYSTEM_PRINCIPAL;
  const object: Record<string, unknown> = { key: encodeEventKey(facts.key) };
  if (facts.size !== null) object.size = facts.size;
  if (facts.etag !== null) object.eTag = facts.etag.replace(/^"+|"+$/g, '');
  object.sequencer = facts.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: event.time,
    eventName: facts.name.slice('s3:'.length),
    userIdentity: { principalId: principal },
    requestParameters: { sourceIPAddress: facts.sourceIp ?? SYSTEM_PRINCIPAL },
    responseElements: { 'x-amz-request-id': facts.requestId ?? '', 'x-amz-id-2': event.id },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: endpoint.name,
      bucket: { name: facts.bucket, ownerIdentity: { principalId: principal }, arn: `arn:aws:s3:::${facts.bucket}` },
      object,
    },
  };
}

function cloudEvent(event: DomainEvent, facts: NotificationFacts, endpoint: NotificationEndpointConfig, region: string) {
  const common = { specversion: '1.0', id: event.id, type: facts.name, time: event.time, datacontenttype: 'application/json' };
  if (facts.kind === 'object') {
    return { ...common, source: `/buckets/${facts.bucket}`, subject: facts.key, sequencer: facts.sequencer, data: s3Record(event, facts, endpoint, region) };
  }
  const { version: _version, ...data } = event.data;
  return { ...common, source: `/s3-orchestrator/${event.source}`, subject: event.resource, sequencer: event.sequencer, data: { resource: event.resource, ...data } };
}

export function buildPayload(event: DomainEvent, facts: NotificationFacts, endpoint: NotificationEndpointConfig, region: string): Payload {
  if (facts.kind === 'object' && endpoint.format === 's3') {
    return { body: JSON.stringify({ Records: [s3Record(event, facts, endpoint, region)] }), contentType: CONTENT_TYPES.s3 };
  }
  return { body: JSON.stringify(cloudEvent(event, facts, endpoint, region)), contentType: CONTENT_TYPES.cloudevents };
}

/** The content type of a stored body (its format is visible in it). */
export function contentTypeOf(body: string): string {
  return body.startsWith('{"Records":') ? CONTENT_TYPES.s3 : CONTENT_TYPES.cloudevents;
}
