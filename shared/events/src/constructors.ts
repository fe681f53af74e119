// One constructor per event: the only place event data is put together, so every producer
// (gateway, cleanup, placement, usage, the store itself) appends the same shape. Inputs are
// described by shape — the store's rows fit — because the store depends on this package.
import type { NewEvent } from './envelope.js';
import {
  EVENT_SCHEMA_VERSION, EventType, type CopyRef, type CreatedOp, type MoveReason, type RemovedOp, type RequestFacts,
  type TaggingOp, type UsageDeltaData, type IntegrityCorruptionData,
} from './schemas.js';

/** A copy as the store describes it (LocationRow fits). */
export interface CopyLike {
  backendName: string;
  storageKey: string;
}

/** What an object event says of the object (ObjectRow fits). */
export interface ObjectLike {
  objectKey: string;
  size: number;
  etag: string;
  contentType: string;
  tags?: Record<string, string>;
}

/** The request facts of a change no client asked for (lifecycle expiry, a promoted write, an import). */
export const NO_REQUEST: RequestFacts = { request_id: null, access_key_id: null, source_ip: null };

export function copyRef(copy: CopyLike): CopyRef {
  return { backend: copy.backendName, storage_key: copy.storageKey };
}

/** `{bucket}/{key}` → its parts (bucket names never contain '/'). */
export function splitInternalKey(objectKey: string): { bucket: string; key: string } {
  const slash = objectKey.indexOf('/');
  return slash < 0 ? { bucket: objectKey, key: '' } : { bucket: objectKey.slice(0, slash), key: objectKey.slice(slash + 1) };
}

/** object.created for a commit: the object, its copies after the commit and the copies it displaced. */
export function objectCreated(
  op: CreatedOp,
  commit: { object: ObjectLike; copies: CopyLike[]; displaced: CopyLike[] },
  request: RequestFacts,
): NewEvent<'object.created'> {
  const { object } = commit;
  return {
    type: EventType.ObjectCreated,
    resource: object.objectKey,
    data: {
      version: EVENT_SCHEMA_VERSION, op, ...splitInternalKey(object.objectKey), size: object.size, etag: object.etag,
      content_type: object.contentType, copies: commit.copies.map(copyRef), displaced: commit.displaced.map(copyRef),
      ...(object.tags !== undefined && Object.keys(object.tags).length > 0 ? { tags: object.tags } : {}), ...request,
    },
  };
}

/** object.tagging for a tag set replaced (Put) or removed (Delete) on the object that is there. */
export function objectTagging(op: TaggingOp, object: ObjectLike, request: RequestFacts): NewEvent<'object.tagging'> {
  return {
    type: EventType.ObjectTagging,
    resource: object.objectKey,
    data: { version: EVENT_SCHEMA_VERSION, op, ...splitInternalKey(object.objectKey), etag: object.etag, tags: object.tags ?? {}, ...request },
  };
}

/** object.removed for an object whose copies `removed` went with it. */
export function objectRemoved(op: RemovedOp, objectKey: string, removed: CopyLike[], request: RequestFacts): NewEvent<'object.removed'> {
  return {
    type: EventType.ObjectRemoved,
    resource: objectKey,
    data: { version: EVENT_SCHEMA_VERSION, op, ...splitInternalKey(objectKey), copies: removed.map(copyRef), ...request },
  };
}

/** object.replicated for a committed replica copied from backend `from`. */
export function objectReplicated(
  commit: { object: { objectKey: string; writeId: string }; copy: CopyLike & { sizeBytes: number } },
  from: string,
): NewEvent<'object.replicated'> {
  return {
    type: EventType.ObjectReplicated,
    resource: commit.object.objectKey,
    data: {
      version: EVENT_SCHEMA_VERSION, ...splitInternalKey(commit.object.objectKey), from, to: commit.copy.backendName,
      storage_key: commit.copy.storageKey, size: commit.copy.sizeBytes, write_id: commit.object.writeId,
    },
  };
}

/** object.moved for a copy moved by a drain or the rebalancer. */
export function objectMoved(
  moved: { object: { objectKey: string; writeId: string }; from: CopyLike; to: CopyLike & { sizeBytes: number } },
  reason: MoveReason,
): NewEvent<'object.moved'> {
  return {
    type: EventType.ObjectMoved,
    resource: moved.object.objectKey,
    data: {
      version: EVENT_SCHEMA_VERSION, ...splitInternalKey(moved.object.objectKey), from: moved.from.backendName,
      to: moved.to.backendName, storage_key: moved.to.storageKey, size: moved.to.sizeBytes, write_id: moved.object.writeId, reason,
    },
  };
}

/** object.lost: the object has no copy left; `copies` are the ones found missing. */
export function objectLost(object: { objectKey: string; size: number; etag: string }, copies: CopyLike[]): NewEvent<'object.lost'> {
  return {
    type: EventType.ObjectLost,
    resource: object.objectKey,
    data: {
      version: EVENT_SCHEMA_VERSION, ...splitInternalKey(object.objectKey), size: object.size, etag: object.etag,
      copies: copies.map(copyRef),
    },
  };
}

/** integrity.corruption_detected: a copy failed its check and was marked corrupt. */
export function integrityCorruptionDetected(
  copy: CopyLike & { objectKey: string; writeId: string },
  reason: IntegrityCorruptionData['reason'],
  detectedBy: IntegrityCorruptionData['detected_by'],
): NewEvent<'integrity.corruption_detected'> {
  return {
    type: EventType.IntegrityCorruptionDetected,
    resource: copy.objectKey,
    data: {
      version: EVENT_SCHEMA_VERSION, ...splitInternalKey(copy.objectKey), backend: copy.backendName, storage_key: copy.storageKey,
      write_id: copy.writeId, reason, detected_by: detectedBy,
    },
  };
}

/** replication.target_exhausted: no backend could take another copy of the object. */
export function replicationTargetExhausted(objectKey: string, wanted: number, reached: number): NewEvent<'replication.target_exhausted'> {
  return {
    type: EventType.ReplicationTargetExhausted,
    resource: objectKey,
    data: { version: EVENT_SCHEMA_VERSION, ...splitInternalKey(objectKey), wanted, reached },
  };
}

/** cleanup.enqueued: a transaction owed `count` deletions on `backend` (the store appends these itself). */
export function cleanupEnqueued(backend: string, count: number): NewEvent<'cleanup.enqueued'> {
  return { type: EventType.CleanupEnqueued, resource: backend, data: { version: EVENT_SCHEMA_VERSION, backend, count } };
}

/** cleanup.dead_lettered: a debt (CleanupRow fits) moved to cleanup_dlq after its last attempt failed. */
export function cleanupDeadLettered(
  debt: { id: number; backendName: string; kind: 'object' | 'multipart_upload'; storageKey: string; objectKey: string | null },
  attempts: number,
  lastError: string,
): NewEvent<'cleanup.dead_lettered'> {
  return {
    type: EventType.CleanupDeadLettered,
    resource: debt.backendName,
    data: {
      version: EVENT_SCHEMA_VERSION, id: debt.id, backend: debt.backendName, kind: debt.kind, storage_key: debt.storageKey,
      object_key: debt.objectKey, attempts, last_error: lastError,
    },
  };
}

/** backend.circuit.opened / .closed: the placement service's breaker of `backend` changed state. */
export function backendCircuitChanged(state: 'open' | 'closed', backend: string, reason: string): NewEvent<'backend.circuit.opened' | 'backend.circuit.closed'> {
  const type = state === 'open' ? EventType.BackendCircuitOpened : EventType.BackendCircuitClosed;
  return { type, resource: backend, data: { version: EVENT_SCHEMA_VERSION, backend, reason } };
}

type DrainEventType =
  | typeof EventType.BackendDrainStarted
  | typeof EventType.BackendDrainCompleted
  | typeof EventType.BackendDrainFailed
  | typeof EventType.BackendDrainCancelled;

/** A backend.drain.* event from a drain record (the store's DrainRow fits). */
export function backendDrainEvent(
  type: DrainEventType,
  drain: { backendName: string; objectsTotal: number; objectsMoved: number; bytesMoved: number; lastError: string | null },
): NewEvent<DrainEventType> {
  return {
    type,
    resource: drain.backendName,
    data: {
      version: EVENT_SCHEMA_VERSION,
      backend: drain.backendName,
      objects_total: drain.objectsTotal,
      objects_moved: drain.objectsMoved,
      bytes_moved: drain.bytesMoved,
      reason: type === EventType.BackendDrainFailed ? drain.lastError : null,
    },
  };
}

/** The `usage.delta` event of one backend's delta. */
export function usageDeltaEvent(delta: Omit<UsageDeltaData, 'version'>): NewEvent<'usage.delta'> {
  return { type: EventType.UsageDelta, resource: delta.backend, data: { version: EVENT_SCHEMA_VERSION, ...delta } };
}

/** identity.changed: provisioning changed `subject` (a user, access key id, grant or bucket); never carries a secret. */
export function identityChanged(change: string, subject: string): NewEvent<'identity.changed'> {
  return { type: EventType.IdentityChanged, resource: 'identity', data: { version: EVENT_SCHEMA_VERSION, change, subject } };
}
