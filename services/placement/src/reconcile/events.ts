// The object.created that reconcile and sync append for an import. They act on their own,
// not for a client request, so the event carries no request facts.
import { NO_REQUEST, objectCreated, type NewEvent } from '@s3o/events';
import type { CommitResult } from '@s3o/store';

/** object.created, op Import: an object found on a backend became the key's object. */
export function objectImported(commit: CommitResult): NewEvent {
  return objectCreated('Import', commit, NO_REQUEST);
}
