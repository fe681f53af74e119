// The reaper's operations (ReaperLedger; docs/architecture.md, "Crash anywhere is
// recoverable"): a stale write intent whose bytes are whole is committed by the commit rule
// unless a newer write holds the key; any other stale intent ends, its bytes a debt when present.
import type { PromoteIntentRequest, ReapIntentRequest, ReaperLedger } from '../ledger.js';
import type { IntentCursor, IntentRow, PromoteOutcome, ReapOutcome } from '../types.js';
import { commitCopy, objectRow } from './commit.js';
import type { Core } from './tx-work.js';

export function reaperOperations(core: Core): ReaperLedger {
  return {
    async listStaleIntents(heartbeatBefore: number, after: IntentCursor | null, limit: number): Promise<IntentRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listStaleIntents(heartbeatBefore, after, limit));
    },

    async promoteIntent(req: PromoteIntentRequest): Promise<PromoteOutcome> {
      return core.withWork(async (work): Promise<PromoteOutcome> => {
        const intent = await work.tx.takeStaleIntent(req.intentId, req.heartbeatBefore);
        if (!intent) return { outcome: 'skipped' };
        if (intent.kind !== 'write') {
          throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only write intents are promoted`);
        }
        const object = objectRow(intent.objectKey, intent.intentId, req.identity, work.now);
        // The conditional upsert is the key lock and the check in one statement: a newer write
        // that committed (even one racing this transaction) keeps the key.
        if (!(await work.tx.upsertObjectIfNewer(object))) {
          await work.oweIntent(intent, 'superseded');
          return { outcome: 'superseded' };
        }
        const commit = await commitCopy(work, object, {
          backendName: intent.backendName,
          storageKey: intent.storageKey,
        }, 'written', req.events);
        return { outcome: 'promoted', commit };
      });
    },

    async reapIntent(req: ReapIntentRequest): Promise<ReapOutcome> {
      return core.withWork(async (work): Promise<ReapOutcome> => {
        const intent = await work.tx.takeStaleIntent(req.intentId, req.heartbeatBefore);
        if (!intent) return 'skipped';
        await work.oweIntent(intent, req.reason);
        return 'owed';
      });
    },
  };
}
