// The validated, normalised configuration every service codes against.
// Names are camelCase; durations are milliseconds, sizes are bytes, and every
// default is already filled in, so consumers never re-parse or re-default.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type RoutingStrategy = 'pack' | 'spread';
export type DatabaseDriver = 'sqlite' | 'postgres';
export type BusDriver = 'memory' | 'nats';

export interface ServerConfig {
  /** As written in the file (default `0.0.0.0:9000`). */
  listenAddr: string;
  /** Host part of `listenAddr`; `:port` means all IPv4 interfaces (`0.0.0.0`). */
  host: string;
  port: number;
  /** Largest object accepted by a single PUT (default 5 GiB). */
  maxObjectSize: number;
  /** Bytes of a request body kept to replay it to another backend (default 8 MiB). */
  replayBufferBytes: number;
  /** `bucket.<suffix>` virtual-hosted addressing when set. */
  virtualHostSuffix: string | null;
  backendTimeoutMs: number;
  shutdownDelayMs: number;
  /** 0 = unlimited. */
  maxConcurrentRequests: number;
}

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AuthConfig {
  /** The admin API credential; null when the admin API has no credential configured. */
  root: Credential | null;
}

export interface BucketConfig {
  name: string;
  credentials: Credential[];
  /** 0 = unlimited. */
  maxMultipartUploads: number;
}

export interface DatabaseConfig {
  driver: DatabaseDriver;
  /** SQLite file (default `./data/s3o.db`). */
  path: string;
  host: string | null;
  port: number;
  user: string | null;
  password: string | null;
  name: string | null;
  sslMode: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  maxConns: number;
  minConns: number;
  maxConnLifetimeMs: number;
}

export interface BackendConfig {
  name: string;
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** 0 = unlimited. */
  quotaBytes: number;
  /** 0 = no cap of its own (server.maxObjectSize still applies). */
  maxObjectSize: number;
}

export interface ReplicationConfig {
  factor: number;
}

export interface BusConfig {
  driver: BusDriver;
  url: string;
  stream: string;
  subjectPrefix: string;
  retentionMs: number;
  maxDeliver: number;
  pollIntervalMs: number;
}

export interface CleanupQueueConfig {
  concurrency: number;
  tickMs: number;
  batchSize: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
  multipartStaleTimeoutMs: number;
}

export interface PendingPatternConfig {
  reaperTickMs: number;
  minAgeMs: number;
  batchSize: number;
  heartbeatMs: number;
}

export interface WritePathConfig {
  pendingPattern: PendingPatternConfig;
}

/**
 * Objects created more than `expirationDays` ago whose key starts with `prefix` expire —
 * in the virtual bucket `bucket`, or in every bucket when it is null.
 */
export interface LifecycleRule {
  bucket: string | null;
  /** prefix of the object key inside the bucket (not the internal `bucket/key`); "" = every key */
  prefix: string;
  expirationDays: number;
}

export interface LifecycleConfig {
  rules: LifecycleRule[];
  /** How often the rules are applied (default 1 h). */
  intervalMs: number;
  /** Keys read per listing page while looking for expired objects. */
  batchSize: number;
}

export interface LoggingConfig {
  level: LogLevel;
}

/** The gateway's database circuit breaker and degraded mode (`circuit_breaker.*`). */
export interface CircuitBreakerConfig {
  /** Consecutive "database unreachable" failures that open the breaker (default 3). */
  failureThreshold: number;
  /** How long the breaker stays open before one probe is let through (default 15 s). */
  openTimeoutMs: number;
  /** How long a degraded read remembers where it found a key (default 60 s; 0 = never). */
  cacheTtlMs: number;
  /** Degraded reads ask all backends at once (default) rather than one after another. */
  parallelBroadcast: boolean;
  /** Cap on backends asked at once by a parallel broadcast; 0 = no cap. */
  degradedBroadcastParallelism: number;
  /** false: reads answer 503 while the database is unreachable, like writes. */
  degradedReadsEnabled: boolean;
}

export interface Config {
  server: ServerConfig;
  auth: AuthConfig;
  buckets: BucketConfig[];
  database: DatabaseConfig;
  backends: BackendConfig[];
  routingStrategy: RoutingStrategy;
  replication: ReplicationConfig;
  bus: BusConfig;
  cleanupQueue: CleanupQueueConfig;
  writePath: WritePathConfig;
  lifecycle: LifecycleConfig;
  logging: LoggingConfig;
  circuitBreaker: CircuitBreakerConfig;
}
