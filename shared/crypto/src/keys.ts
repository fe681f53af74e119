// Master keys and the data keys they wrap. The data path only ever asks a KeySource to wrap a
// fresh data key or unwrap a stored one by key id; where master keys live (the config file,
// a key file, later a KMS such as Vault transit or AWS KMS) is the source's business, so a new
// source is one more implementation of this interface and nothing else changes.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface KeySource {
  /** The key new data keys are wrapped with; null when no key is configured for writing. */
  readonly writeKeyId: string | null;
  /** Whether a data key wrapped by `keyId` can be unwrapped here. */
  knows(keyId: string): boolean;
  wrap(dataKey: Buffer): Promise<{ keyId: string; wrapped: Buffer }>;
  /** Throws UnknownKeyError for a key id it does not hold, KeyMismatchError when the key does not open it. */
  unwrap(keyId: string, wrapped: Buffer): Promise<Buffer>;
}

/** A data key wrapped by a master key this process does not hold (removed from previous_keys too early, or a wrong id). */
export class UnknownKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`master key "${keyId}" is not configured (encryption.master_key / encryption.previous_keys)`);
    this.name = 'UnknownKeyError';
  }
}

/** The master key with this id is not the one that wrapped the data key (wrong key material, or a tampered wrap). */
export class KeyMismatchError extends Error {
  constructor(readonly keyId: string) {
    super(`master key "${keyId}" does not open a data key wrapped under that id: the configured key is not the one used before`);
    this.name = 'KeyMismatchError';
  }
}

/** A master key as configured: base64 text, or a file holding it. */
export interface MasterKeyRef {
  id: string;
  /** base64 of 32 bytes */
  key: string | null;
  /** a file holding the base64 text (or the 32 raw bytes); must not be readable by group or others */
  file: string | null;
}

const MASTER_KEY_BYTES = 32;
const WRAP_IV_BYTES = 12;
const WRAP_TAG_BYTES = 16;

/** Master keys held in this process's memory (from the config file or key files). */
export class LocalKeySource implements KeySource {
  private readonly keys: Map<string, Buffer>;

  constructor(keys: ReadonlyMap<string, Buffer>, readonly writeKeyId: string | null) {
    for (const [id, key] of keys) {
      if (key.length !== MASTER_KEY_BYTES) throw new Error(`master key "${id}" must be ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
    }
    if (writeKeyId !== null && !keys.has(writeKeyId)) throw new UnknownKeyError(writeKeyId);
    this.keys = new Map(keys);
  }

  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  // AES-256-GCM with a random IV and the key id as additional data: a wrapped key moved under
  // another id, or opened with other key material, fails authentication instead of yielding a
  // wrong data key. Layout: IV ‖ wrapped key ‖ tag (60 bytes).
  async wrap(dataKey: Buffer): Promise<{ keyId: string; wrapped: Buffer }> {
    if (this.writeKeyId === null) throw new Error('no master key to wrap with (encryption.master_key)');
    const iv = randomBytes(WRAP_IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.writeKeyId)!, iv);
    cipher.setAAD(Buffer.from(this.writeKeyId, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.writeKeyId, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  async unwrap(keyId: string, wrapped: Buffer): Promise<Buffer> {
    const key = this.keys.get(keyId);
    if (!key) throw new UnknownKeyError(keyId);
    if (wrapped.length <= WRAP_IV_BYTES + WRAP_TAG_BYTES) throw new KeyMismatchError(keyId);
    const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, WRAP_IV_BYTES));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - WRAP_TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(WRAP_IV_BYTES, wrapped.length - WRAP_TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyMismatchError(keyId);
    }
  }
}

/**
 * Reads the configured master keys: the current one (`writeKeyId`, may be null when
 * encryption is off but old objects must stay readable) and the previous ones. A key file
 * that group or others may read is refused — the key is the only thing between a provider
 * and the data.
 */
export function loadLocalKeySource(refs: readonly MasterKeyRef[], writeKeyId: string | null): LocalKeySource {
  const keys = new Map<string, Buffer>();
  for (const ref of refs) {
    if (keys.has(ref.id)) throw new Error(`master key id "${ref.id}" is configured twice`);
    keys.set(ref.id, readKey(ref));
  }
  return new LocalKeySource(keys, writeKeyId);
}

function readKey(ref: MasterKeyRef): Buffer {
  if (ref.key !== null) return decodeKey(ref.key, `master key "${ref.id}"`);
  if (ref.file === null) throw new Error(`master key "${ref.id}" has neither a key nor a key file`);
  const mode = statSync(ref.file).mode;
  if ((mode & 0o077) !== 0) {
    throw new Error(`master key "${ref.id}": ${ref.file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const raw = readFileSync(ref.file);
  if (raw.length === MASTER_KEY_BYTES) return raw;
  return decodeKey(raw.toString('utf8').trim(), `master key "${ref.id}" in ${ref.file}`);
}

function decodeKey(text: string, what: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== MASTER_KEY_BYTES || key.toString('base64') !== text.replace(/\s+/g, '')) {
    throw new Error(`${what} must be base64 of ${MASTER_KEY_BYTES} bytes`);
  }
  return key;
}
