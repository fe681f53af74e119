// users, credentials, grants, buckets (see identity-statements.ts).
import { sql } from 'slonik';
import { z } from 'zod';
import type { IdentityReads, IdentityWrites } from '../../identity-statements.js';
import type { CredentialRow, StoredBucketRow, UserRow } from '../../identity-types.js';
import { int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const userRow = z
  .object({ id: int8, name: z.string(), created_at: int8 })
  .transform((r): UserRow => ({ id: r.id, name: r.name, createdAt: r.created_at }));
const bucketRow = z
  .object({ name: z.string(), created_at: int8 })
  .transform((r): StoredBucketRow => ({ name: r.name, createdAt: r.created_at }));
const credentialRow = z
  .object({
    access_key_id: z.string(), user_name: z.string(), secret_sealed: z.string(),
    created_at: int8, last_used_at: int8.nullable(), revoked_at: int8.nullable(),
  })
  .transform((r): CredentialRow => ({
    accessKeyId: r.access_key_id,
    user: r.user_name,
    sealedSecret: r.secret_sealed,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
const grantRow = z
  .object({ user_name: z.string(), resource_kind: z.enum(['bucket', 'backend', 'orchestrator']), resource_name: z.string(), permissions: z.string() })
  .transform((r) => ({ user: r.user_name, kind: r.resource_kind, name: r.resource_name, permissions: r.permissions }));
const count = z.object({ n: int8 });

const CREDENTIALS = sql.fragment`
  SELECT c.access_key_id, u.name AS user_name, c.secret_sealed, c.created_at, c.last_used_at, c.revoked_at
    FROM credentials c JOIN users u ON u.id = c.user_id`;

export function identityReads(db: Queries): IdentityReads {
  return {
    async selectIdentity() {
      return {
        users: [...(await db.any(sql.type(userRow)`SELECT id, name, created_at FROM users ORDER BY name`))],
        credentials: [...(await db.any(sql.type(credentialRow)`${CREDENTIALS} ORDER BY c.access_key_id`))],
        grants: [...(await db.any(sql.type(grantRow)`
          SELECT u.name AS user_name, g.resource_kind, g.resource_name, g.permissions
            FROM grants g JOIN users u ON u.id = g.user_id ORDER BY u.name, g.resource_kind, g.resource_name`))],
        buckets: [...(await db.any(sql.type(bucketRow)`SELECT name, created_at FROM buckets ORDER BY name`))],
      };
    },

    async selectCredential(accessKeyId) {
      return db.maybeOne(sql.type(credentialRow)`${CREDENTIALS} WHERE c.access_key_id = ${accessKeyId}`);
    },
  };
}

export function identityWrites(db: Queries): IdentityWrites {
  return {
    async lockUser(name) {
      return db.maybeOne(sql.type(userRow)`SELECT id, name, created_at FROM users WHERE name = ${name} FOR UPDATE`);
    },

    async insertUser(name, now) {
      return db.maybeOne(sql.type(userRow)`
        INSERT INTO users (name, created_at) VALUES (${name}, ${now}) ON CONFLICT DO NOTHING RETURNING id, name, created_at`);
    },

    async renameUserRow(id, newName) {
      await db.query(sql.unsafe`UPDATE users SET name = ${newName} WHERE id = ${id}`);
    },

    async countActiveCredentials(userId) {
      return (await db.one(sql.type(count)`SELECT COUNT(*) AS n FROM credentials WHERE user_id = ${userId} AND revoked_at IS NULL`)).n;
    },

    async deleteUserRows(userId) {
      await db.query(sql.unsafe`DELETE FROM credentials WHERE user_id = ${userId}`);
      await db.query(sql.unsafe`DELETE FROM grants WHERE user_id = ${userId}`);
      await db.query(sql.unsafe`DELETE FROM users WHERE id = ${userId}`);
    },

    async insertCredential(userId, accessKeyId, sealedSecret, now) {
      const r = await db.query(sql.unsafe`
        INSERT INTO credentials (access_key_id, user_id, secret_sealed, created_at) VALUES (${accessKeyId}, ${userId}, ${sealedSecret}, ${now})
        ON CONFLICT DO NOTHING`);
      return r.rowCount === 1;
    },

    async revokeCredentialRow(accessKeyId, now) {
      await db.query(sql.unsafe`UPDATE credentials SET revoked_at = ${now} WHERE access_key_id = ${accessKeyId} AND revoked_at IS NULL`);
    },

    async touchCredential(accessKeyId, at) {
      await db.query(sql.unsafe`
        UPDATE credentials SET last_used_at = ${at}
         WHERE access_key_id = ${accessKeyId} AND (last_used_at IS NULL OR last_used_at < ${at})`);
    },

    async selectGrantPermissions(userId, kind, name) {
      const r = await db.maybeOne(sql.type(z.object({ permissions: z.string() }))`
        SELECT permissions FROM grants WHERE user_id = ${userId} AND resource_kind = ${kind} AND resource_name = ${name}`);
      return r?.permissions ?? null;
    },

    async upsertGrant(userId, kind, name, permissions) {
      await db.query(sql.unsafe`
        INSERT INTO grants (user_id, resource_kind, resource_name, permissions) VALUES (${userId}, ${kind}, ${name}, ${permissions})
        ON CONFLICT (user_id, resource_kind, resource_name) DO UPDATE SET permissions = excluded.permissions`);
    },

    async deleteGrant(userId, kind, name) {
      const r = await db.query(sql.unsafe`
        DELETE FROM grants WHERE user_id = ${userId} AND resource_kind = ${kind} AND resource_name = ${name}`);
      return r.rowCount === 1;
    },

    async lockStoredBucket(name) {
      return db.maybeOne(sql.type(bucketRow)`SELECT name, created_at FROM buckets WHERE name = ${name} FOR SHARE`);
    },

    async insertStoredBucket(name, now) {
      return db.maybeOne(sql.type(bucketRow)`
        INSERT INTO buckets (name, created_at) VALUES (${name}, ${now}) ON CONFLICT DO NOTHING RETURNING name, created_at`);
    },

    async takeStoredBucket(name) {
      const r = await db.query(sql.unsafe`DELETE FROM buckets WHERE name = ${name}`);
      return r.rowCount === 1;
    },

    async countBucketGrants(name) {
      return (await db.one(sql.type(count)`SELECT COUNT(*) AS n FROM grants WHERE resource_kind = 'bucket' AND resource_name = ${name}`)).n;
    },

    async bucketHoldsData(name) {
      // Internal keys are `{bucket}/{key}`: the bucket's keys are the range [name/, name0).
      const from = `${name}/`;
      const to = `${name}0`;
      const r = await db.one(sql.type(z.object({ found: z.boolean() }))`
        SELECT EXISTS (SELECT 1 FROM objects WHERE object_key >= ${from} AND object_key < ${to})
            OR EXISTS (SELECT 1 FROM multipart_uploads WHERE object_key >= ${from} AND object_key < ${to}) AS found`);
      return r.found;
    },
  };
}
