// The identity registry (docs/architecture.md §6 "Authorisation"): who holds which key and may
// do what, in memory, so authorising a request costs no database round trip. Built from the
// config file — each `buckets[].credentials[]` entry a synthetic user with `all` on its bucket,
// `auth.root` a user holding every permission — and a ledger snapshot of stored users,
// credentials, grants and buckets. Immutable: a rebuild makes a new one (refresher.ts).
import {
  ADMIN_PERMISSIONS, BUCKET_PERMISSIONS,
  type AdminPermission, type BucketPermission, type IdentitySnapshot, type Permission, type ResourceKind,
} from '@s3o/store';

/** What the registry needs of the configuration (a `Config` fits). */
export interface IdentityConfig {
  buckets: ReadonlyArray<{ name: string; credentials: ReadonlyArray<{ accessKeyId: string; secretAccessKey: string }> }>;
  auth: { root: { accessKeyId: string; secretAccessKey: string } | null };
}

/** Synthetic users of the config file are named `config:…`; stored user names cannot contain a colon. */
export const CONFIG_USER_PREFIX = 'config:';
export const ROOT_USER = `${CONFIG_USER_PREFIX}root`;

export interface KeyHolder {
  user: string;
  secret: string;
  /** from the config file (cannot be changed through the API) or from the ledger */
  source: 'config' | 'ledger';
}

type Grants = Map<string, ReadonlySet<Permission>>;

const grantKey = (kind: ResourceKind, name: string): string => `${kind}\u0000${name}`;

/** What `all` / `admin-all` stand for. */
function expand(permissions: readonly Permission[]): ReadonlySet<Permission> {
  const set = new Set<Permission>(permissions);
  if (set.has('all')) for (const p of BUCKET_PERMISSIONS) set.add(p);
  if (set.has('admin-all')) for (const p of ADMIN_PERMISSIONS) set.add(p);
  return set;
}

const NONE: ReadonlySet<Permission> = new Set();

export class IdentityRegistry {
  private readonly keys = new Map<string, KeyHolder>();
  private readonly grants = new Map<string, Grants>();
  /** users holding every permission on everything (auth.root) */
  private readonly superusers = new Set<string>();
  private readonly configBuckets = new Set<string>();
  /** stored bucket → created at (epoch ms); config buckets are not here */
  private readonly storedBuckets = new Map<string, number>();
  /** problems met while building (a secret that could not be unsealed, a key the config also defines) */
  readonly problems: string[] = [];

  private constructor() {}

  /**
   * `secrets`: the stored credentials' sealed forms, opened (sealer.ts openSecrets) — a form
   * missing or mapped to an error leaves its credential out.
   */
  static build(config: IdentityConfig, snapshot: IdentitySnapshot | null, secrets: ReadonlyMap<string, string | Error> = new Map()): IdentityRegistry {
    const r = new IdentityRegistry();
    for (const bucket of config.buckets) {
      r.configBuckets.add(bucket.name);
      for (const c of bucket.credentials) {
        const user = CONFIG_USER_PREFIX + c.accessKeyId;
        r.keys.set(c.accessKeyId, { user, secret: c.secretAccessKey, source: 'config' });
        r.grants.set(user, new Map([[grantKey('bucket', bucket.name), expand(['all'])]]));
      }
    }
    if (config.auth.root) {
      r.keys.set(config.auth.root.accessKeyId, { user: ROOT_USER, secret: config.auth.root.secretAccessKey, source: 'config' });
      r.superusers.add(ROOT_USER);
    }
    if (snapshot === null) return r;
    for (const b of snapshot.buckets) if (!r.configBuckets.has(b.name)) r.storedBuckets.set(b.name, b.createdAt);
    for (const c of snapshot.credentials) {
      if (c.revokedAt !== null) continue;
      if (r.keys.has(c.accessKeyId)) {
        r.problems.push(`stored credential ${c.accessKeyId} is ignored: the config file defines that access key id`);
        continue;
      }
      const secret = secrets.get(c.sealedSecret) ?? new Error('its secret was not opened');
      if (secret instanceof Error) r.problems.push(`stored credential ${c.accessKeyId} is ignored: ${secret.message}`);
      else r.keys.set(c.accessKeyId, { user: c.user, secret, source: 'ledger' });
    }
    for (const g of snapshot.grants) {
      let grants = r.grants.get(g.user);
      if (!grants) r.grants.set(g.user, (grants = new Map()));
      grants.set(grantKey(g.kind, g.name), expand(g.permissions));
    }
    return r;
  }

  /** The holder of an access key that is not revoked; undefined for any other key. */
  holder(accessKeyId: string): KeyHolder | undefined {
    return this.keys.get(accessKeyId);
  }

  /** For SigV4 verification. */
  readonly secretOf = (accessKeyId: string): string | undefined => this.keys.get(accessKeyId)?.secret;

  bucketExists(name: string): boolean {
    return this.configBuckets.has(name) || this.storedBuckets.has(name);
  }

  isConfigBucket(name: string): boolean {
    return this.configBuckets.has(name);
  }

  /** When a stored bucket was created; null for a config bucket (it exists as long as the file says so). */
  bucketCreatedAt(name: string): number | null {
    return this.storedBuckets.get(name) ?? null;
  }

  /** Every bucket, config ones first in file order, then stored ones by name. */
  bucketNames(): string[] {
    return [...this.configBuckets, ...[...this.storedBuckets.keys()].sort()];
  }

  /** The user's permissions on one resource: its named grant if it has one, else its `*` grant. */
  private effective(user: string, kind: ResourceKind, name: string): ReadonlySet<Permission> {
    const grants = this.grants.get(user);
    if (!grants) return NONE;
    return grants.get(grantKey(kind, name)) ?? grants.get(grantKey(kind, '*')) ?? NONE;
  }

  /** May `user` do what `permission` covers in `bucket` (an existing one)? */
  allowsBucket(user: string, bucket: string, permission: BucketPermission): boolean {
    if (this.superusers.has(user)) return true;
    if (!this.bucketExists(bucket)) return false;
    return this.effective(user, 'bucket', bucket).has(permission);
  }

  /** Any permission at all on the bucket: it shows in ListBuckets and answers HeadBucket. */
  seesBucket(user: string, bucket: string): boolean {
    if (this.superusers.has(user)) return this.bucketExists(bucket);
    return this.bucketExists(bucket) && this.effective(user, 'bucket', bucket).size > 0;
  }

  visibleBuckets(user: string): string[] {
    return this.bucketNames().filter((b) => this.seesBucket(user, b));
  }

  /**
   * A control-plane permission: from the user's orchestrator grant, or — for an operation on
   * one backend — from its grant on that backend (named over `*`).
   */
  allowsAdmin(user: string, permission: AdminPermission, backend?: string): boolean {
    if (this.superusers.has(user)) return true;
    if (this.effective(user, 'orchestrator', '*').has(permission)) return true;
    return backend !== undefined && this.effective(user, 'backend', backend).has(permission);
  }
}
