// The domain events the cleanup service appends (DESIGN §5). It acts on its own, not for a
// client request, so the request facts of object events are null.
import {
  EVENT_SCHEMA_VERSION, EventType, type CopyRef, type ObjectCreatedData, type ObjectRemovedData,
} from '@s3o/events';
import type { CleanupRow, CommitResult, LocationRow, NewEvent } from '@s3o/store';

type Unattributed<T> = Omit<T, 'request_id' | 'access_key_id' | 'source_ip'> & {
  request_id: null;
  access_key_id: null;
  source_ip: null;
};

const NO_REQUEST = { request_id: null, access_key_id: null, source_ip: null } as const;

const copyRef = (l: LocationRow): CopyRef => ({ backend: l.backendName, storage_key: l.storageKey });

/** `{bucket}/{key}` → its parts (bucket names never contain '/'). */
export function splitInternalKey(objectKey: string): { bucket: string; key: string } {
  const slash = objectKey.indexOf('/');
  return slash < 0 ? { bucket: objectKey, key: '' } : { bucket: objectKey.slice(0, slash), key: objectKey.slice(slash + 1) };
}

/** object.created for a write the reaper promoted: the client's PUT whose answer was lost. */
export function promotedWriteCreated(commit: CommitResult): NewEvent {
  const { object } = commit;
  const data: Unattributed<ObjectCreatedData> = {
    version: EVENT_SCHEMA_VERSION, op: 'Put', ...splitInternalKey(object.objectKey), size: object.size, etag: object.etag,
    content_type: object.contentType, copies: commit.copies.map(copyRef), displaced: commit.displaced.map(copyRef), ...NO_REQUEST,
  };
  return { type: EventType.ObjectCreated, resource: object.objectKey, data: { ...data } };
}

/** object.removed for an object a lifecycle rule expired. */
export function lifecycleExpired(objectKey: string, removed: LocationRow[]): NewEvent {
  const data: Unattributed<ObjectRemovedData> = {
    version: EVENT_SCHEMA_VERSION, op: 'LifecycleExpiration', ...splitInternalKey(objectKey), copies: removed.map(copyRef), ...NO_REQUEST,
  };
  return { type: EventType.ObjectRemoved, resource: objectKey, data: { ...data } };
}

export interface CleanupDeadLetteredData {
  version: number;
  id: number;
  backend: string;
  kind: CleanupRow['kind'];
  storage_key: string;
  object_key: string | null;
  attempts: number;
  last_error: string;
}

/** cleanup.dead_lettered: a debt moved to cleanup_dlq after its last attempt failed. */
export function cleanupDeadLettered(row: CleanupRow, attempts: number, lastError: string): NewEvent {
  const data: CleanupDeadLetteredData = {
    version: EVENT_SCHEMA_VERSION, id: row.id, backend: row.backendName, kind: row.kind, storage_key: row.storageKey,
    object_key: row.objectKey, attempts, last_error: lastError,
  };
  return { type: EventType.CleanupDeadLettered, resource: row.backendName, data: { ...data } };
}
