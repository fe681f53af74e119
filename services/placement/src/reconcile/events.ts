// The domain events reconcile and sync append (DESIGN §5). They act on their own, not for a
// client request, so the request facts of object events are null.
import { EVENT_SCHEMA_VERSION, EventType, type CopyRef, type ObjectCreatedData, type ObjectLostData } from '@s3o/events';
import type { CommitResult, LocationRow, NewEvent, ObjectRow } from '@s3o/store';

type Unattributed<T> = Omit<T, 'request_id' | 'access_key_id' | 'source_ip'> & {
  request_id: null;
  access_key_id: null;
  source_ip: null;
};

const copyRef = (l: LocationRow): CopyRef => ({ backend: l.backendName, storage_key: l.storageKey });

/** `{bucket}/{key}` → its parts (bucket names never contain '/'). */
function splitInternalKey(objectKey: string): { bucket: string; key: string } {
  const slash = objectKey.indexOf('/');
  return { bucket: objectKey.slice(0, slash), key: objectKey.slice(slash + 1) };
}

/** object.created, op Import: an object found on a backend became the key's object. */
export function objectImported(commit: CommitResult): NewEvent {
  const { object } = commit;
  const data: Unattributed<ObjectCreatedData> = {
    version: EVENT_SCHEMA_VERSION, op: 'Import', ...splitInternalKey(object.objectKey), size: object.size, etag: object.etag,
    content_type: object.contentType, copies: commit.copies.map(copyRef), displaced: [],
    request_id: null, access_key_id: null, source_ip: null,
  };
  return { type: EventType.ObjectCreated, resource: object.objectKey, data: { ...data } };
}

/** object.lost: the object has no copy left; `copies` are the ones found missing. */
export function objectLost(object: Pick<ObjectRow, 'objectKey' | 'size' | 'etag'>, copies: LocationRow[]): NewEvent {
  const data: ObjectLostData = {
    version: EVENT_SCHEMA_VERSION, ...splitInternalKey(object.objectKey), size: object.size, etag: object.etag,
    copies: copies.map(copyRef),
  };
  return { type: EventType.ObjectLost, resource: object.objectKey, data: { ...data } };
}
