// encryption_keys and the objects' envelope headers (docs/architecture.md, "Encryption at rest").
import type { EncryptionReads, EncryptionWrites } from '../../encryption-statements.js';
import type { SqliteConnection } from '../connection.js';

export function encryptionReads(c: SqliteConnection): EncryptionReads {
  return {
    async selectKeyCheck(keyId) {
      return c.get<{ check_value: string }>('SELECT check_value FROM encryption_keys WHERE key_id = @keyId', { keyId })?.check_value ?? null;
    },
    async listObjectsEncryptedWith(keyId, afterKey, limit) {
      // The header starts `v=1;k=<id>;`: the prefix selects one key id exactly.
      return c
        .all<{ object_key: string; write_id: string; encryption: string }>(
          `SELECT object_key, write_id, encryption FROM objects
            WHERE object_key > @afterKey AND substr(encryption, 1, length(@prefix)) = @prefix
            ORDER BY object_key LIMIT @limit`,
          { afterKey, prefix: `v=1;k=${keyId};`, limit },
        )
        .map((r) => ({ objectKey: r.object_key, writeId: r.write_id, encryption: r.encryption }));
    },
    async listObjectsByStoredForm(encrypted, afterKey, limit) {
      return c
        .all<{ object_key: string; write_id: string; encryption: string | null }>(
          `SELECT object_key, write_id, encryption FROM objects
            WHERE object_key > @afterKey AND (encryption IS NOT NULL) = @encrypted
            ORDER BY object_key LIMIT @limit`,
          { afterKey, encrypted: encrypted ? 1 : 0, limit },
        )
        .map((r) => ({ objectKey: r.object_key, writeId: r.write_id, encryption: r.encryption }));
    },
  };
}

export function encryptionWrites(c: SqliteConnection): EncryptionWrites {
  return {
    async insertKeyCheck(keyId, checkValue, now) {
      c.run('INSERT INTO encryption_keys (key_id, check_value, created_at) VALUES (@keyId, @checkValue, @now) ON CONFLICT (key_id) DO NOTHING', {
        keyId, checkValue, now,
      });
    },
    async updateObjectEncryption(objectKey, writeId, encryption) {
      return c.run('UPDATE objects SET encryption = @encryption WHERE object_key = @objectKey AND write_id = @writeId', { objectKey, writeId, encryption }) === 1;
    },
    async updateObjectStoredForm(objectKey, writeId, encryption, storedSize) {
      return c.run('UPDATE objects SET encryption = @encryption, stored_size = @storedSize WHERE object_key = @objectKey AND write_id = @writeId', {
        objectKey, writeId, encryption, storedSize,
      }) === 1;
    },
  };
}
