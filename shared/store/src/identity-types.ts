// Users, credentials, grants and stored buckets (docs/architecture.md §4 "Identity"): the rows,
// the permission names and the IdentityStore operations. Rules in core/identity.ts; the
// in-memory registry that authorises requests is @s3o/identity.
/** Permissions a grant on a bucket may hold (upstream's names). `all` is every one of them. */
export const BUCKET_PERMISSIONS = ['list-buckets', 'list', 'read', 'write', 'delete', 'tags', 'all'] as const;
/** Control-plane permissions (grants on a backend or the orchestrator). `admin-all` is every one of them. */
export const ADMIN_PERMISSIONS = [
  'admin-read', 'admin-maintain', 'admin-drain', 'admin-decommission', 'admin-provision', 'admin-keys', 'admin-all',
] as const;

export type BucketPermission = (typeof BUCKET_PERMISSIONS)[number];
export type AdminPermission = (typeof ADMIN_PERMISSIONS)[number];
export type Permission = BucketPermission | AdminPermission;
export type ResourceKind = 'bucket' | 'backend' | 'orchestrator';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['bucket', 'backend', 'orchestrator'];

export interface UserRow {
  id: number;
  name: string;
  createdAt: number;
}

export interface CredentialRow {
  accessKeyId: string;
  user: string;
  /** what a SecretSealer made of the secret; never the secret itself unless the sealer is the plain one */
  sealedSecret: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface GrantRow {
  user: string;
  kind: ResourceKind;
  /** a resource name, or `*` for every resource of the kind */
  name: string;
  /** sorted, no duplicates */
  permissions: Permission[];
}

export interface StoredBucketRow {
  name: string;
  createdAt: number;
}

/** Everything the registry is built from, read in one snapshot. */
export interface IdentitySnapshot {
  users: UserRow[];
  credentials: CredentialRow[];
  grants: GrantRow[];
  buckets: StoredBucketRow[];
}

/** What the ledger cannot know by itself: the resources the configuration defines. */
export interface ConfiguredResources {
  /** config buckets: grants may name them, stored buckets may not take their names */
  buckets: ReadonlySet<string>;
  backends: ReadonlySet<string>;
}

export interface PutGrantRequest {
  user: string;
  kind: ResourceKind;
  name: string;
  permissions: readonly string[];
  /** `add`: union with the grant's current permissions; `set`: replace them */
  mode: 'add' | 'set';
}

/**
 * Provisioning: every change runs in one transaction that also appends `identity.changed`, so
 * every process rebuilds its registry. Refusals are IdentityError naming the field at fault.
 */
export interface IdentityStore {
  snapshot(): Promise<IdentitySnapshot>;
  createUser(name: string): Promise<UserRow>;
  renameUser(name: string, newName: string): Promise<UserRow>;
  /** Refused (conflict) while the user has a credential that is not revoked; its grants and revoked credentials go with it. */
  deleteUser(name: string): Promise<void>;
  addCredential(req: { user: string; accessKeyId: string; sealedSecret: string }): Promise<CredentialRow>;
  /** Revoking a revoked credential is a no-op that returns it as it is. */
  revokeCredential(accessKeyId: string): Promise<CredentialRow>;
  putGrant(req: PutGrantRequest, configured: ConfiguredResources): Promise<GrantRow>;
  /** False when the user holds no such grant. */
  removeGrant(user: string, kind: ResourceKind, name: string): Promise<boolean>;
  createBucket(name: string, configured: ConfiguredResources): Promise<StoredBucketRow>;
  /** Refused (conflict) while the bucket holds objects or open uploads, or a grant names it. */
  deleteBucket(name: string): Promise<void>;
  /** Last-used times gathered in memory, written in one transaction (no event: nothing to rebuild). */
  touchCredentials(used: ReadonlyArray<{ accessKeyId: string; at: number }>): Promise<void>;
}

export interface IdentityLedger {
  readonly identity: IdentityStore;
}

