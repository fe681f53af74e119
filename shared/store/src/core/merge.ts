// Post-restore recovery's ledger side (`s3-orchestrator rebuild --merge`, docs/architecture.md
// §4 "Recovering the writes made since a backup"): a restored ledger is behind the backends,
// and the walk decided, per object key, that a newer write found on the backends replaces the
// ledger's object, or that the key was deleted since. Each key is applied only while it still
// holds the write the decision was made on, so a merge that runs twice, or over a key that
// changed, never undoes anything newer. A copy of the old object that the new one keeps (the
// same storage key: one write, seen from both sides) moves over without becoming a debt.
import { DELETED_REASON } from '../delete-marker.js';
import type { MergeKeyRequest, MergeOutcome } from '../reconcile-types.js';
import type { CleanupDebt } from '../types.js';
import { objectRow } from './commit.js';
import type { Core, TxWork } from './tx-work.js';

export function mergeOperations(core: Core): { mergeObjects(keys: MergeKeyRequest[], debts: CleanupDebt[]): Promise<MergeOutcome> } {
  return {
    async mergeObjects(keys, debts) {
      return core.withWork(async (work) => {
        const outcome: MergeOutcome = { adopted: 0, removed: 0, changed: 0, debts: 0 };
        // The old copies' backends are only known under the key lock: lock every quota row, in
        // name order first (as every commit does), so no two transactions take them crosswise.
        const backends = (await work.tx.selectQuotas()).map((q) => q.backendName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        for (const backend of backends) await work.tx.lockBackendQuota(backend);
        for (const name of new Set([...keys.flatMap((k) => k.adopt?.copies.map((c) => c.backendName) ?? []), ...debts.map((d) => d.backendName)])) {
          if (!backends.includes(name)) throw new RangeError(`backend ${name} has no quota row; configured backends get one at start`);
        }
        for (const key of keys) await mergeOne(work, key, outcome);
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

async function mergeOne(work: TxWork, key: MergeKeyRequest, outcome: MergeOutcome): Promise<void> {
  const current = await work.tx.lockObjectKey(key.objectKey);
  if ((current?.writeId ?? null) !== key.expectWriteId) {
    outcome.changed++;
    return;
  }
  const kept = new Set(key.adopt?.copies.map((c) => `${c.backendName}\n${c.storageKey}`) ?? []);
  const own = new Set(current ? (await work.tx.selectLocations(key.objectKey)).map((l) => `${l.backendName}\n${l.storageKey}`) : []);
  for (const copy of key.adopt?.copies ?? []) {
    // Held by an intent (a write in flight at the backup, which the reaper promotes or owes) or a debt: left to those.
    if (!own.has(`${copy.backendName}\n${copy.storageKey}`) && (await work.tx.isStorageKeyHeld(copy.backendName, copy.storageKey))) {
      outcome.changed++;
      return;
    }
  }
  if (current) {
    for (const location of await work.tx.deleteLocationsForKey(key.objectKey)) {
      if (kept.has(`${location.backendName}\n${location.storageKey}`)) {
        work.chargeUsed(location.backendName, -location.sizeBytes); // charged again as the new object's copy
        continue;
      }
      if (key.adopt) await work.displace(location, 'restore-superseded');
      else await work.displace(location, DELETED_REASON, key.markersElsewhere?.get(location.storageKey) ?? location.backendName);
    }
    await work.tx.deleteObjectRow(key.objectKey);
  }
  if (!key.adopt) {
    if (current) outcome.removed++;
    return;
  }
  const object = objectRow(key.objectKey, key.adopt.writeId, key.adopt.identity, key.adopt.createdAt);
  await work.tx.insertObjectIfAbsent(object);
  for (const copy of key.adopt.copies) await work.addCopy(object, copy.backendName, copy.storageKey);
  outcome.adopted++;
}
