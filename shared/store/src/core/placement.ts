// Where copies live over time (PlacementLedger, MissingCopyLedger): a replica or a move
// commits under the key lock only while the object is still the write that was copied (a
// move replaces its source copy, whose bytes become a debt — the new copy exists before the
// old one is let go, so no object is ever without one); a copy found absent is marked for
// repair; excess copies are dropped without ever taking the last ok one. Every change of
// copies is one transaction, and bytes it no longer needs become cleanup debts in it —
// placement never deletes bytes itself.
import { integrityCorruptionDetected } from '@s3o/events';
import type { MoveCopyOutcome, MoveCopyRequest } from '../drain-types.js';
import type {
  CommitReplicaOutcome, CommitReplicaRequest, CorruptCopyReport, DropCopiesRequest, MissingCopyLedger, PlacementLedger, ReplicationPage,
  ReplicationPageRequest, ScrubCandidate, ScrubLedger, UnderReplicatedRequest,
} from '../placement-types.js';
import { REPLICATION_SCAN_ROWS } from '../placement-types.js';
import type { LocationRow } from '../types.js';
import type { Core } from './tx-work.js';

/** The page's scan bound (a page returns at most this many, whatever its limit). */
function scanOf(req: ReplicationPageRequest): number {
  return Math.max(1, req.scan ?? REPLICATION_SCAN_ROWS);
}

/** Debt reasons of the copies replication lets go. */
const REPLICA_DEBT_REASONS = {
  /** the object was deleted or rewritten while the replica was copied */
  stale: 'replica-stale',
  /** another replicator committed a copy on the same backend first */
  duplicate: 'replica-duplicate',
  /** a copy marked missing, replaced by a new copy on its backend */
  missingReplaced: 'missing-replaced',
  /** a copy marked corrupt, replaced by a new copy on its backend */
  corruptReplaced: 'corrupt-replaced',
} as const;

/** Debt reasons of moves. */
const MOVE_DEBT_REASONS = {
  /** the source copy of a completed move */
  moved: 'moved',
  /** the object was deleted or rewritten while it was copied: the new bytes */
  stale: 'move-stale',
  /** the source copy went or the target got a copy meanwhile: the new bytes */
  conflict: 'move-conflict',
} as const;

export function placementOperations(core: Core): PlacementLedger {
  return {
    async commitReplica(req: CommitReplicaRequest): Promise<CommitReplicaOutcome> {
      return core.withWork(async (work): Promise<CommitReplicaOutcome> => {
        const { tx } = work;
        const taken = await work.takeCopyIntent(req.intentId, 'replica', req.writeId, REPLICA_DEBT_REASONS.stale);
        if (taken === null) return { outcome: 'intent-gone' };
        if (taken === 'stale') return { outcome: 'stale' };
        const { intent, object } = taken;
        const existing = (await tx.selectLocations(intent.objectKey)).find((l) => l.backendName === intent.backendName);
        if (existing?.state === 'ok') {
          await work.oweIntent(intent, REPLICA_DEBT_REASONS.duplicate);
          return { outcome: 'duplicate' };
        }
        let replaced: LocationRow | null = null;
        if (existing) {
          replaced = await tx.deleteLocation(intent.objectKey, intent.backendName);
          // Its bytes are most likely gone already; the debt's delete is then a harmless no-op.
          if (replaced) {
            const reason = replaced.state === 'corrupt' ? REPLICA_DEBT_REASONS.corruptReplaced : REPLICA_DEBT_REASONS.missingReplaced;
            await work.displace(replaced, reason);
          }
        }
        const copy = await work.addCopy(object, intent.backendName, intent.storageKey);
        const sequenced = await work.takeSequencer();
        const commit = { object, copy, replaced, sequencer: sequenced.sequencer };
        work.append(req.events(commit), sequenced);
        return { outcome: 'replicated', ...commit };
      });
    },

    async moveCopy(req: MoveCopyRequest): Promise<MoveCopyOutcome> {
      return core.withWork(async (work): Promise<MoveCopyOutcome> => {
        const { tx } = work;
        const taken = await work.takeCopyIntent(req.intentId, 'move', req.writeId, MOVE_DEBT_REASONS.stale);
        if (taken === null) return { outcome: 'intent-gone' };
        if (taken === 'stale') return { outcome: 'stale' };
        const { intent, object } = taken;
        const copies = await tx.selectLocations(intent.objectKey);
        const source = copies.find((l) => l.backendName === req.from.backendName && l.storageKey === req.from.storageKey);
        if (!source || copies.some((l) => l.backendName === intent.backendName)) {
          await work.oweIntent(intent, MOVE_DEBT_REASONS.conflict);
          return { outcome: 'conflict' };
        }
        const from = (await tx.deleteLocation(intent.objectKey, source.backendName))!;
        await work.displace(from, MOVE_DEBT_REASONS.moved);
        const to = await work.addCopy(object, intent.backendName, intent.storageKey);
        if (req.drainId != null) await tx.addDrainProgress(req.drainId, 1, to.sizeBytes, null, work.now);
        const moved = { object, from, to };
        // Taken under the key lock, like every change of the key's copies: receivers order by it.
        work.append(req.events(moved), await work.takeSequencer());
        return { outcome: 'moved', ...moved };
      });
    },

    async listUnderReplicated(req: UnderReplicatedRequest): Promise<ReplicationPage> {
      if (req.limit <= 0) return { candidates: [], next: req.after };
      return core.read((q) => q.listUnderReplicated(req.after, req.limit, scanOf(req), req.factor, req.uncounted));
    },

    async listOverReplicated(req: ReplicationPageRequest): Promise<ReplicationPage> {
      if (req.limit <= 0) return { candidates: [], next: req.after };
      return core.read((q) => q.listOverReplicated(req.after, req.limit, scanOf(req), req.factor));
    },

    async dropCopies(req: DropCopiesRequest): Promise<LocationRow[]> {
      return core.withWork(async (work) => {
        const { tx } = work;
        const object = await tx.lockObjectKey(req.objectKey);
        if (!object || object.writeId !== req.writeId) return [];
        const copies = new Map((await tx.selectLocations(req.objectKey)).map((l) => [l.backendName, l]));
        let okLeft = [...copies.values()].filter((l) => l.state === 'ok').length;
        const keepOk = Math.max(1, req.keepOk);
        const dropped: LocationRow[] = [];
        for (const backend of new Set(req.backends)) {
          const copy = copies.get(backend);
          if (!copy) continue;
          if (copy.state === 'ok') {
            if (okLeft <= keepOk) continue;
            okLeft -= 1;
          }
          const removed = await tx.deleteLocation(req.objectKey, backend);
          if (!removed) continue;
          await work.displace(removed, req.reason);
          dropped.push(removed);
        }
        return dropped;
      });
    },
  };
}

export function scrubOperations(core: Core): ScrubLedger {
  return {
    async listCopiesToScrub(req: { verifiedBefore: number; limit: number; backendName?: string }): Promise<ScrubCandidate[]> {
      if (req.limit <= 0) return [];
      return core.read((q) => q.listScrubCandidates(req.verifiedBefore, req.limit, req.backendName ?? null));
    },

    async markCopyVerified(objectKey: string, backendName: string, storageKey: string, at: number): Promise<boolean> {
      return core.withWork(({ tx }) => tx.setLocationVerified(objectKey, backendName, storageKey, at));
    },

    async copyVerifiedTimes(objectKey: string): Promise<Map<string, number | null>> {
      const rows = await core.read((q) => q.selectVerifiedTimes(objectKey));
      return new Map(rows.map((r) => [r.backendName, r.verifiedAt]));
    },
  };
}

export function missingCopyOperations(core: Core): MissingCopyLedger {
  return {
    async markCopyMissing(objectKey: string, backendName: string, storageKey: string): Promise<boolean> {
      return core.withWork(async ({ tx }) => {
        if (!(await tx.lockObjectKey(objectKey))) return false;
        return tx.markLocationUnusable(objectKey, backendName, storageKey, 'missing');
      });
    },

    async markCopyCorrupt(req: CorruptCopyReport): Promise<boolean> {
      return core.withWork(async (work) => {
        const object = await work.tx.lockObjectKey(req.objectKey);
        // A copy of an older write (the object was rewritten meanwhile) is not this write's problem.
        if (!object || object.writeId !== req.writeId) return false;
        if (!(await work.tx.markLocationUnusable(req.objectKey, req.backendName, req.storageKey, 'corrupt'))) return false;
        work.append([integrityCorruptionDetected(req, req.reason, req.detectedBy)]);
        return true;
      });
    },
  };
}
