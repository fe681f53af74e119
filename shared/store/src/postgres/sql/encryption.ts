// encryption_keys and the objects' envelope headers (docs/architecture.md, "Encryption at rest").
import { sql } from 'slonik';
import { z } from 'zod';
import type { EncryptionReads, EncryptionWrites } from '../../encryption-statements.js';
import type { Queries } from '../queries.js';

const checkRow = z.object({ check_value: z.string() });
const storedFormRow = z
  .object({ object_key: z.string(), write_id: z.string(), encryption: z.string().nullable() })
  .transform((r) => ({ objectKey: r.object_key, writeId: r.write_id, encryption: r.encryption }));
const encryptedRow = z
  .object({ object_key: z.string(), write_id: z.string(), encryption: z.string() })
  .transform((r) => ({ objectKey: r.object_key, writeId: r.write_id, encryption: r.encryption }));

export function encryptionReads(db: Queries): EncryptionReads {
  return {
    async selectKeyCheck(keyId) {
      return (await db.maybeOne(sql.type(checkRow)`SELECT check_value FROM encryption_keys WHERE key_id = ${keyId}`))?.check_value ?? null;
    },
    async listObjectsEncryptedWith(keyId, afterKey, limit) {
      // The header starts `v=1;k=<id>;`: the prefix selects one key id exactly.
      return [
        ...(await db.any(sql.type(encryptedRow)`
          SELECT object_key, write_id, encryption FROM objects
           WHERE object_key > ${afterKey} AND starts_with(encryption, ${`v=1;k=${keyId};`})
           ORDER BY object_key LIMIT ${limit}`)),
      ];
    },
    async listObjectsByStoredForm(encrypted, afterKey, limit) {
      return [
        ...(await db.any(sql.type(storedFormRow)`
          SELECT object_key, write_id, encryption FROM objects
           WHERE object_key > ${afterKey} AND (encryption IS NOT NULL) = ${encrypted}
           ORDER BY object_key LIMIT ${limit}`)),
      ];
    },
  };
}

export function encryptionWrites(db: Queries): EncryptionWrites {
  return {
    async insertKeyCheck(keyId, checkValue, now) {
      await db.query(sql.unsafe`
        INSERT INTO encryption_keys (key_id, check_value, created_at) VALUES (${keyId}, ${checkValue}, ${now})
        ON CONFLICT (key_id) DO NOTHING`);
    },
    async updateObjectEncryption(objectKey, writeId, encryption) {
      const result = await db.query(sql.unsafe`
        UPDATE objects SET encryption = ${encryption} WHERE object_key = ${objectKey} AND write_id = ${writeId}`);
      return result.rowCount === 1;
    },
    async updateObjectStoredForm(objectKey, writeId, encryption, storedSize) {
      const result = await db.query(sql.unsafe`
        UPDATE objects SET encryption = ${encryption}, stored_size = ${storedSize}
         WHERE object_key = ${objectKey} AND write_id = ${writeId}`);
      return result.rowCount === 1;
    },
  };
}
