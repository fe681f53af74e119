// Which notification event a bus event is (docs/architecture.md §5 → the names endpoints subscribe to,
// shared/config notification-events.ts), and the facts the payloads are built from.
import type { OperationalNotificationEvent, S3NotificationEvent } from '@s3o/config';
import { OPERATIONAL_NOTIFICATION_EVENTS } from '@s3o/config';
import { EventType, type CreatedOp, type DomainEvent, type RemovedOp } from '@s3o/events';

/** The bus types the notifier consumes. */
export const CONSUMED_TYPES = [EventType.ObjectCreated, EventType.ObjectRemoved, EventType.ObjectTagging, ...OPERATIONAL_NOTIFICATION_EVENTS] as const;

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

const CREATED_NAMES: Partial<Record<CreatedOp, S3NotificationEvent>> = {
  Put: 's3:ObjectCreated:Put',
  Copy: 's3:ObjectCreated:Copy',
  CompleteMultipartUpload: 's3:ObjectCreated:CompleteMultipartUpload',
};

// AWS has one name for a delete, whichever API call made it (DeleteObject or DeleteObjects).
const REMOVED_NAMES: Record<RemovedOp, S3NotificationEvent> = {
  Delete: 's3:ObjectRemoved:Delete',
  DeleteObjects: 's3:ObjectRemoved:Delete',
  LifecycleExpiration: 's3:LifecycleExpiration:Delete',
};

function isOperational(type: string): type is OperationalNotificationEvent {
  return (OPERATIONAL_NOTIFICATION_EVENTS as readonly string[]).includes(type);
}

/** null for an event no endpoint can subscribe to (an import, a type the notifier does not consume). */
export function notificationFacts(event: DomainEvent): NotificationFacts | null {
  switch (event.type) {
    case EventType.ObjectCreated: {
      const name = CREATED_NAMES[event.data.op];
      return name ? objectFacts(event, name, { size: event.data.size, etag: event.data.etag }) : null;
    }
    case EventType.ObjectRemoved:
      // AWS's removal records carry neither size nor eTag.
      return objectFacts(event, REMOVED_NAMES[event.data.op], { size: null, etag: null });
    case EventType.ObjectTagging:
      // AWS's tagging records carry the object's eTag, not its size.
      return objectFacts(event, event.data.op === 'Put' ? 's3:ObjectTagging:Put' : 's3:ObjectTagging:Delete', { size: null, etag: event.data.etag });
  }
  return isOperational(event.type) ? { kind: 'operational', name: event.type } : null;
}

function objectFacts(
  event: DomainEvent<'object.created' | 'object.removed' | 'object.tagging'>,
  name: S3NotificationEvent,
  object: { size: number | null; etag: string | null },
): ObjectFacts {
  const d = event.data;
  return {
    kind: 'object',
    name,
    bucket: d.bucket,
    key: d.key,
    objectKey: event.resource,
    ...object,
    // The store stamps the commit's sequencer (taken under the key lock) on object events.
    sequencer: d.sequencer ?? event.sequencer,
    requestId: d.request_id,
    accessKeyId: d.access_key_id,
    sourceIp: d.source_ip,
  };
}
