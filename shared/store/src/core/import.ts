// Importing objects that are already on a backend (ImportLedger: sync, reconcile) and reading
// the lost ones (LostObjectLedger). A batch runs in one transaction. It first locks the quota
// rows of its backends (in name order, as every commit does) — every import and claim on a
// backend is serialised by that lock, so two imports can never both take one storage key.
// Then each object in turn: refused when any ledger record accounts for its storage key or
// its internal key has a live object (an import never overwrites), otherwise committed with
// one copy at the key as found, its bytes charged and its events appended under a sequencer
// of its own.
import { newId } from '../ids.js';
import type {
  ImportLedger, ImportObjectRequest, ImportOutcome, LostObject, LostObjectLedger, RebuildLedger, RebuildObjectRequest, RebuildOutcome,
} from '../reconcile-types.js';
import type { CleanupDebt } from '../types.js';
import type { CommitResult } from '../types.js';
import { objectRow } from './commit.js';
import { mergeOperations } from './merge.js';
import type { Core, TxWork } from './tx-work.js';

export function importOperations(core: Core): ImportLedger {
  return {
    async importObjects(reqs: ImportObjectRequest[]): Promise<ImportOutcome[]> {
      if (reqs.length === 0) return [];
      // One transaction for the batch: one commit instead of one per object.
      return core.withWork(async (work) => {
        const backends = [...new Set(reqs.map((r) => r.backendName))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        for (const backend of backends) {
          if (!(await work.tx.lockBackendQuota(backend))) {
            throw new RangeError(`backend ${backend} has no quota row; configured backends get one at start`);
          }
        }
        const outcomes: ImportOutcome[] = [];
        for (const req of reqs) outcomes.push(await importOne(work, req));
        return outcomes;
      });
    },
  };
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
  work.append(req.events(commit), sequenced);
  return { outcome: 'imported', commit };
}

/**
 * A ledger rebuild's batch (`s3-orchestrator rebuild`): the objects keep their write ids and
 * times, every copy found is recorded, and what the backends hold beside them is owed. Like
 * an import it locks the quota rows first and never overwrites an object or takes a storage
 * key a record accounts for — so a rebuild that was interrupted is resumed by running it again.
 */
export function rebuildOperations(core: Core): RebuildLedger {
  return {
    ...mergeOperations(core),
    async rebuildObjects(objects: RebuildObjectRequest[], debts: CleanupDebt[]): Promise<RebuildOutcome> {
      return core.withWork(async (work) => {
        const outcome: RebuildOutcome = { objects: 0, copies: 0, debts: 0, alreadyThere: 0, otherWrite: [] };
        const names = new Set([...objects.flatMap((o) => o.copies.map((c) => c.backendName)), ...debts.map((d) => d.backendName)]);
        for (const backend of [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
          if (!(await work.tx.lockBackendQuota(backend))) {
            throw new RangeError(`backend ${backend} has no quota row; configured backends get one at start`);
          }
        }
        for (const req of objects) {
          const object = objectRow(req.objectKey, req.writeId, req.identity, req.createdAt);
          if (await work.tx.insertObjectIfAbsent(object)) outcome.objects++;
          else {
            outcome.alreadyThere++;
            // Recorded with another write (a backend that was missing from an earlier run held a
            // write that run never saw): that write's copies are not this object's bytes.
            const recorded = await work.tx.selectObject(req.objectKey);
            if (recorded !== null && recorded.writeId !== req.writeId) {
              outcome.otherWrite.push({ objectKey: req.objectKey, recorded: recorded.writeId, found: req.writeId });
              continue;
            }
          }
          for (const copy of req.copies) {
            if (await work.tx.isStorageKeyHeld(copy.backendName, copy.storageKey)) continue;
            await work.addCopy(object, copy.backendName, copy.storageKey);
            outcome.copies++;
          }
        }
        for (const debt of debts) {
          if (await work.tx.isStorageKeyHeld(debt.backendName, debt.storageKey)) continue;
          await work.owe(debt);
          outcome.debts++;
        }
        return outcome;
      });
    },
  };
}

export function lostObjectOperations(core: Core): LostObjectLedger {
  return {
    /** One page of lost objects with their (missing) copies, from one snapshot. */
    async listLostObjects(after: string | null, limit: number): Promise<LostObject[]> {
      if (limit <= 0) return [];
      return core.read(async (q) => {
        const objects = await q.listLostObjects(after, limit);
        const lost: LostObject[] = [];
        for (const object of objects) lost.push({ ...object, copies: await q.selectLocations(object.objectKey) });
        return lost;
      });
    },

    async countLostObjects(): Promise<number> {
      return core.read((q) => q.countLostObjects());
    },
  };
}
