// The placement rules (placement-types.ts) on top of a TxAdapter: a replica commits under
// the key lock only while the object is still the write that was copied, a copy found
// absent is marked for repair, and excess copies are dropped without ever taking the last
// ok one. Every change of copies is one transaction; bytes a change no longer needs become
// cleanup debts in it (DESIGN §4) — placement never deletes bytes itself.
import type { TxWork } from './core.js';
import type {
  CommitReplicaOutcome, CommitReplicaRequest, DropCopiesRequest, ReplicationCandidate, ReplicationLedger,
  ReplicationPageRequest, UnderReplicatedRequest,
} from './placement-types.js';
import type { TxAdapter } from './tx-adapter.js';
import type { LocationRow } from './types.js';

/** Debt reasons of the copies replication lets go. */
const REPLICA_DEBT_REASONS = {
  /** the object was deleted or rewritten while the replica was copied */
  stale: 'replica-stale',
  /** another replicator committed a copy on the same backend first */
  duplicate: 'replica-duplicate',
  /** a copy marked missing, replaced by a new copy on its backend */
  missingReplaced: 'missing-replaced',
} as const;

export class CorePlacement implements ReplicationLedger {
  constructor(
    private readonly adapter: TxAdapter,
    /** runs `fn` in one transaction with the ledger's TxWork (quota deltas, debts, events) */
    private readonly inTx: <T>(fn: (work: TxWork) => Promise<T>) => Promise<T>,
  ) {}

  async commitReplica(req: CommitReplicaRequest): Promise<CommitReplicaOutcome> {
    return this.inTx(async (work): Promise<CommitReplicaOutcome> => {
      const { tx } = work;
      const taken = await work.takeCopyIntent(req.intentId, 'replica', req.writeId, REPLICA_DEBT_REASONS.stale);
      if (taken === null) return { outcome: 'intent-gone' };
      if (taken === 'stale') return { outcome: 'stale' };
      const { intent, object } = taken;
      const existing = (await tx.selectLocations(intent.objectKey)).find((l) => l.backendName === intent.backendName);
      if (existing?.state === 'ok') {
        await work.oweIntent(intent, REPLICA_DEBT_REASONS.duplicate);
        await work.finish();
        return { outcome: 'duplicate' };
      }
      let replaced: LocationRow | null = null;
      if (existing) {
        replaced = await tx.deleteLocation(intent.objectKey, intent.backendName);
        // Its bytes are most likely gone already; the debt's delete is then a harmless no-op.
        if (replaced) await work.displace(replaced, REPLICA_DEBT_REASONS.missingReplaced);
      }
      const copy = await work.addCopy(object, intent.backendName, intent.storageKey);
      const sequenced = await work.takeSequencer();
      const commit = { object, copy, replaced, sequencer: sequenced.sequencer };
      await work.finish(req.events(commit), sequenced);
      return { outcome: 'replicated', ...commit };
    });
  }

  async markCopyMissing(objectKey: string, backendName: string, storageKey: string): Promise<boolean> {
    return this.inTx(async ({ tx }) => {
      if (!(await tx.lockObjectKey(objectKey))) return false;
      return tx.markLocationMissing(objectKey, backendName, storageKey);
    });
  }

  async listUnderReplicated(req: UnderReplicatedRequest): Promise<ReplicationCandidate[]> {
    if (req.limit <= 0) return [];
    return this.adapter.read((q) => q.listUnderReplicated(req.after, req.limit, req.factor, req.uncounted));
  }

  async listOverReplicated(req: ReplicationPageRequest): Promise<ReplicationCandidate[]> {
    if (req.limit <= 0) return [];
    return this.adapter.read((q) => q.listOverReplicated(req.after, req.limit, req.factor));
  }

  async dropCopies(req: DropCopiesRequest): Promise<LocationRow[]> {
    return this.inTx(async (work) => {
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
      await work.finish();
      return dropped;
    });
  }
}
