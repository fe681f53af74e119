// Proving at start that this process holds the same master keys as every process before it
// (docs/architecture.md, "Encryption at rest"). The ledger keeps, per key id, a random value
// wrapped by that key; a key that cannot unwrap it is other key material under the same id —
// starting anyway would write data keys nobody else can open, or fail every read.
import { randomBytes } from 'node:crypto';
import { KeyMismatchError, loadLocalKeySource, type KeySource, type MasterKeyRef } from './keys.js';

/** Where the check values live (the ledger's EncryptionLedger). */
export interface KeyCheckRecords {
  registerKeyCheck(keyId: string, checkValue: string): Promise<string>;
  getKeyCheck(keyId: string): Promise<string | null>;
}

/**
 * Records the current key's check value on first use and checks every configured key id
 * against what is recorded. Throws KeyMismatchError naming the first key id that does not match.
 */
export async function verifyKeySource(keys: KeySource, keyIds: readonly string[], records: KeyCheckRecords): Promise<void> {
  for (const keyId of keyIds) {
    let recorded: string | null;
    if (keyId === keys.writeKeyId) {
      const { wrapped } = await keys.wrap(randomBytes(32));
      recorded = await records.registerKeyCheck(keyId, wrapped.toString('base64'));
    } else {
      recorded = await records.getKeyCheck(keyId);
    }
    if (recorded === null) continue; // a previous key that never wrapped anything here
    try {
      await keys.unwrap(keyId, Buffer.from(recorded, 'base64'));
    } catch (err) {
      if (err instanceof KeyMismatchError) throw err;
      throw new KeyMismatchError(keyId);
    }
  }
}

/**
 * The configured master keys as a checked KeySource: the current key (wraps new data keys;
 * null when only old objects must stay readable) and the previous ones. Null when none is
 * configured. Throws naming the key id: a missing or exposed key file, bad key material, or
 * a key that differs from the one recorded under its id.
 */
export async function openConfiguredKeys(
  current: MasterKeyRef | null, previous: readonly MasterKeyRef[], records: KeyCheckRecords,
): Promise<KeySource | null> {
  const refs = current ? [current, ...previous] : [...previous];
  if (refs.length === 0) return null;
  const keys = loadLocalKeySource(refs, current?.id ?? null);
  await verifyKeySource(keys, refs.map((r) => r.id), records);
  return keys;
}
