// Provisioning (IdentityStore; docs/architecture.md §4 "Identity"): users, their credentials
// and grants, and stored buckets. Each change is one transaction that also appends
// `identity.changed`, so every process rebuilds its in-memory registry; refusals name the
// field at fault (IdentityError). Concurrent changes are ordered by row locks: a user's row
// (lockUser) for changes of one user, a stored bucket's row for grants naming it against its
// deletion.
import { identityChanged } from '@s3o/events';
import { IdentityError } from '../errors.js';
import {
  ADMIN_PERMISSIONS, BUCKET_PERMISSIONS, RESOURCE_KINDS,
  type ConfiguredResources, type GrantRow, type IdentitySnapshot, type IdentityStore, type Permission, type PutGrantRequest,
  type ResourceKind, type UserRow,
} from '../identity-types.js';
import type { StoredGrant } from '../identity-statements.js';
import type { TxStatements } from '../tx-adapter.js';
import type { Core } from './tx-work.js';

/** Stored user names; config users are named `config:…`, which this never matches. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,63}$/;
/** AWS's shape of an access key id. */
const ACCESS_KEY_ID = /^[A-Za-z0-9]{16,128}$/;

const BUCKET_SET: ReadonlySet<string> = new Set(BUCKET_PERMISSIONS);
const ADMIN_SET: ReadonlySet<string> = new Set(ADMIN_PERMISSIONS);

/**
 * A grant's permissions, checked against its kind: bucket grants hold bucket permissions,
 * backend and orchestrator grants control-plane ones; one grant never mixes them.
 */
export function checkPermissions(kind: ResourceKind, permissions: readonly string[]): Permission[] {
  if (permissions.length === 0) throw new IdentityError('invalid', 'permissions', 'at least one permission is required');
  const unknown = permissions.filter((p) => !BUCKET_SET.has(p) && !ADMIN_SET.has(p));
  if (unknown.length > 0) {
    throw new IdentityError('invalid', 'permissions', `unknown permission ${unknown.map((p) => JSON.stringify(p)).join(', ')}`);
  }
  const bucketOnes = permissions.filter((p) => BUCKET_SET.has(p));
  const adminOnes = permissions.filter((p) => ADMIN_SET.has(p));
  if (bucketOnes.length > 0 && adminOnes.length > 0) {
    throw new IdentityError('invalid', 'permissions', `a grant holds bucket permissions or control-plane permissions, not both (${bucketOnes[0]}, ${adminOnes[0]})`);
  }
  if (kind === 'bucket' && adminOnes.length > 0) {
    throw new IdentityError('invalid', 'permissions', `a bucket grant holds bucket permissions, not ${adminOnes[0]}`);
  }
  if (kind !== 'bucket' && bucketOnes.length > 0) {
    throw new IdentityError('invalid', 'permissions', `a ${kind} grant holds control-plane permissions, not ${bucketOnes[0]}`);
  }
  return [...new Set(permissions)].sort() as Permission[];
}

function parseStoredPermissions(text: string): Permission[] {
  return text === '' ? [] : (text.split(',') as Permission[]);
}

function grantFromStored(g: StoredGrant): GrantRow {
  return { ...g, permissions: parseStoredPermissions(g.permissions) };
}

function checkUserName(name: string, field: string): void {
  if (!USER_NAME.test(name)) {
    throw new IdentityError('invalid', field, `${JSON.stringify(name)} is not a valid user name (1-64 of A-Z a-z 0-9 . _ @ + = -, starting with a letter or digit)`);
  }
}

async function userOf(tx: TxStatements, name: string, field = 'user'): Promise<UserRow> {
  const user = await tx.lockUser(name);
  if (!user) throw new IdentityError('not-found', field, `no user is named ${JSON.stringify(name)}`);
  return user;
}

export function identityOperations(core: Core): IdentityStore {
  return {
    async snapshot(): Promise<IdentitySnapshot> {
      const raw = await core.read((q) => q.selectIdentity());
      return { ...raw, grants: raw.grants.map(grantFromStored) };
    },

    async createUser(name) {
      checkUserName(name, 'name');
      return core.withWork(async (work) => {
        const user = await work.tx.insertUser(name, work.now);
        if (!user) throw new IdentityError('conflict', 'name', `a user is already named ${JSON.stringify(name)}`);
        work.append([identityChanged('user.created', name)]);
        return user;
      });
    },

    async renameUser(name, newName) {
      checkUserName(newName, 'new_name');
      return core.withWork(async (work) => {
        const user = await userOf(work.tx, name, 'name');
        if (newName === name) return user;
        if (await work.tx.lockUser(newName)) throw new IdentityError('conflict', 'new_name', `a user is already named ${JSON.stringify(newName)}`);
        await work.tx.renameUserRow(user.id, newName);
        work.append([identityChanged('user.renamed', `${name} -> ${newName}`)]);
        return { ...user, name: newName };
      });
    },

    async deleteUser(name) {
      await core.withWork(async (work) => {
        const user = await userOf(work.tx, name, 'name');
        const active = await work.tx.countActiveCredentials(user.id);
        if (active > 0) {
          throw new IdentityError('conflict', 'name', `user ${JSON.stringify(name)} still has ${active} credential(s) that are not revoked; revoke them first`);
        }
        await work.tx.deleteUserRows(user.id);
        work.append([identityChanged('user.deleted', name)]);
      });
    },

    async addCredential({ user: userName, accessKeyId, sealedSecret }) {
      if (!ACCESS_KEY_ID.test(accessKeyId)) {
        throw new IdentityError('invalid', 'access_key_id', 'an access key id is 16-128 letters and digits');
      }
      return core.withWork(async (work) => {
        const user = await userOf(work.tx, userName);
        if (!(await work.tx.insertCredential(user.id, accessKeyId, sealedSecret, work.now))) {
          throw new IdentityError('conflict', 'access_key_id', `access key id ${JSON.stringify(accessKeyId)} is already in use`);
        }
        work.append([identityChanged('credential.issued', accessKeyId)]);
        return (await work.tx.selectCredential(accessKeyId))!;
      });
    },

    async revokeCredential(accessKeyId) {
      return core.withWork(async (work) => {
        const found = await work.tx.selectCredential(accessKeyId);
        if (!found) throw new IdentityError('not-found', 'access_key_id', `no stored credential has access key id ${JSON.stringify(accessKeyId)}`);
        if (found.revokedAt !== null) return found;
        // The user's lock orders this against the user's deletion.
        await work.tx.lockUser(found.user);
        await work.tx.revokeCredentialRow(accessKeyId, work.now);
        work.append([identityChanged('credential.revoked', accessKeyId)]);
        return (await work.tx.selectCredential(accessKeyId))!;
      });
    },

    async putGrant(req: PutGrantRequest, configured: ConfiguredResources) {
      if (!RESOURCE_KINDS.includes(req.kind)) {
        throw new IdentityError('invalid', 'kind', `a grant's kind is ${RESOURCE_KINDS.join(', ')}; not ${JSON.stringify(req.kind)}`);
      }
      if (req.name === '') throw new IdentityError('invalid', 'name', 'a grant names a resource, or * for every one of its kind');
      if (req.kind === 'orchestrator' && req.name !== '*') {
        throw new IdentityError('invalid', 'name', 'an orchestrator grant is named *');
      }
      const asked = checkPermissions(req.kind, req.permissions);
      if (req.kind === 'backend' && req.name !== '*' && !configured.backends.has(req.name)) {
        throw new IdentityError('not-found', 'name', `no backend is named ${JSON.stringify(req.name)}`);
      }
      return core.withWork(async (work) => {
        const user = await userOf(work.tx, req.user);
        // A stored bucket is locked so it cannot be deleted while this grant names it.
        if (req.kind === 'bucket' && req.name !== '*' && !configured.buckets.has(req.name) && !(await work.tx.lockStoredBucket(req.name))) {
          throw new IdentityError('not-found', 'name', `no bucket is named ${JSON.stringify(req.name)}`);
        }
        const current = await work.tx.selectGrantPermissions(user.id, req.kind, req.name);
        const permissions = req.mode === 'add' && current !== null
          ? checkPermissions(req.kind, [...parseStoredPermissions(current), ...asked])
          : asked;
        await work.tx.upsertGrant(user.id, req.kind, req.name, permissions.join(','));
        work.append([identityChanged('grant.changed', `${user.name} ${req.kind}:${req.name}`)]);
        return { user: user.name, kind: req.kind, name: req.name, permissions };
      });
    },

    async removeGrant(userName, kind, name) {
      return core.withWork(async (work) => {
        const user = await userOf(work.tx, userName);
        if (!(await work.tx.deleteGrant(user.id, kind, name))) return false;
        work.append([identityChanged('grant.removed', `${user.name} ${kind}:${name}`)]);
        return true;
      });
    },

    async createBucket(name, configured) {
      if (configured.buckets.has(name)) throw new IdentityError('conflict', 'name', `bucket ${JSON.stringify(name)} already exists (in the config file)`);
      return core.withWork(async (work) => {
        const bucket = await work.tx.insertStoredBucket(name, work.now);
        if (!bucket) throw new IdentityError('conflict', 'name', `bucket ${JSON.stringify(name)} already exists`);
        work.append([identityChanged('bucket.created', name)]);
        return bucket;
      });
    },

    async deleteBucket(name) {
      await core.withWork(async (work) => {
        // Deleting first locks the name: a grant naming it waits (lockStoredBucket), then finds it gone.
        if (!(await work.tx.takeStoredBucket(name))) throw new IdentityError('not-found', 'name', `no stored bucket is named ${JSON.stringify(name)}`);
        const grants = await work.tx.countBucketGrants(name);
        if (grants > 0) throw new IdentityError('conflict', 'name', `bucket ${JSON.stringify(name)} is named by ${grants} grant(s); remove them first`);
        if (await work.tx.bucketHoldsData(name)) throw new IdentityError('conflict', 'name', `bucket ${JSON.stringify(name)} is not empty`);
        work.append([identityChanged('bucket.deleted', name)]);
      });
    },

    async touchCredentials(used) {
      if (used.length === 0) return;
      await core.withWork(async ({ tx }) => {
        for (const u of used) await tx.touchCredential(u.accessKeyId, u.at);
      });
    },
  };
}
