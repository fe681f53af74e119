// Claims, intents and the client's object changes (IntentLedger, WriteLedger): the first
// placement of a write claims space under the backend's quota lock, the bytes travel under
// an intent, and the commit or delete changes the key's copies in one transaction.
import { DELETED_REASON } from '../delete-marker.js';
import { NoSuchIntentError } from '../errors.js';
import { checkWriteConditions, throwConditionFailure, type ConditionFailure } from './conditions.js';
import type { ClaimRequest, CommitWriteRequest, DeleteOptions, DeleteResult, IntentLedger, WriteLedger } from '../ledger.js';
import type { Claim, CommitEvents, CommitResult, DeleteOutcome, IntentRow } from '../types.js';
import { commitCopy, objectRow } from './commit.js';
import type { Core } from './tx-work.js';

export function intentOperations(core: Core): IntentLedger {
  // Backends last seen with a limit: their claims go straight to the exclusive lock instead of
  // first trying the share lock that only an unlimited backend gets (a statement each time).
  // Only a hint: a stale entry costs that one statement, never a wrong claim — the exclusive
  // lock is right for any backend, and the balance read under it renews the entry.
  const limited = new Set<string>();
  return {
    async claim(req: ClaimRequest): Promise<Claim | null> {
      return core.withWork(async ({ tx, now }) => {
        for (const backendName of req.candidates) {
          // No limit, no balance to keep: claims on such a backend lock its row in share mode
          // and run in parallel; a drain starting takes the row exclusively, so the draining
          // check after the lock sees it. A backend with a limit: locking the row serialises
          // its claims (Postgres), and the balance read after the lock (READ COMMITTED: a
          // snapshot taken after the wait) includes every committed claim and sees each
          // concurrent commit's bytes either in flight or charged (docs/architecture.md
          // "Quota guarantee"). Either way the check and the intent are one statement.
          const shared = !limited.has(backendName) && (await tx.lockUnlimitedQuota(backendName));
          if (!shared && !(await tx.lockBackendQuota(backendName))) continue;
          const decision = await tx.admitIntent({
            intentId: req.intentId,
            kind: req.kind,
            objectKey: req.objectKey,
            backendName,
            storageKey: req.storageKey,
            sizeBytes: req.sizeBytes,
            identity: req.identity,
            createdAt: now,
            heartbeatAt: now,
          }, shared ? 'not-draining' : 'room');
          if (decision.bytesLimit === 0) limited.delete(backendName);
          else if (decision.bytesLimit !== null) limited.add(backendName);
          if (decision.admitted) return { intentId: req.intentId, backendName, storageKey: req.storageKey };
        }
        return null;
      });
    },

    async heartbeat(intentIds: string[]): Promise<void> {
      if (intentIds.length === 0) return;
      await core.withWork(({ tx, now }) => tx.touchIntents(intentIds, now));
    },

    async abandonIntent(intentId: string, reason: string): Promise<void> {
      await core.withWork(async (work) => {
        const intent = await work.tx.takeIntent(intentId);
        if (intent) await work.oweIntent(intent, reason);
      });
    },

    async dropIntent(intentId: string): Promise<void> {
      await core.withWork(({ tx }) => tx.takeIntent(intentId));
    },

    async getIntent(intentId: string): Promise<IntentRow | null> {
      return core.read((q) => q.selectIntent(intentId));
    },
  };
}

export function writeOperations(core: Core): WriteLedger {
  return {
    async commitWrite(req: CommitWriteRequest): Promise<CommitResult> {
      const outcome = await core.withWork(async (work): Promise<CommitResult | ConditionFailure> => {
        const intent = await work.tx.takeIntent(req.intentId);
        if (!intent) throw new NoSuchIntentError(req.intentId);
        if (intent.kind !== 'write') {
          throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only write intents commit as objects`);
        }
        const object = objectRow(intent.objectKey, intent.intentId, req.identity, work.now);
        const failed = await checkWriteConditions(work, object, req);
        if (failed) {
          // The new copy's bytes are already on the backend and now owed.
          await work.oweIntent(intent, failed === 'precondition-failed' ? 'precondition_failed' : 'condition_conflict');
          return failed;
        }
        return commitCopy(work, object, {
          backendName: intent.backendName,
          storageKey: intent.storageKey,
        }, req.ifNoneMatchStar ? 'written' : 'upsert', req.events);
      });
      // Thrown after the transaction committed, so the debt recorded above is kept.
      throwConditionFailure(outcome);
      return outcome;
    },

    async deleteObject(objectKey: string, events: CommitEvents<DeleteOutcome>, options: DeleteOptions = {}): Promise<DeleteResult> {
      return core.withWork(async (work) => {
        const object = await work.tx.lockObjectKey(objectKey);
        if (!object) return { existed: false, removed: [], sequencer: null };
        if (options.createdBefore !== undefined && object.createdAt >= options.createdBefore) {
          return { existed: true, removed: [], sequencer: null };
        }
        if (options.tags !== undefined && !Object.entries(options.tags).every(([k, v]) => object.tags?.[k] === v)) {
          return { existed: true, removed: [], sequencer: null };
        }
        const removed = await work.tx.deleteLocationsForKey(objectKey);
        for (const location of removed) {
          // Each copy's debt names the backend of its marker: cleanup deletes the marker there after the bytes.
          await work.displace(location, DELETED_REASON, options.markersElsewhere?.get(location.storageKey) ?? location.backendName);
        }
        await work.tx.deleteObjectRow(objectKey);
        const sequenced = await work.takeSequencer();
        work.append(events({ object, removed, sequencer: sequenced.sequencer }), sequenced);
        return { existed: true, removed, sequencer: sequenced.sequencer };
      });
    },
  };
}
