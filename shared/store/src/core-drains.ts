// The drain rules (drain-types.ts) on top of a TxAdapter: a drain is a row that, while
// `draining`, keeps every claim off its backend (core.ts claim) and that the placement
// service works down; a copy moves under the key lock only while the object is still the
// write that was copied, the source's bytes becoming a debt in the same transaction (DESIGN
// §4) — the new copy exists before the old one is let go, so no object is ever without one.
import type { TxWork } from './core.js';
import type { BackendPurge, BackendRecordCounts, DrainLedger, DrainRow, MoveCopyOutcome, MoveCopyRequest } from './drain-types.js';
import type { TxAdapter } from './tx-adapter.js';
import type { LocationRow, NewEvent, ObjectRow } from './types.js';

/** Debt reasons of moves. */
export const MOVE_DEBT_REASONS = {
  /** the source copy of a completed move */
  moved: 'moved',
  /** the object was deleted or rewritten while it was copied: the new bytes */
  stale: 'move-stale',
  /** the source copy went or the target got a copy meanwhile: the new bytes */
  conflict: 'move-conflict',
} as const;

/** Copy rows dropped per purge transaction, so a large backend does not hold the writer long. */
const PURGE_BATCH = 500;

export class CoreDrains implements DrainLedger {
  constructor(
    private readonly adapter: TxAdapter,
    /** runs `fn` in one transaction with the ledger's TxWork (quota deltas, debts, events) */
    private readonly inTx: <T>(fn: (work: TxWork) => Promise<T>) => Promise<T>,
  ) {}

  async moveCopy(req: MoveCopyRequest): Promise<MoveCopyOutcome> {
    return this.inTx(async (work): Promise<MoveCopyOutcome> => {
      const { tx } = work;
      const taken = await work.takeCopyIntent(req.intentId, 'move', req.writeId, MOVE_DEBT_REASONS.stale);
      if (taken === null) return { outcome: 'intent-gone' };
      if (taken === 'stale') return { outcome: 'stale' };
      const { intent, object } = taken;
      const copies = await tx.selectLocations(intent.objectKey);
      const source = copies.find((l) => l.backendName === req.from.backendName && l.storageKey === req.from.storageKey);
      if (!source || copies.some((l) => l.backendName === intent.backendName)) {
        await work.oweIntent(intent, MOVE_DEBT_REASONS.conflict);
        await work.finish();
        return { outcome: 'conflict' };
      }
      const from = (await tx.deleteLocation(intent.objectKey, source.backendName))!;
      await work.displace(from, MOVE_DEBT_REASONS.moved);
      const to = await work.addCopy(object, intent.backendName, intent.storageKey);
      if (req.drainId != null) await tx.addDrainProgress(req.drainId, 1, to.sizeBytes, null, work.now);
      const moved = { object, from, to };
      // Taken under the key lock, like every change of the key's copies: receivers order by it.
      await work.finish(req.events(moved), await work.takeSequencer());
      return { outcome: 'moved', ...moved };
    });
  }

  async startDrain(backendName: string, events: (drain: DrainRow) => NewEvent[]): Promise<DrainRow | null> {
    return this.inTx(async (work) => {
      // The quota row lock orders this against claims on the backend (Postgres): a claim
      // that commits after the drain saw it; one before it is an intent the drain waits for.
      await work.tx.lockBackendQuota(backendName);
      const counts = await work.tx.countBackendRecords(backendName);
      const drain = await work.tx.insertDrain(backendName, counts.copies, work.now);
      if (!drain) return null;
      await work.finish(events(drain));
      return drain;
    });
  }

  async getDrain(backendName: string): Promise<DrainRow | null> {
    return this.adapter.read((q) => q.selectLatestDrain(backendName));
  }

  async listActiveDrains(): Promise<DrainRow[]> {
    return this.adapter.read((q) => q.selectActiveDrains());
  }

  async recordDrainProgress(id: number, progress: { objects: number; bytes: number; error?: string | null }): Promise<void> {
    await this.inTx(({ tx, now }) => tx.addDrainProgress(id, progress.objects, progress.bytes, progress.error ?? null, now));
  }

  async finishDrain(
    id: number,
    state: 'drained' | 'failed' | 'cancelled',
    reason: string | null,
    events: (drain: DrainRow) => NewEvent[],
  ): Promise<DrainRow | null> {
    return this.inTx(async (work) => {
      const drain = await work.tx.endDrain(id, state, reason, work.now);
      if (!drain) return null;
      await work.finish(events(drain));
      return drain;
    });
  }

  async countBackendRecords(backendName: string): Promise<BackendRecordCounts> {
    return this.adapter.read((q) => q.countBackendRecords(backendName));
  }

  async listBackendCopies(backendName: string, after: string | null, limit: number): Promise<LocationRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listBackendLocations(backendName, after, limit));
  }

  async removeBackend(backendName: string): Promise<boolean> {
    return this.inTx(async ({ tx }) => {
      // Locked so no claim slips in between the count and the delete.
      await tx.lockBackendQuota(backendName);
      const counts = await tx.countBackendRecords(backendName);
      if (counts.copies + counts.intents + counts.uploads + counts.debts > 0) return false;
      await tx.deleteBackendRows(backendName);
      return true;
    });
  }

  async previewPurge(backendName: string): Promise<BackendPurge> {
    return this.adapter.read(async (q) => {
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
  }

  async purgeBackend(backendName: string, lostEvents: (object: ObjectRow, copies: LocationRow[]) => NewEvent[]): Promise<BackendPurge> {
    const purge: BackendPurge = { copies: 0, lost: [] };
    for (;;) {
      const taken = await this.inTx(async (work) => {
        const { tx } = work;
        const rows = await tx.takeBackendLocations(backendName, PURGE_BATCH);
        const events: NewEvent[] = [];
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
          events.push(...lostEvents(object, [copy, ...remaining]));
          purge.lost.push({ objectKey: object.objectKey, size: object.size, etag: object.etag });
        }
        await work.finish(events);
        return rows.length;
      });
      purge.copies += taken;
      if (taken < PURGE_BATCH) break;
    }
    await this.inTx(async ({ tx }) => {
      await tx.deleteBackendHoldings(backendName);
      await tx.deleteBackendRows(backendName);
    });
    return purge;
  }
}
