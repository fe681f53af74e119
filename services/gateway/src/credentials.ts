// Who may do what: an access key may use the virtual buckets that list it (the same key, with
// the same secret, may be listed under several); the root credential (auth.root) is for the
// admin API only.
import type { Config } from '@s3o/config';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** the virtual buckets this key may use; empty for the root (admin) key */
  buckets: ReadonlySet<string>;
}

export class CredentialStore {
  private readonly byKey = new Map<string, Credential>();

  constructor(config: Config) {
    for (const b of config.buckets) {
      for (const c of b.credentials) {
        const buckets = new Set(this.byKey.get(c.accessKeyId)?.buckets ?? []).add(b.name);
        this.byKey.set(c.accessKeyId, { ...c, buckets });
      }
    }
    if (config.auth.root) this.byKey.set(config.auth.root.accessKeyId, { ...config.auth.root, buckets: new Set() });
  }

  get(accessKeyId: string): Credential | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Whether this key may read and write `bucket` (a copy's source is checked with it too). */
  mayUse = (accessKeyId: string, bucket: string): boolean => this.byKey.get(accessKeyId)?.buckets.has(bucket) ?? false;

  secretOf = (accessKeyId: string): string | undefined => this.byKey.get(accessKeyId)?.secretAccessKey;
}
