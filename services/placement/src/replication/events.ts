// The domain events replication appends (DESIGN §5). It acts on its own, not for a client request.
import {
  EVENT_SCHEMA_VERSION, EventType, type ObjectReplicatedData, type ReplicationTargetExhaustedData,
} from '@s3o/events';
import { splitInternalKey, type NewEvent, type ReplicaCommit } from '@s3o/store';

/** object.replicated for a committed replica copied from `from`. */
export function objectReplicated(commit: ReplicaCommit, from: string): NewEvent {
  const data: ObjectReplicatedData = {
    version: EVENT_SCHEMA_VERSION,
    ...splitInternalKey(commit.object.objectKey),
    from,
    to: commit.copy.backendName,
    storage_key: commit.copy.storageKey,
    size: commit.copy.sizeBytes,
    write_id: commit.object.writeId,
  };
  return { type: EventType.ObjectReplicated, resource: commit.object.objectKey, data: { ...data } };
}

/** replication.target_exhausted: no backend could take another copy. */
export function targetExhausted(objectKey: string, wanted: number, reached: number): NewEvent {
  const data: ReplicationTargetExhaustedData = { version: EVENT_SCHEMA_VERSION, ...splitInternalKey(objectKey), wanted, reached };
  return { type: EventType.ReplicationTargetExhausted, resource: objectKey, data: { ...data } };
}
