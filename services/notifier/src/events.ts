// Which notification event a bus event is (DESIGN §5 → the names endpoints subscribe to,
// shared/config notification-events.ts), and the facts the payloads are built from.
import type { OperationalNotificationEvent, S3NotificationEvent } from '@s3o/config';
import { OPERATIONAL_NOTIFICATION_EVENTS } from '@s3o/config';
import { EventType } from '@s3o/events';
import type { StoredEvent } from '@s3o/store';

/** The bus types the notifier consumes. */
export const CONSUMED_TYPES: readonly string[] = [EventType.ObjectCreated, EventType.ObjectRemoved, ...OPERATIONAL_NOTIFICATION_EVENTS];

/** An object event as the payloads need it. */
export interface ObjectFacts {
  kind: 'object';
  name: S3NotificationEvent;
  bucket: string;
  key: string;
  /** internal key: the order key of the deliveries */
  objectKey: string;
  size: number | null;
  etag: string | null;
  sequencer: string;
  requestId: string | null;
  accessKeyId: string | null;
  sourceIp: string | null;
}

export interface OperationalFacts {
  kind: 'operational';
  name: OperationalNotificationEvent;
}

export type NotificationFacts = ObjectFacts | OperationalFacts;

const CREATED_NAMES: Record<string, S3NotificationEvent> = {
  Put: 's3:ObjectCreated:Put',
  Copy: 's3:ObjectCreated:Copy',
  CompleteMultipartUpload: 's3:ObjectCreated:CompleteMultipartUpload',
};

// AWS has one name for a delete, whichever API call made it (DeleteObject or DeleteObjects).
const REMOVED_NAMES: Record<string, S3NotificationEvent> = {
  Delete: 's3:ObjectRemoved:Delete',
  DeleteObjects: 's3:ObjectRemoved:Delete',
  LifecycleExpiration: 's3:LifecycleExpiration:Delete',
};

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** null for an event no endpoint can subscribe to (an unknown op, a malformed event). */
export function notificationFacts(event: StoredEvent): NotificationFacts | null {
  if ((OPERATIONAL_NOTIFICATION_EVENTS as readonly string[]).includes(event.type)) {
    return { kind: 'operational', name: event.type as OperationalNotificationEvent };
  }
  const d = event.data;
  const names = event.type === EventType.ObjectCreated ? CREATED_NAMES : event.type === EventType.ObjectRemoved ? REMOVED_NAMES : null;
  const name = names && typeof d.op === 'string' ? names[d.op] : undefined;
  const bucket = text(d.bucket);
  const key = text(d.key);
  if (!name || bucket === null || key === null) return null;
  const created = event.type === EventType.ObjectCreated;
  return {
    kind: 'object',
    name,
    bucket,
    key,
    objectKey: event.resource,
    // AWS's removal records carry neither size nor eTag.
    size: created ? num(d.size) : null,
    etag: created ? text(d.etag) : null,
    // The store stamps the commit's sequencer (taken under the key lock) on object events.
    sequencer: text(d.sequencer) ?? event.sequencer,
    requestId: text(d.request_id),
    accessKeyId: text(d.access_key_id),
    sourceIp: text(d.source_ip),
  };
}
