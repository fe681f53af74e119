// users, credentials, grants, buckets (see identity-statements.ts).
import type { IdentityReads, IdentityWrites, StoredGrant } from '../../identity-statements.js';
import type { CredentialRow, ResourceKind, StoredBucketRow, UserRow } from '../../identity-types.js';
import { int, intOrNull, type SqliteConnection } from '../connection.js';

interface RawUser { id: bigint; name: string; created_at: bigint }
interface RawCredential {
  access_key_id: string; user_name: string; secret_sealed: string; created_at: bigint; last_used_at: bigint | null; revoked_at: bigint | null;
}
interface RawBucket { name: string; created_at: bigint }

const userFromRow = (r: RawUser): UserRow => ({ id: int(r.id), name: r.name, createdAt: int(r.created_at) });
const bucketFromRow = (r: RawBucket): StoredBucketRow => ({ name: r.name, createdAt: int(r.created_at) });
const credentialFromRow = (r: RawCredential): CredentialRow => ({
  accessKeyId: r.access_key_id,
  user: r.user_name,
  sealedSecret: r.secret_sealed,
  createdAt: int(r.created_at),
  lastUsedAt: intOrNull(r.last_used_at),
  revokedAt: intOrNull(r.revoked_at),
});

const CREDENTIALS = `SELECT c.access_key_id, u.name AS user_name, c.secret_sealed, c.created_at, c.last_used_at, c.revoked_at
                       FROM credentials c JOIN users u ON u.id = c.user_id`;

export function identityReads(c: SqliteConnection): IdentityReads {
  return {
    async selectIdentity() {
      return {
        users: c.all<RawUser>(`SELECT id, name, created_at FROM users ORDER BY name`).map(userFromRow),
        credentials: c.all<RawCredential>(`${CREDENTIALS} ORDER BY c.access_key_id`).map(credentialFromRow),
        grants: c.all<{ user_name: string; resource_kind: ResourceKind; resource_name: string; permissions: string }>(
          `SELECT u.name AS user_name, g.resource_kind, g.resource_name, g.permissions
             FROM grants g JOIN users u ON u.id = g.user_id ORDER BY u.name, g.resource_kind, g.resource_name`,
        ).map((r): StoredGrant => ({ user: r.user_name, kind: r.resource_kind, name: r.resource_name, permissions: r.permissions })),
        buckets: c.all<RawBucket>(`SELECT name, created_at FROM buckets ORDER BY name`).map(bucketFromRow),
      };
    },

    async selectCredential(accessKeyId) {
      const r = c.get<RawCredential>(`${CREDENTIALS} WHERE c.access_key_id = @accessKeyId`, { accessKeyId });
      return r ? credentialFromRow(r) : null;
    },
  };
}

export function identityWrites(c: SqliteConnection): IdentityWrites {
  return {
    async lockUser(name) {
      const r = c.get<RawUser>(`SELECT id, name, created_at FROM users WHERE name = @name`, { name });
      return r ? userFromRow(r) : null;
    },

    async insertUser(name, now) {
      const r = c.get<RawUser>(
        `INSERT INTO users (name, created_at) VALUES (@name, @now) ON CONFLICT DO NOTHING RETURNING id, name, created_at`,
        { name, now },
      );
      return r ? userFromRow(r) : null;
    },

    async renameUserRow(id, newName) {
      c.run(`UPDATE users SET name = @newName WHERE id = @id`, { id, newName });
    },

    async countActiveCredentials(userId) {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM credentials WHERE user_id = @userId AND revoked_at IS NULL`, { userId })!.n);
    },

    async deleteUserRows(userId) {
      c.run(`DELETE FROM credentials WHERE user_id = @userId`, { userId });
      c.run(`DELETE FROM grants WHERE user_id = @userId`, { userId });
      c.run(`DELETE FROM users WHERE id = @userId`, { userId });
    },

    async insertCredential(userId, accessKeyId, sealedSecret, now) {
      return c.run(
        `INSERT INTO credentials (access_key_id, user_id, secret_sealed, created_at) VALUES (@accessKeyId, @userId, @sealedSecret, @now)
         ON CONFLICT DO NOTHING`,
        { accessKeyId, userId, sealedSecret, now },
      ) === 1;
    },

    async revokeCredentialRow(accessKeyId, now) {
      c.run(`UPDATE credentials SET revoked_at = @now WHERE access_key_id = @accessKeyId AND revoked_at IS NULL`, { accessKeyId, now });
    },

    async touchCredential(accessKeyId, at) {
      c.run(
        `UPDATE credentials SET last_used_at = @at WHERE access_key_id = @accessKeyId AND (last_used_at IS NULL OR last_used_at < @at)`,
        { accessKeyId, at },
      );
    },

    async selectGrantPermissions(userId, kind, name) {
      return c.get<{ permissions: string }>(
        `SELECT permissions FROM grants WHERE user_id = @userId AND resource_kind = @kind AND resource_name = @name`,
        { userId, kind, name },
      )?.permissions ?? null;
    },

    async upsertGrant(userId, kind, name, permissions) {
      c.run(
        `INSERT INTO grants (user_id, resource_kind, resource_name, permissions) VALUES (@userId, @kind, @name, @permissions)
         ON CONFLICT (user_id, resource_kind, resource_name) DO UPDATE SET permissions = excluded.permissions`,
        { userId, kind, name, permissions },
      );
    },

    async deleteGrant(userId, kind, name) {
      return c.run(`DELETE FROM grants WHERE user_id = @userId AND resource_kind = @kind AND resource_name = @name`, { userId, kind, name }) === 1;
    },

    async lockStoredBucket(name) {
      const r = c.get<RawBucket>(`SELECT name, created_at FROM buckets WHERE name = @name`, { name });
      return r ? bucketFromRow(r) : null;
    },

    async insertStoredBucket(name, now) {
      const r = c.get<RawBucket>(`INSERT INTO buckets (name, created_at) VALUES (@name, @now) ON CONFLICT DO NOTHING RETURNING name, created_at`, { name, now });
      return r ? bucketFromRow(r) : null;
    },

    async takeStoredBucket(name) {
      return c.run(`DELETE FROM buckets WHERE name = @name`, { name }) === 1;
    },

    async countBucketGrants(name) {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM grants WHERE resource_kind = 'bucket' AND resource_name = @name`, { name })!.n);
    },

    async bucketHoldsData(name) {
      // Internal keys are `{bucket}/{key}`: the bucket's keys are the range [name/, name0).
      const from = `${name}/`;
      const to = `${name}0`;
      const r = c.get<{ found: bigint }>(
        `SELECT EXISTS (SELECT 1 FROM objects WHERE object_key >= @from AND object_key < @to)
             OR EXISTS (SELECT 1 FROM multipart_uploads WHERE object_key >= @from AND object_key < @to) AS found`,
        { from, to },
      )!;
      return int(r.found) === 1;
    },
  };
}
