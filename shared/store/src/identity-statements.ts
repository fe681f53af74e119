// The adapter statements the identity rules (core/identity.ts) compose; each engine implements
// them in its sql/identity.ts. Part of ReadStatements / TxStatements. Permissions travel as
// the column's text (comma-separated); core parses and checks them.
import type { CredentialRow, IdentitySnapshot, ResourceKind, StoredBucketRow, UserRow } from './identity-types.js';

/** A grant as stored: permissions still the column's text. */
export interface StoredGrant {
  user: string;
  kind: ResourceKind;
  name: string;
  permissions: string;
}

export interface IdentityReads {
  /** Every user, credential (revoked ones too), grant and stored bucket. */
  selectIdentity(): Promise<Omit<IdentitySnapshot, 'grants'> & { grants: StoredGrant[] }>;
  selectCredential(accessKeyId: string): Promise<CredentialRow | null>;
}

export interface IdentityWrites {
  /** The user's row, locked against concurrent changes of it (Postgres FOR UPDATE). */
  lockUser(name: string): Promise<UserRow | null>;
  /** Null when the name is taken. */
  insertUser(name: string, now: number): Promise<UserRow | null>;
  renameUserRow(id: number, newName: string): Promise<void>;
  countActiveCredentials(userId: number): Promise<number>;
  /** The user, its (revoked) credentials and its grants. */
  deleteUserRows(userId: number): Promise<void>;
  /** False when the access key id is taken. */
  insertCredential(userId: number, accessKeyId: string, sealedSecret: string, now: number): Promise<boolean>;
  /** Sets revoked_at unless it is set already. */
  revokeCredentialRow(accessKeyId: string, now: number): Promise<void>;
  touchCredential(accessKeyId: string, at: number): Promise<void>;
  selectGrantPermissions(userId: number, kind: ResourceKind, name: string): Promise<string | null>;
  upsertGrant(userId: number, kind: ResourceKind, name: string, permissions: string): Promise<void>;
  deleteGrant(userId: number, kind: ResourceKind, name: string): Promise<boolean>;
  /** The stored bucket, locked so it cannot go while a grant naming it is added (Postgres FOR SHARE). */
  lockStoredBucket(name: string): Promise<StoredBucketRow | null>;
  /** Null when a stored bucket has the name. */
  insertStoredBucket(name: string, now: number): Promise<StoredBucketRow | null>;
  /** Deletes the row (and so locks the name until the transaction ends); false when there was none. */
  takeStoredBucket(name: string): Promise<boolean>;
  countBucketGrants(name: string): Promise<number>;
  /** Any object or open multipart upload whose internal key is in the bucket. */
  bucketHoldsData(name: string): Promise<boolean>;
}
