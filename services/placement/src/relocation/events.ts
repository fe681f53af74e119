// The events moves append (DESIGN §5): object.moved for a copy a drain or the rebalancer moved.
import { EVENT_SCHEMA_VERSION, EventType, type ObjectMovedData } from '@s3o/events';
import { splitInternalKey, type MovedCopy, type NewEvent } from '@s3o/store';

export type MoveReason = 'drain' | 'rebalance';

export function objectMoved(moved: MovedCopy, reason: MoveReason): NewEvent {
  const data: ObjectMovedData = {
    version: EVENT_SCHEMA_VERSION,
    ...splitInternalKey(moved.object.objectKey),
    from: moved.from.backendName,
    to: moved.to.backendName,
    storage_key: moved.to.storageKey,
    size: moved.to.sizeBytes,
    write_id: moved.object.writeId,
    reason,
  };
  return { type: EventType.ObjectMoved, resource: moved.object.objectKey, data: { ...data } };
}
