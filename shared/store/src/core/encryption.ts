// Envelope encryption's ledger records (EncryptionLedger, docs/architecture.md "Encryption at
// rest"): each master key id's check value, and re-wrapping an object's data key in place.
import type { EncryptionLedger, RewriteStoredFormOutcome, RewriteStoredFormRequest } from '../ledger.js';
import type { IntentRow } from '../types.js';
import type { Core } from './tx-work.js';

/** Debt reasons of a stored-form rewrite. */
const REWRITE_DEBT_REASONS = {
  /** a copy in the old form, replaced by one in the new form */
  replaced: 'rewrite-replaced',
  /** a copy marked missing, in the old form: replication rebuilds it from the new one */
  missing: 'rewrite-missing',
  /** the object was deleted or overwritten while it was rewritten: the new bytes */
  stale: 'rewrite-stale',
  /** the object's copies changed while it was rewritten: the new bytes */
  conflict: 'rewrite-conflict',
  /** the reaper took one of the rewrite's intents: the others' new bytes */
  intentGone: 'rewrite-intent-gone',
} as const;

export function encryptionOperations(core: Core): EncryptionLedger {
  return {
    async registerKeyCheck(keyId: string, checkValue: string): Promise<string> {
      return core.withWork(async ({ tx, now }) => {
        await tx.insertKeyCheck(keyId, checkValue, now);
        return (await tx.selectKeyCheck(keyId))!;
      });
    },

    getKeyCheck(keyId: string): Promise<string | null> {
      return core.read((q) => q.selectKeyCheck(keyId));
    },

    listObjectsEncryptedWith(keyId: string, afterKey: string, limit: number) {
      return core.read((q) => q.listObjectsEncryptedWith(keyId, afterKey, limit));
    },

    rewrapObject(objectKey: string, writeId: string, encryption: string): Promise<boolean> {
      // Conditional on the write: a rotation never puts an old write's header on a newer write.
      return core.withWork(({ tx }) => tx.updateObjectEncryption(objectKey, writeId, encryption));
    },

    listObjectsByStoredForm(encrypted: boolean, afterKey: string, limit: number) {
      return core.read((q) => q.listObjectsByStoredForm(encrypted, afterKey, limit));
    },

    rewriteStoredForm(req: RewriteStoredFormRequest): Promise<RewriteStoredFormOutcome> {
      return core.withWork(async (work): Promise<RewriteStoredFormOutcome> => {
        const { tx } = work;
        const intents: IntentRow[] = [];
        for (const c of req.copies) {
          const intent = await tx.takeIntent(c.intentId);
          if (intent) intents.push(intent);
        }
        const oweAll = async (reason: string): Promise<void> => {
          for (const intent of intents) await work.oweIntent(intent, reason);
        };
        if (intents.length !== req.copies.length) {
          await oweAll(REWRITE_DEBT_REASONS.intentGone);
          return 'intent-gone';
        }
        for (const intent of intents) {
          if (intent.kind !== 'move' || intent.objectKey !== req.objectKey) throw new TypeError(`intent ${intent.intentId} is not a move of ${req.objectKey}`);
        }
        // The key lock: a client's commit or delete of this key waits for us, or we for it.
        const object = await tx.lockObjectKey(req.objectKey);
        if (!object || object.writeId !== req.writeId) {
          await oweAll(REWRITE_DEBT_REASONS.stale);
          return 'stale';
        }
        const copies = await tx.selectLocations(req.objectKey);
        const replaced = req.copies.map((c, i) => ({
          intent: intents[i]!,
          from: copies.find((l) => l.backendName === c.from.backendName && l.storageKey === c.from.storageKey && l.state === 'ok'),
        }));
        if (replaced.some((r) => !r.from || r.intent.backendName !== r.from.backendName)) {
          await oweAll(REWRITE_DEBT_REASONS.conflict);
          return 'conflict';
        }
        await tx.updateObjectStoredForm(req.objectKey, req.writeId, req.encryption, req.storedSize);
        const rewritten = { ...object, encryption: req.encryption, storedSize: req.storedSize };
        // Every old copy goes (bytes_used released, a debt), then the new ones are charged their stored size.
        for (const copy of copies) {
          const removed = await tx.deleteLocation(req.objectKey, copy.backendName);
          if (removed) await work.displace(removed, replaced.some((r) => r.from === copy) ? REWRITE_DEBT_REASONS.replaced : REWRITE_DEBT_REASONS.missing);
        }
        for (const r of replaced) await work.addCopy(rewritten, r.intent.backendName, r.intent.storageKey);
        return 'rewritten';
      });
    },
  };
}
