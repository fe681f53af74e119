// A delete that cannot be undone by a ledger rebuild (docs/architecture.md §4 "Deletes do not
// come back"): before the ledger forgets the object, a delete marker is written beside each of
// its ok copies on the copy's backend (@s3o/store deleteMarkerKey; another backend when that
// one cannot take it, named by the copy's debt); cleanup deletes a marker only after the copy's bytes.
// A copy no backend takes a marker for (every one down) is deleted without one: the delete is
// not refused for want of a safety net that matters only if the ledger is lost meanwhile.
import { Readable } from 'node:stream';
import type { CommitEvents, DeleteOutcome, DeleteResult, LocationRow } from '@s3o/store';
import { deleteMarkerKey } from '@s3o/store';
import type { GatewayDeps } from '../context.js';

type MarkerDeps = Pick<GatewayDeps, 'backends' | 'availability' | 'config'>;

/**
 * How long one marker PUT may take before the next backend is tried: a marker is an empty
 * object, and a delete must not wait a whole backend timeout per copy on a backend that hangs
 * (a DeleteObjects of many keys would outlast its client). A slow but healthy backend costs a
 * fallback marker, which cleanup removes all the same.
 */
const MARKER_TIMEOUT_CAP_MS = 3_000;

export async function deleteWithMarkers(
  deps: Pick<GatewayDeps, 'ledger' | 'logger'> & MarkerDeps, objectKey: string, events: CommitEvents<DeleteOutcome>,
): Promise<DeleteResult> {
  const found = await deps.ledger.getObject(objectKey);
  // `${copy backend}\n${storage key}` → the backend its marker went to.
  const marked = new Map<string, string>();
  if (found) {
    // A copy no backend took a marker for is deleted all the same: a delete must not wait for
    // the backends (its bytes are a durable debt either way), and only a ledger lost before
    // cleanup deleted those bytes could bring the object back — said in the log.
    await writeMarkers(deps, found.locations.filter((l) => l.state === 'ok'), marked).catch((err) =>
      deps.logger.warn({ err, objectKey }, 'no backend took a delete marker; the object is deleted without one (a ledger rebuild before cleanup deletes its bytes could restore it)'));
  }
  // The debts of copies whose marker fell back name where it is, so cleanup deletes it there.
  const markersElsewhere = new Map<string, string>();
  for (const [copy, markerBackend] of marked) {
    const [copyBackend, storageKey] = copy.split('\n') as [string, string];
    if (markerBackend !== copyBackend) markersElsewhere.set(storageKey, markerBackend);
  }
  const result = await deps.ledger.deleteObject(objectKey, events, { markersElsewhere });
  // A write that committed between the read and the delete has copies no marker names yet.
  const unmarked = result.removed.filter((l) => !marked.has(`${l.backendName}\n${l.storageKey}`));
  if (unmarked.length > 0) {
    await writeMarkers(deps, unmarked, marked).catch((err) => deps.logger.warn({ err, objectKey }, 'a delete marker for a copy committed during the delete could not be written'));
  }
  return result;
}

/**
 * Each marker on its copy's backend — or, when that backend cannot take it (down, hanging,
 * breaker open: such backends are tried last), on the first other backend that can: a rebuild
 * matches markers to copies by storage key across every backend (storage keys are unique to a
 * write or replica), and the copy's debt names that backend (deletedReason) so cleanup deletes
 * the marker there after the bytes.
 */
async function writeMarkers(deps: MarkerDeps, copies: LocationRow[], marked: Map<string, string>): Promise<void> {
  const timeoutMs = Math.min(deps.config.server.backendTimeoutMs, MARKER_TIMEOUT_CAP_MS);
  await Promise.all(copies.map(async (copy) => {
    const preferred = [copy.backendName, ...[...deps.backends.keys()].filter((name) => name !== copy.backendName)];
    // Backends a gate keeps from writes (a usage limit, a drain) still take a marker, last:
    // it is tiny, and refusing the delete would be worse.
    const usable = deps.availability ? deps.availability.arrange(preferred, 'write', 0, true).usable : preferred;
    const order = [...usable, ...preferred.filter((name) => !usable.includes(name))];
    let lastError: unknown = new Error(`backend ${copy.backendName} has no client`);
    for (const name of order) {
      const client = deps.backends.get(name);
      if (!client) continue;
      try {
        await client.putObject(deleteMarkerKey(copy.storageKey), Readable.from([]), {
          contentLength: 0, contentType: 'application/octet-stream', metadata: { 's3o-deleted': copy.writeId, 's3o-copy-backend': copy.backendName },
          signal: AbortSignal.timeout(timeoutMs),
        });
        marked.set(`${copy.backendName}\n${copy.storageKey}`, name);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }));
}
