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
  private byKey = new Map<string, Credential>();
  private buckets = new Set<string>();

  constructor(config: Config) {
    this.replace(config);
  }

  /**
   * The credentials and buckets of `config` from now on (a configuration reload): one swap, so
   * a request sees either the old set or the new one, never a mix.
   */
  replace(config: Config): void {
    const byKey = new Map<string, Credential>();
    for (const b of config.buckets) {
      for (const c of b.credentials) byKey.set(c.accessKeyId, { ...c, bucket: b.name });
    }
    if (config.auth.root) byKey.set(config.auth.root.accessKeyId, { ...config.auth.root, bucket: null });
    this.byKey = byKey;
    this.buckets = new Set(config.buckets.map((b) => b.name));
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  get(accessKeyId: string): Credential | undefined {
    return this.byKey.get(accessKeyId);
  }

  secretOf = (accessKeyId: string): string | undefined => this.byKey.get(accessKeyId)?.secretAccessKey;
}
