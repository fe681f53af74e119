// The statements of envelope encryption's ledger records (docs/architecture.md, "Encryption
// at rest"): the check value of each master key id, and the envelope headers rotation re-wraps.

/** An encrypted object as rotation sees it: its key, the write it belongs to, its header. */
export interface EncryptedObjectRow {
  objectKey: string;
  writeId: string;
  encryption: string;
}

/** An object as a stored-form pass (encrypt-existing, decrypt-existing) sees it. */
export interface StoredFormRow {
  objectKey: string;
  writeId: string;
  /** the envelope header, null for a plaintext object */
  encryption: string | null;
}

export interface EncryptionReads {
  /** The check value recorded for a master key id, or null. */
  selectKeyCheck(keyId: string): Promise<string | null>;
  /** Objects whose header names `keyId` (the `k=` field), after `afterKey`, in key order. */
  listObjectsEncryptedWith(keyId: string, afterKey: string, limit: number): Promise<EncryptedObjectRow[]>;
  /** Encrypted (`encrypted`) or plaintext objects after `afterKey`, in key order. */
  listObjectsByStoredForm(encrypted: boolean, afterKey: string, limit: number): Promise<StoredFormRow[]>;
}

export interface EncryptionWrites {
  /** Records the check value of a key id unless one is recorded already. */
  insertKeyCheck(keyId: string, checkValue: string, now: number): Promise<void>;
  /** Replaces the header of the object while it is still the write `writeId`; false when it is not. */
  updateObjectEncryption(objectKey: string, writeId: string, encryption: string): Promise<boolean>;
  /** Sets the header and stored size of the object while it is still the write `writeId`; false when it is not. */
  updateObjectStoredForm(objectKey: string, writeId: string, encryption: string | null, storedSize: number | null): Promise<boolean>;
}
