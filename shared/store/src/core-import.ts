// Importing objects that are already on a backend (sync, reconcile) and reading the lost
// ones. A batch runs in one transaction. It first locks the quota rows of its backends (in
// name order, as every commit does) — every import and claim on a backend is serialised by
// that lock, so two imports can never both take one storage key. Then each object in turn:
// refused when any ledger record accounts for its storage key or its internal key has a live
// object (an import never overwrites), otherwise committed with one copy at the key as found,
// its bytes charged and its events appended under a sequencer of its own.
import { objectRow, type TxWork } from './core.js';
import { newId } from './ids.js';
import type { ImportObjectRequest, ImportOutcome, LostObject } from './reconcile-types.js';
import type { ReadStatements, TxStatements } from './tx-adapter.js';
import type { CommitResult } from './types.js';

/** `work` makes the unit of work of one object (its own quota delta, sequencer and events) within the transaction. */
export async function importBatch(tx: TxStatements, reqs: ImportObjectRequest[], work: () => TxWork): Promise<ImportOutcome[]> {
  const backends = [...new Set(reqs.map((r) => r.backendName))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const backend of backends) {
    if (!(await tx.lockBackendQuota(backend))) {
      throw new RangeError(`backend ${backend} has no quota row; configured backends get one at start`);
    }
  }
  const outcomes: ImportOutcome[] = [];
  for (const req of reqs) outcomes.push(await importOne(work(), req));
  return outcomes;
}

async function importOne(work: TxWork, req: ImportObjectRequest): Promise<ImportOutcome> {
  const { tx, now } = work;
  if (await tx.isStorageKeyHeld(req.backendName, req.storageKey)) return { outcome: 'held' };
  const object = objectRow(req.objectKey, newId(now), req.identity, now);
  // Inserting the row is the key lock; a key that has an object keeps it.
  if (!(await tx.insertObjectIfAbsent(object))) return { outcome: 'exists' };
  const copy = await work.addCopy(object, req.backendName, req.storageKey);
  const sequenced = await work.takeSequencer();
  const commit: CommitResult = { object, copies: [copy], displaced: [], sequencer: sequenced.sequencer };
  await work.finish(req.events(commit), sequenced);
  return { outcome: 'imported', commit };
}

/** One page of lost objects with their (missing) copies, from one snapshot. */
export async function listLostObjects(q: ReadStatements, after: string | null, limit: number): Promise<LostObject[]> {
  const objects = await q.listLostObjects(after, limit);
  const lost: LostObject[] = [];
  for (const object of objects) lost.push({ ...object, copies: await q.selectLocations(object.objectKey) });
  return lost;
}
