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

/** Where the ledger lives: a SQLite file (single process) or a Postgres database (distributed). */
export type LedgerSettings =
  | { driver: 'sqlite'; path: string }
  | { driver: 'postgres'; host: string; port: number; user: string; password: string | null; name: string };

/** How events travel: the in-process bus, or NATS JetStream under a run's own names. */
export type BusSettings = { driver: 'memory' } | { driver: 'nats'; url: string; stream: string; subjectPrefix: string };

export interface ConfigInput {
  ledger: LedgerSettings;
  bus: BusSettings;
  buckets: VirtualBucket[];
  backends: BackendEntry[];
  routing: 'pack' | 'spread';
  /** The services' log level; default warn. */
  logLevel?: string;
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
      // Production's default. On a loaded 2-core machine a healthy s3rver can stall for
      // seconds; a shorter timeout would fail writes over (or answer 503) at random. Tests
      // that hang a backend on purpose set their own, shorter one.
      backend_timeout: '30s',
    },
    buckets: input.buckets.map((b) => ({
      name: b.name,
      credentials: [{ access_key_id: b.credentials.accessKeyId, secret_access_key: b.credentials.secretAccessKey }],
    })),
    database: databaseTree(input.ledger),
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
    bus: busTree(input.bus),
    cleanup_queue: { tick: '200ms', backoff_base: '500ms', backoff_max: '2s', confirm_delay: '1s' },
    logging: { level: input.logLevel ?? 'warn' },
  };
  return JSON.stringify(input.overrides ? deepMerge(tree, input.overrides) : tree, null, 2);
}

function databaseTree(ledger: LedgerSettings): ConfigTree {
  if (ledger.driver === 'sqlite') return { driver: 'sqlite', path: ledger.path };
  return {
    driver: 'postgres',
    host: ledger.host,
    port: ledger.port,
    user: ledger.user,
    ...(ledger.password !== null ? { password: ledger.password } : {}),
    name: ledger.name,
    ssl_mode: 'disable',
    // Seven processes share one server with other test runs (max_connections is often
    // 100): small pools, so two systems at once still fit.
    max_conns: 4,
    min_conns: 1,
  };
}

function busTree(bus: BusSettings): ConfigTree {
  if (bus.driver === 'memory') return { driver: 'memory', poll_interval: '100ms' };
  return {
    driver: 'nats',
    url: bus.url,
    stream: bus.stream,
    subject_prefix: bus.subjectPrefix,
    // The relay's pass interval: events reach the consumers within a fraction of a second.
    poll_interval: '200ms',
    max_deliver: 5,
  };
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
