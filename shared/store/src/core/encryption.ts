// Envelope encryption's ledger records (EncryptionLedger, docs/architecture.md "Encryption at
// rest"): each master key id's check value, and re-wrapping an object's data key in place.
import type { EncryptionLedger } from '../ledger.js';
import type { Core } from './tx-work.js';

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
  };
}
