// A delete that a ledger rebuild cannot undo (docs/architecture.md §4 "Deletes do not come
// back"), for every path that deletes objects — client deletes in the gateway, lifecycle expiry
// in the cleanup service: before the ledger forgets the object, a delete marker is written for
// each of its ok copies on the copy's backend (deleteMarkerKey; another backend when that one
// cannot take it, named by the copy's debt), and cleanup deletes a marker only after the
// copy's bytes. A copy no backend takes a marker for (every one down) is deleted without one:
// the delete is not refused for want of a safety net that matters only if the ledger is lost
// meanwhile. A marker PUT that failed may still land (a backend that hung works off what it
// held later), so each backend a marker was sent to without success owes that marker key, in
// doubt: cleanup deletes it twice, `cleanup_queue.confirm_delay` apart.
//
// The backends are typed by what this needs of them, so the store does not depend on the
// backend client package.
import { Readable } from 'node:stream';
import { deleteMarkerKey } from './delete-marker.js';
import type { DeleteOptions, DeleteResult, Ledger } from './ledger.js';
import type { CleanupDebt, CommitEvents, DeleteOutcome, LocationRow } from './types.js';

/** The reason of the debt of a marker whose PUT failed on a backend (it may land there yet). */
export const MARKER_IN_DOUBT_REASON = 'delete marker in doubt';

/** What a marker needs of a backend client (@s3o/backends BackendClient has it). */
export interface MarkerBackend {
  putObject(
    key: string, body: Readable,
    options: { contentLength: number; contentType: string; metadata: Record<string, string>; signal?: AbortSignal },
  ): Promise<unknown>;
  deleteObject(key: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export interface MarkerDeps {
  ledger: Pick<Ledger, 'getObject' | 'deleteObject' | 'enqueueCleanup'>;
  backends: ReadonlyMap<string, MarkerBackend>;
  /**
   * Backend names in the order to try them, those that cannot take a write now (breaker open)
   * moved last (@s3o/backends BackendAvailability.arrange); every name as given when absent.
   */
  arrange?: (names: string[]) => string[];
  /** the backend timeout; a marker PUT waits at most min(this, MARKER_TIMEOUT_CAP_MS) */
  backendTimeoutMs: number;
  logger: { warn(fields: Record<string, unknown>, message: string): void };
}

/**
 * How long one marker PUT may take before the next backend is tried: a marker is an empty
 * object, and a delete must not wait a whole backend timeout per copy on a backend that hangs
 * (a DeleteObjects of many keys would outlast its client). A slow but healthy backend costs a
 * fallback marker, which cleanup removes all the same.
 */
export const MARKER_TIMEOUT_CAP_MS = 3_000;

/**
 * Deletes `objectKey` through the ledger (`options`: its conditions, e.g. lifecycle's age and
 * tags) with a delete marker for each copy. An object the conditions spare gets no marker; one
 * they spare only under the key lock (it changed between the read and the delete) has the
 * markers just written deleted again, since a marker naming a live copy would keep its key
 * deleted in a rebuild.
 */
export async function deleteWithMarkers(
  deps: MarkerDeps, objectKey: string, events: CommitEvents<DeleteOutcome>, options: Omit<DeleteOptions, 'markersElsewhere'> = {},
): Promise<DeleteResult> {
  const found = await deps.ledger.getObject(objectKey);
  // `${copy backend}\n${storage key}` → the backend its marker went to.
  const marked = new Map<string, string>();
  // Copies a marker was tried for (taken or not): those of a write committed meanwhile are not.
  const tried = new Set<string>();
  if (found && spares(found.object, options)) return { existed: true, removed: [], sequencer: null };
  if (found) {
    // A copy no backend took a marker for is deleted all the same: a delete must not wait for
    // the backends (its bytes are a durable debt either way), and only a ledger lost before
    // cleanup deleted those bytes could bring the object back — said in the log.
    const failed: CleanupDebt[] = [];
    const copies = found.locations.filter((l) => l.state === 'ok');
    for (const copy of copies) tried.add(copyId(copy));
    await writeMarkers(deps, copies, marked, failed).catch((err: unknown) =>
      deps.logger.warn({ err, objectKey }, 'no backend took a delete marker; the object is deleted without one (a ledger rebuild before cleanup deletes its bytes could restore it)'));
    // Owed before the ledger forgets the object, so no crash leaves a late marker unaccounted.
    if (failed.length > 0) await deps.ledger.enqueueCleanup(failed);
  }
  // The debts of copies whose marker fell back name where it is, so cleanup deletes it there.
  const markersElsewhere = new Map<string, string>();
  for (const [copy, markerBackend] of marked) {
    const [copyBackend, storageKey] = copy.split('\n') as [string, string];
    if (markerBackend !== copyBackend) markersElsewhere.set(storageKey, markerBackend);
  }
  const result = await deps.ledger.deleteObject(objectKey, events, { ...options, markersElsewhere });
  if (result.existed && result.sequencer === null) {
    // The conditions spared the object as it is under the lock: its copies are live.
    await removeMarkers(deps, marked).catch((err: unknown) =>
      deps.logger.warn({ err, objectKey }, 'a delete marker of an object the delete spared could not be removed (a ledger rebuild would keep the key deleted)'));
    return result;
  }
  // A write that committed between the read and the delete has copies no marker names yet.
  const unmarked = result.removed.filter((l) => !tried.has(copyId(l)));
  if (unmarked.length > 0) {
    const failed: CleanupDebt[] = [];
    await writeMarkers(deps, unmarked, marked, failed).catch((err: unknown) =>
      deps.logger.warn({ err, objectKey }, 'a delete marker for a copy committed during the delete could not be written'));
    if (failed.length > 0) await deps.ledger.enqueueCleanup(failed);
  }
  return result;
}

/** A copy's key in `marked` and `tried`. */
function copyId(copy: LocationRow): string {
  return `${copy.backendName}\n${copy.storageKey}`;
}

/** Whether the delete's conditions spare the object as read (the ledger checks them again under the key lock). */
function spares(object: { createdAt: number; tags?: Record<string, string> | null }, options: Omit<DeleteOptions, 'markersElsewhere'>): boolean {
  if (options.createdBefore !== undefined && object.createdAt >= options.createdBefore) return true;
  return options.tags !== undefined && !Object.entries(options.tags).every(([k, v]) => object.tags?.[k] === v);
}

/**
 * Each marker on its copy's backend — or, when that backend cannot take it (down, hanging,
 * breaker open: such backends are tried last), on the first other backend that can: a rebuild
 * matches markers to copies by storage key across every backend (storage keys are unique to a
 * write or replica), and the copy's debt names that backend (markerBackend) so cleanup deletes
 * the marker there after the bytes. Each backend whose marker PUT failed gets a debt in
 * `failed`: that marker key, in doubt (it may land yet).
 */
async function writeMarkers(deps: MarkerDeps, copies: LocationRow[], marked: Map<string, string>, failed: CleanupDebt[]): Promise<void> {
  const timeoutMs = Math.min(deps.backendTimeoutMs, MARKER_TIMEOUT_CAP_MS);
  await Promise.all(copies.map(async (copy) => {
    const preferred = [copy.backendName, ...[...deps.backends.keys()].filter((name) => name !== copy.backendName)];
    const order = deps.arrange ? deps.arrange(preferred) : preferred;
    let lastError: unknown = new Error(`backend ${copy.backendName} has no client`);
    for (const name of order) {
      const client = deps.backends.get(name);
      if (!client) continue;
      try {
        await client.putObject(deleteMarkerKey(copy.storageKey), Readable.from([]), {
          contentLength: 0, contentType: 'application/octet-stream', metadata: { 's3o-deleted': copy.writeId, 's3o-copy-backend': copy.backendName },
          signal: AbortSignal.timeout(timeoutMs),
        });
        marked.set(copyId(copy), name);
        return;
      } catch (err) {
        lastError = err;
        failed.push({
          kind: 'object', backendName: name, storageKey: deleteMarkerKey(copy.storageKey), objectKey: copy.objectKey,
          reason: MARKER_IN_DOUBT_REASON, sizeBytes: 0, inDoubt: true,
        });
      }
    }
    throw lastError;
  }));
}

async function removeMarkers(deps: MarkerDeps, marked: ReadonlyMap<string, string>): Promise<void> {
  const timeoutMs = Math.min(deps.backendTimeoutMs, MARKER_TIMEOUT_CAP_MS);
  await Promise.all([...marked].map(async ([copy, markerBackend]) => {
    const storageKey = copy.slice(copy.indexOf('\n') + 1);
    await deps.backends.get(markerBackend)?.deleteObject(deleteMarkerKey(storageKey), { signal: AbortSignal.timeout(timeoutMs) });
  }));
}
