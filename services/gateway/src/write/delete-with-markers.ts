// A delete that cannot be undone by a ledger rebuild (docs/architecture.md §4 "Deletes do not
// come back"): before the ledger forgets the object, a delete marker is written beside each of
// its ok copies on the copy's backend (@s3o/store deleteMarkerKey; another backend when that
// one cannot take it); cleanup deletes a marker only after the copy's bytes. A marker that no
// backend takes refuses the delete (503, the ledger untouched): the client retries, and a marker left by a refused delete is harmless —
// it names bytes of that write only, and a later delete or overwrite would owe them anyway.
import { Readable } from 'node:stream';
import type { CommitEvents, DeleteOutcome, DeleteResult, LocationRow } from '@s3o/store';
import { deleteMarkerKey } from '@s3o/store';
import { S3Error } from '@s3o/s3';
import type { GatewayDeps } from '../context.js';

export async function deleteWithMarkers(
  deps: Pick<GatewayDeps, 'ledger' | 'backends' | 'logger'>, objectKey: string, events: CommitEvents<DeleteOutcome>,
): Promise<DeleteResult> {
  const found = await deps.ledger.getObject(objectKey);
  const marked = new Set<string>();
  if (found) {
    try {
      await writeMarkers(deps, found.locations.filter((l) => l.state === 'ok'), marked);
    } catch (err) {
      deps.logger.warn({ err, objectKey }, 'a delete marker could not be written; the delete is refused');
      throw new S3Error('ServiceUnavailable', { message: 'A storage backend could not record the delete; please retry.' });
    }
  }
  const result = await deps.ledger.deleteObject(objectKey, events);
  // A write that committed between the read and the delete has copies no marker names yet.
  const unmarked = result.removed.filter((l) => !marked.has(`${l.backendName}\n${l.storageKey}`));
  if (unmarked.length > 0) {
    await writeMarkers(deps, unmarked, marked).catch((err) => deps.logger.warn({ err, objectKey }, 'a delete marker for a copy committed during the delete could not be written'));
  }
  return result;
}

/**
 * Each marker on its copy's backend — or, when that backend cannot take it (down, breaker
 * open), on the first other backend that can: a rebuild matches markers to copies by storage
 * key across every backend (storage keys are unique to a write or replica). Such a fallback
 * marker is not the one cleanup deletes after the bytes; it outlives them (verify reports
 * it as leaked; a rebuild owes it).
 */
async function writeMarkers(deps: Pick<GatewayDeps, 'backends'>, copies: LocationRow[], marked: Set<string>): Promise<void> {
  await Promise.all(copies.map(async (copy) => {
    const order = [copy.backendName, ...[...deps.backends.keys()].filter((name) => name !== copy.backendName)];
    let lastError: unknown = new Error(`backend ${copy.backendName} has no client`);
    for (const name of order) {
      const client = deps.backends.get(name);
      if (!client) continue;
      try {
        await client.putObject(deleteMarkerKey(copy.storageKey), Readable.from([]), {
          contentLength: 0, contentType: 'application/octet-stream', metadata: { 's3o-deleted': copy.writeId, 's3o-copy-backend': copy.backendName },
        });
        marked.add(`${copy.backendName}\n${copy.storageKey}`);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }));
}
