// The configuration file a test system runs with. It is built as a tree and written as
// JSON, which is valid YAML, so it goes through the same `parseConfig` an operator's file
// does — no YAML emitter needed, and no quoting mistakes.

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface VirtualBucket {
  name: string;
  credentials: Credential;
}

export interface BackendEntry {
  name: string;
  endpoint: string;
  bucket: string;
  /** A config size ("10MB", "3000000") or 0 for unlimited. */
  quota: string | number;
}

export interface ConfigInput {
  databasePath: string;
  buckets: VirtualBucket[];
  backends: BackendEntry[];
  routing: 'pack' | 'spread';
  /** Deep-merged over the generated tree (same key names as config.yaml). */
  overrides?: ConfigTree;
}

export type ConfigTree = { [key: string]: ConfigValue };
type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigTree;

/** Credentials every s3rver accepts. */
export const S3RVER_CREDENTIALS: Credential = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function buildConfigText(input: ConfigInput): string {
  const tree: ConfigTree = {
    server: {
      listen_addr: '127.0.0.1:0',
      // Short enough that a hung backend is given up on within a test's patience.
      backend_timeout: '5s',
    },
    buckets: input.buckets.map((b) => ({
      name: b.name,
      credentials: [{ access_key_id: b.credentials.accessKeyId, secret_access_key: b.credentials.secretAccessKey }],
    })),
    database: { driver: 'sqlite', path: input.databasePath },
    backends: input.backends.map((b) => ({
      name: b.name,
      endpoint: b.endpoint,
      region: 'us-east-1',
      bucket: b.bucket,
      access_key_id: S3RVER_CREDENTIALS.accessKeyId,
      secret_access_key: S3RVER_CREDENTIALS.secretAccessKey,
      force_path_style: true,
      quota_bytes: b.quota,
    })),
    routing_strategy: input.routing,
    // Background work on short intervals, so tests can watch it happen within seconds.
    bus: { poll_interval: '100ms' },
    cleanup_queue: { tick: '200ms', backoff_base: '500ms', backoff_max: '2s' },
    logging: { level: 'warn' },
  };
  return JSON.stringify(input.overrides ? deepMerge(tree, input.overrides) : tree, null, 2);
}

function deepMerge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isTree(value: ConfigValue | undefined): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
