// The process's master keys (encryption.master_key / master_key_file / previous_keys), read
// and checked against the ledger before a gateway serves anything: a missing key file, one
// readable by others, or key material that differs from what wrapped earlier data keys under
// the same id refuses the start, naming the key id (docs/architecture.md, "Encryption at rest").
import type { Config } from '@s3o/config';
import { openConfiguredKeys, type KeySource } from '@s3o/crypto';
import type { EncryptionLedger } from '@s3o/store';

/** The configured master keys, checked; null when none is configured. */
export async function openMasterKeys(config: Config, ledger: EncryptionLedger): Promise<KeySource | null> {
  try {
    return await openConfiguredKeys(config.encryption.masterKey, config.encryption.previousKeys, ledger);
  } catch (err) {
    throw new Error(`encryption: ${(err as Error).message}; refusing to start`, { cause: err });
  }
}
