// The validated, normalised configuration every service codes against.
// Names are camelCase; durations are milliseconds, sizes are bytes, and every
// default is already filled in, so consumers never re-parse or re-default.

import type { NotificationsConfig } from './notifications.js';
import type { TelemetryConfig } from './telemetry.js';

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
  /** Requests handled at once (reads and writes together); 0 = unlimited. */
  maxConcurrentRequests: number;
  /** GET/HEAD/list requests handled at once; 0 = only max_concurrent_requests applies. */
  maxConcurrentReads: number;
  /** Requests that write (PUT, POST, DELETE) handled at once, background copies included; 0 = only max_concurrent_requests applies. */
  maxConcurrentWrites: number;
  /** Above this ratio of a budget in use, new requests are shed with a probability rising to 1 at the full budget; 0 = off. */
  loadShedThreshold: number;
  /** How long a request waits for a free slot before SlowDown; 0 = answer at once. */
  admissionWaitMs: number;
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
  /** Monthly API requests to this backend; 0 = unlimited. */
  apiRequestLimit: number;
  /** Monthly bytes fetched from this backend; 0 = unlimited. */
  egressByteLimit: number;
  /** Monthly bytes sent to this backend; 0 = unlimited. */
  ingressByteLimit: number;
}

export interface ReplicationConfig {
  /** copies of each object on distinct backends (at most the number of backends) */
  factor: number;
  /** how often the catch-up sweep looks for objects below / above the factor */
  workerIntervalMs: number;
  /** objects per page of the sweep */
  batchSize: number;
  /** copies made at once */
  concurrency: number;
  /** copies on a backend whose breaker has been open longer than this do not count (0: as soon as it opens) */
  unhealthyThresholdMs: number;
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

/** The placement service's reconcile job (`reconcile.*`). */
export interface ReconcileConfig {
  enabled: boolean;
  /** How often a pass runs (default 1 h). */
  intervalMs: number;
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

/** Backend circuit breakers (`backend_circuit_breaker.*`); see shared/backends/src/breaker.ts. */
export interface BackendCircuitBreakerConfig {
  enabled: boolean;
  /** Consecutive failed calls to a backend that open its breaker (default 5). */
  failureThreshold: number;
  /** Delay before the first background HeadBucket probe of an open breaker (default 5 min); later probes back off. */
  openTimeoutMs: number;
}

/** Background rebalancing (`rebalance.*`). */
export interface RebalanceConfig {
  enabled: boolean;
  /** `pack`: fill backends in config order; `spread`: even out utilisation. */
  strategy: RoutingStrategy;
  intervalMs: number;
  /** Most copies moved per run. */
  batchSize: number;
  /** spread: act when the utilisation of the fullest and emptiest backend differ by more than this ratio. */
  threshold: number;
  /** Copies moved at once, by the rebalancer and by drains. */
  concurrency: number;
}

/** Per-client-IP rate limiting in the gateway (`rate_limit.*`). */
export interface RateLimitConfig {
  enabled: boolean;
  /** Tokens added per second to each client's bucket. */
  requestsPerSec: number;
  /** Bucket size: requests a client may send at once after being idle. */
  burst: number;
  /** IP addresses / CIDR blocks of proxies whose X-Forwarded-For is believed. */
  trustedProxies: string[];
  /** How often idle client entries are dropped. */
  cleanupIntervalMs: number;
  /** An entry idle this long is dropped (its bucket would be full again anyway). */
  cleanupMaxAgeMs: number;
}

/** How each process publishes its usage deltas (`usage_flush.*`). */
export interface UsageFlushConfig {
  intervalMs: number;
  adaptiveEnabled: boolean;
  /** Ratio of any usage limit above which a backend's deltas go out every fastIntervalMs. */
  adaptiveThreshold: number;
  fastIntervalMs: number;
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
  reconcile: ReconcileConfig;
  logging: LoggingConfig;
  circuitBreaker: CircuitBreakerConfig;
  notifications: NotificationsConfig;
  rateLimit: RateLimitConfig;
  usageFlush: UsageFlushConfig;
  backendCircuitBreaker: BackendCircuitBreakerConfig;
  rebalance: RebalanceConfig;
  telemetry: TelemetryConfig;
}
