// Who may do what: each access key belongs to exactly one virtual bucket; the root
// credential (auth.root) is for the admin API only.
import type { Config } from '@s3o/config';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** the one virtual bucket this key may use; null for the root (admin) key */
  bucket: string | null;
}

export class CredentialStore {
  private readonly byKey = new Map<string, Credential>();

  constructor(config: Config) {
    for (const b of config.buckets) {
      for (const c of b.credentials) this.byKey.set(c.accessKeyId, { ...c, bucket: b.name });
    }
    if (config.auth.root) this.byKey.set(config.auth.root.accessKeyId, { ...config.auth.root, bucket: null });
  }

  get(accessKeyId: string): Credential | undefined {
    return this.byKey.get(accessKeyId);
  }

  secretOf = (accessKeyId: string): string | undefined => this.byKey.get(accessKeyId)?.secretAccessKey;
}
