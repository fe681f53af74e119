// The configuration file's own shape: every key we recognise, in the YAML's
// snake_case, each with its type, default and per-value rule. Rules that
// relate several values live in crossChecks.ts and unsupported.ts; the
// camelCase Config is produced from this in normalise.ts.

import { z } from 'zod';
import {
  boolean,
  choice,
  duration,
  integer,
  list,
  optionalChoice,
  optionalInteger,
  optionalSection,
  optionalText,
  parsedText,
  ratio,
  recognised,
  requiredInteger,
  requiredText,
  section,
  size,
  textOr,
} from './fields.js';
import {
  backendNameProblem,
  bucketNameProblem,
  dnsNameProblem,
  httpUrlProblem,
  natsTokenProblem,
  natsUrlProblem,
  parseListenAddress,
} from './names.js';
import { notificationsSection } from './notifications.js';
import { telemetrySection } from './telemetry.js';
import { cidrProblem, readPositiveRate } from './traffic.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

const server = section({
  listen_addr: parsedText('0.0.0.0:9000', parseListenAddress),
  max_object_size: size(5 * GiB, { allowZero: false }),
  replay_buffer_bytes: size(8 * MiB, { allowZero: true }),
  virtual_host_suffix: optionalText(dnsNameProblem),
  backend_timeout: duration(30 * SECOND, { allowZero: false }),
  shutdown_delay: duration(0, { allowZero: true }),
  // Admission control (services/gateway/src/admission.ts): 0 = unlimited / off.
  max_concurrent_requests: integer(0, { min: 0 }),
  max_concurrent_reads: integer(0, { min: 0 }),
  max_concurrent_writes: integer(0, { min: 0 }),
  load_shed_threshold: ratio(0, 1),
  admission_wait: duration(0, { allowZero: true }),
  tls: section({
    cert_file: optionalText(),
    key_file: optionalText(),
    min_version: recognised(),
    client_ca_file: recognised(),
  }),
});

const credential = z.object({
  access_key_id: requiredText(),
  secret_access_key: requiredText(),
});

const auth = section({
  root: optionalSection({
    access_key_id: requiredText(),
    secret_access_key: requiredText(),
  }),
});

const bucket = z.object({
  name: requiredText(bucketNameProblem),
  credentials: list(credential),
  max_multipart_uploads: integer(0, { min: 0 }),
});

const database = section({
  // Left out, the driver follows database.host (DESIGN §7); see normalise.ts.
  driver: optionalChoice(['sqlite', 'postgres'] as const),
  path: textOr('./data/s3o.db'),
  host: optionalText(),
  port: integer(5432, { min: 1, max: 65_535 }),
  user: optionalText(),
  password: optionalText(),
  name: optionalText(),
  ssl_mode: choice('require', ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const),
  max_conns: integer(10, { min: 1 }),
  // Defaults to min(5, max_conns) so lowering max_conns alone stays valid.
  min_conns: optionalInteger({ min: 0 }),
  max_conn_lifetime: duration(5 * MINUTE, { allowZero: false }),
});

const backend = z.object({
  name: requiredText(backendNameProblem),
  endpoint: requiredText(httpUrlProblem),
  region: textOr('us-east-1'),
  bucket: requiredText(),
  access_key_id: requiredText(),
  secret_access_key: requiredText(),
  force_path_style: boolean(true),
  quota_bytes: size(0, { allowZero: true }),
  max_object_size: size(0, { allowZero: true }),
  // Monthly usage limits (shared/backends/src/usage/); 0 = unlimited.
  api_request_limit: integer(0, { min: 0 }),
  egress_byte_limit: size(0, { allowZero: true }),
  ingress_byte_limit: size(0, { allowZero: true }),
});

// Copies per object on distinct backends, and the placement worker that keeps them
// (crossChecks.ts: the factor cannot exceed the number of backends).
const replication = section({
  factor: integer(1, { min: 1 }),
  worker_interval: duration(5 * MINUTE, { allowZero: false }),
  batch_size: integer(50, { min: 1 }),
  concurrency: integer(5, { min: 1 }),
  unhealthy_threshold: duration(10 * MINUTE, { allowZero: true }),
});

const bus = section({
  // Left out, the bus follows the database: memory with sqlite, nats with postgres.
  driver: optionalChoice(['memory', 'nats'] as const),
  url: textOr('nats://127.0.0.1:4222', natsUrlProblem),
  stream: textOr('S3O_EVENTS', (text) => natsTokenProblem(text, 'a stream name')),
  subject_prefix: textOr('s3o', (text) => natsTokenProblem(text, 'one token')),
  retention: duration(7 * DAY, { allowZero: false }),
  max_deliver: integer(5, { min: 1 }),
  poll_interval: duration(1 * SECOND, { allowZero: false }),
});

const cleanupQueue = section({
  concurrency: integer(4, { min: 1 }),
  tick: duration(5 * SECOND, { allowZero: false }),
  batch_size: integer(50, { min: 1 }),
  backoff_base: duration(1 * MINUTE, { allowZero: false }),
  backoff_max: duration(1 * DAY, { allowZero: false }),
  max_attempts: integer(10, { min: 1 }),
  multipart_stale_timeout: duration(1 * DAY, { allowZero: false }),
});

const writePath = section({
  pending_pattern: section({
    // Upstream may turn the pattern off; we never do (crossChecks.ts).
    enabled: boolean(true),
    reaper_tick: duration(1 * MINUTE, { allowZero: false }),
    min_age: duration(5 * MINUTE, { allowZero: false }),
    batch_size: integer(50, { min: 1 }),
    heartbeat: duration(30 * SECOND, { allowZero: false }),
  }),
});

const logging = section({
  level: choice('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const),
});

// Moving copies between backends in the background (placement service, one process at a
// time): `pack` fills backends in config order, `spread` evens out their utilisation.
const rebalance = section({
  enabled: boolean(false),
  strategy: choice('pack', ['pack', 'spread'] as const),
  interval: duration(6 * HOUR, { allowZero: false }),
  batch_size: integer(100, { min: 1 }),
  threshold: ratio(0.1, 1),
  concurrency: integer(5, { min: 1 }),
});

// Sections of upstream features that do not exist here yet. Only their
// on-switches are read (unsupported.ts refuses them); the rest is recognised
// so that a config moved from upstream with the features off loads quietly.


const encryption = section({
  enabled: boolean(false),
  chunk_size: recognised(),
  master_key: recognised(),
  master_key_file: recognised(),
  vault: recognised(),
  previous_keys: recognised(),
});


// Per-client-IP token buckets in the gateway (services/gateway/src/rate-limit.ts).
const rateLimit = section({
  enabled: boolean(false),
  requests_per_sec: parsedText('100', readPositiveRate),
  burst: integer(200, { min: 1 }),
  trusted_proxies: list(requiredText(cidrProblem)),
  cleanup_interval: duration(1 * MINUTE, { allowZero: false }),
  cleanup_max_age: duration(5 * MINUTE, { allowZero: false }),
});

// Rule prefixes are object-key prefixes inside a bucket; a rule without `bucket` applies to
// every bucket (crossChecks.ts checks that a named bucket exists).
const lifecycleRule = z.object({
  bucket: optionalText(),
  prefix: textOr(''),
  expiration_days: requiredInteger({ min: 1 }),
});

const lifecycle = section({
  rules: list(lifecycleRule),
  interval: duration(1 * HOUR, { allowZero: false }),
  batch_size: integer(1000, { min: 1 }),
});

// The placement service's periodic check of ledger against backends (one process at a time):
// copies found absent are marked missing, unknown keys imported or (our own leftovers) owed.
const reconcile = section({
  enabled: boolean(false),
  interval: duration(1 * HOUR, { allowZero: false }),
});

// The gateway's database circuit breaker and the degraded mode it switches on
// (reads served from the backends, writes and listings refused). Defaults follow
// upstream where it has one.
const circuitBreaker = section({
  failure_threshold: integer(3, { min: 1 }),
  open_timeout: duration(15 * SECOND, { allowZero: false }),
  // 0 = remember nothing: every degraded read asks the backends again.
  cache_ttl: duration(1 * MINUTE, { allowZero: true }),
  parallel_broadcast: boolean(true),
  // 0 = ask every backend at once.
  degraded_broadcast_parallelism: integer(0, { min: 0 }),
  degraded_reads_enabled: boolean(true),
});

// One breaker per backend in every process (shared/backends/src/breaker.ts).
const backendCircuitBreaker = section({
  enabled: boolean(false),
  failure_threshold: integer(5, { min: 1 }),
  open_timeout: duration(5 * MINUTE, { allowZero: false }),
});

// How often each process publishes its usage deltas (usage.delta events), and faster while
// a backend is above adaptive_threshold of one of its limits.
const usageFlush = section({
  interval: duration(1 * SECOND, { allowZero: false }),
  adaptive_enabled: boolean(false),
  adaptive_threshold: ratio(0.8, 1),
  fast_interval: duration(200, { allowZero: false }),
});

export const configDocumentSchema = section({
  server,
  auth,
  buckets: list(bucket),
  database,
  backends: list(backend),
  routing_strategy: choice('pack', ['pack', 'spread'] as const),
  replication,
  bus,
  cleanup_queue: cleanupQueue,
  write_path: writePath,
  logging,
  rebalance,
  encryption,
  notifications: notificationsSection,
  rate_limit: rateLimit,
  lifecycle,
  reconcile,
  telemetry: telemetrySection,
  circuit_breaker: circuitBreaker,
  backend_circuit_breaker: backendCircuitBreaker,
  usage_flush: usageFlush,
});

/** The file after per-value validation: snake_case, typed, defaults filled. */
export type ConfigDocument = z.output<typeof configDocumentSchema>;
