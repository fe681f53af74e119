// Drains and the removal of backends (BackendDrains): a drain is a row that, while
// `draining`, keeps every claim off its backend (writes.ts claim) and that the placement
// service works down by moving copies (placement.ts moveCopy). Removing a backend forgets it
// once it holds nothing; purging drops its records, reporting objects left with no copy.
import type { BackendDrains, BackendPurge, BackendRecordCounts, DrainRow } from '../drain-types.js';
import type { LocationRow, NewEvent, ObjectRow } from '../types.js';
import type { Core } from './tx-work.js';

/** Copy rows dropped per purge transaction, so a large backend does not hold the writer long. */
const PURGE_BATCH = 500;

export function backendDrains(core: Core): BackendDrains {
  return {
    async startDrain(backendName: string, events: (drain: DrainRow) => NewEvent[]): Promise<DrainRow | null> {
      return core.withWork(async (work) => {
        // The quota row lock orders this against claims on the backend (Postgres): a claim
        // that commits after the drain saw it; one before it is an intent the drain waits for.
        await work.tx.lockBackendQuota(backendName);
        const counts = await work.tx.countBackendRecords(backendName);
        const drain = await work.tx.insertDrain(backendName, counts.copies, work.now);
        if (!drain) return null;
        work.append(events(drain));
        return drain;
      });
    },

    async getDrain(backendName: string): Promise<DrainRow | null> {
      return core.read((q) => q.selectLatestDrain(backendName));
    },

    async listActiveDrains(): Promise<DrainRow[]> {
      return core.read((q) => q.selectActiveDrains());
    },

    async recordDrainProgress(id: number, progress: { objects: number; bytes: number; error?: string | null }): Promise<void> {
      await core.withWork(({ tx, now }) => tx.addDrainProgress(id, progress.objects, progress.bytes, progress.error ?? null, now));
    },

    async finishDrain(
      id: number,
      state: 'drained' | 'failed' | 'cancelled',
      reason: string | null,
      events: (drain: DrainRow) => NewEvent[],
    ): Promise<DrainRow | null> {
      return core.withWork(async (work) => {
        const drain = await work.tx.endDrain(id, state, reason, work.now);
        if (!drain) return null;
        work.append(events(drain));
        return drain;
      });
    },

    async countBackendRecords(backendName: string): Promise<BackendRecordCounts> {
      return core.read((q) => q.countBackendRecords(backendName));
    },

    async listBackendCopies(backendName: string, after: string | null, limit: number): Promise<LocationRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listBackendLocations(backendName, after, limit));
    },

    async removeBackend(backendName: string): Promise<boolean> {
      return core.withWork(async ({ tx }) => {
        // Locked so no claim slips in between the count and the delete.
        await tx.lockBackendQuota(backendName);
        const counts = await tx.countBackendRecords(backendName);
        if (counts.copies + counts.intents + counts.uploads + counts.debts > 0) return false;
        await tx.deleteBackendRows(backendName);
        return true;
      });
    },

    async previewPurge(backendName: string): Promise<BackendPurge> {
      return core.read(async (q) => {
        const lost: BackendPurge['lost'] = [];
        let copies = 0;
        let after: string | null = null;
        for (;;) {
          const page = await q.listBackendLocations(backendName, after, PURGE_BATCH);
          for (const copy of page) {
            copies++;
            const others = (await q.selectLocations(copy.objectKey)).filter((l) => l.backendName !== backendName && l.state === 'ok');
            if (others.length > 0) continue;
            const object = await q.selectObject(copy.objectKey);
            if (object) lost.push({ objectKey: object.objectKey, size: object.size, etag: object.etag });
          }
          if (page.length < PURGE_BATCH) return { copies, lost };
          after = page.at(-1)!.storageKey;
        }
      });
    },

    async purgeBackend(backendName: string, lostEvents: (object: ObjectRow, copies: LocationRow[]) => NewEvent[]): Promise<BackendPurge> {
      const purge: BackendPurge = { copies: 0, lost: [] };
      for (;;) {
        const taken = await core.withWork(async (work) => {
          const { tx } = work;
          const rows = await tx.takeBackendLocations(backendName, PURGE_BATCH);
          for (const copy of rows) {
            // The key lock orders this against writes of the key; a write that committed a new
            // copy elsewhere meanwhile keeps its object.
            const object = await tx.lockObjectKey(copy.objectKey);
            if (!object) continue;
            const remaining = await tx.selectLocations(copy.objectKey);
            if (remaining.some((l) => l.state === 'ok')) continue;
            // Nothing readable is left: the object is reported, and its missing copies with it.
            for (const gone of await tx.deleteLocationsForKey(copy.objectKey)) work.chargeUsed(gone.backendName, -gone.sizeBytes);
            await tx.deleteObjectRow(copy.objectKey);
            work.append(lostEvents(object, [copy, ...remaining]));
            purge.lost.push({ objectKey: object.objectKey, size: object.size, etag: object.etag });
          }
          return rows.length;
        });
        purge.copies += taken;
        if (taken < PURGE_BATCH) break;
      }
      await core.withWork(async ({ tx }) => {
        await tx.deleteBackendHoldings(backendName);
        await tx.deleteBackendRows(backendName);
      });
      return purge;
    },
  };
}
