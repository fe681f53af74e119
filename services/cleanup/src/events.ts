// The object events the cleanup service appends (its cleanup.dead_lettered is built by
// @s3o/events directly). It acts on its own, not for a client request, so they carry no
// request facts.
import { NO_REQUEST, objectCreated, objectRemoved, type NewEvent } from '@s3o/events';
import type { CommitResult, LocationRow } from '@s3o/store';

/** object.created for a write the reaper promoted: the client's PUT whose answer was lost. */
export function promotedWriteCreated(commit: CommitResult): NewEvent {
  return objectCreated('Put', commit, NO_REQUEST);
}

/** object.removed for an object a lifecycle rule expired. */
export function lifecycleExpired(objectKey: string, removed: LocationRow[]): NewEvent {
  return objectRemoved('LifecycleExpiration', objectKey, removed, NO_REQUEST);
}
