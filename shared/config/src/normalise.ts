// The validated document (YAML names) → the Config every service reads
// (camelCase, milliseconds, bytes). Only runs when validation found nothing.

import { selectedDatabaseDriver } from './databaseDriver.js';
import type { ConfigDocument } from './document.js';
import type { Config, Credential } from './types.js';
import { toNotificationsConfig } from './notifications.js';
import { toTelemetryConfig } from './telemetry.js';

function credential(raw: { access_key_id: string; secret_access_key: string }): Credential {
  return { accessKeyId: raw.access_key_id, secretAccessKey: raw.secret_access_key };
}

export function toConfig(doc: ConfigDocument): Config {
  const { server, database, bus } = doc;
  const queue = doc.cleanup_queue;
  const pending = doc.write_path.pending_pattern;
  const breaker = doc.circuit_breaker;
  return {
    server: {
      listenAddr: server.listen_addr.listenAddr,
      host: server.listen_addr.host,
      port: server.listen_addr.port,
      maxObjectSize: server.max_object_size,
      replayBufferBytes: server.replay_buffer_bytes,
      virtualHostSuffix: server.virtual_host_suffix,
      backendTimeoutMs: server.backend_timeout,
      shutdownDelayMs: server.shutdown_delay,
      maxConcurrentRequests: server.max_concurrent_requests,
      maxConcurrentReads: server.max_concurrent_reads,
      maxConcurrentWrites: server.max_concurrent_writes,
      loadShedThreshold: server.load_shed_threshold,
      admissionWaitMs: server.admission_wait,
    },
    auth: { root: doc.auth.root === null ? null : credential(doc.auth.root) },
    buckets: doc.buckets.map((bucket) => ({
      name: bucket.name,
      credentials: bucket.credentials.map(credential),
      maxMultipartUploads: bucket.max_multipart_uploads,
    })),
    database: {
      driver: selectedDatabaseDriver(database),
      path: database.path,
      host: database.host,
      port: database.port,
      user: database.user,
      password: database.password,
      name: database.name,
      sslMode: database.ssl_mode,
      maxConns: database.max_conns,
      minConns: database.min_conns ?? Math.min(5, database.max_conns),
      maxConnLifetimeMs: database.max_conn_lifetime,
    },
    backends: doc.backends.map((backend) => ({
      name: backend.name,
      endpoint: backend.endpoint,
      region: backend.region,
      bucket: backend.bucket,
      accessKeyId: backend.access_key_id,
      secretAccessKey: backend.secret_access_key,
      forcePathStyle: backend.force_path_style,
      quotaBytes: backend.quota_bytes,
      maxObjectSize: backend.max_object_size,
      apiRequestLimit: backend.api_request_limit,
      egressByteLimit: backend.egress_byte_limit,
      ingressByteLimit: backend.ingress_byte_limit,
    })),
    routingStrategy: doc.routing_strategy,
    replication: {
      factor: doc.replication.factor,
      workerIntervalMs: doc.replication.worker_interval,
      batchSize: doc.replication.batch_size,
      concurrency: doc.replication.concurrency,
      unhealthyThresholdMs: doc.replication.unhealthy_threshold,
    },
    bus: {
      driver: bus.driver ?? (selectedDatabaseDriver(database) === 'postgres' ? 'nats' : 'memory'),
      url: bus.url,
      stream: bus.stream,
      subjectPrefix: bus.subject_prefix,
      retentionMs: bus.retention,
      maxDeliver: bus.max_deliver,
      pollIntervalMs: bus.poll_interval,
    },
    cleanupQueue: {
      concurrency: queue.concurrency,
      tickMs: queue.tick,
      batchSize: queue.batch_size,
      backoffBaseMs: queue.backoff_base,
      backoffMaxMs: queue.backoff_max,
      maxAttempts: queue.max_attempts,
      multipartStaleTimeoutMs: queue.multipart_stale_timeout,
    },
    writePath: {
      pendingPattern: {
        reaperTickMs: pending.reaper_tick,
        minAgeMs: pending.min_age,
        batchSize: pending.batch_size,
        heartbeatMs: pending.heartbeat,
      },
    },
    lifecycle: {
      rules: doc.lifecycle.rules.map((rule) => ({
        bucket: rule.bucket,
        prefix: rule.prefix,
        expirationDays: rule.expiration_days,
      })),
      intervalMs: doc.lifecycle.interval,
      batchSize: doc.lifecycle.batch_size,
    },
    reconcile: { enabled: doc.reconcile.enabled, intervalMs: doc.reconcile.interval },
    logging: { level: doc.logging.level },
    telemetry: toTelemetryConfig(doc),
    circuitBreaker: {
      failureThreshold: breaker.failure_threshold,
      openTimeoutMs: breaker.open_timeout,
      cacheTtlMs: breaker.cache_ttl,
      parallelBroadcast: breaker.parallel_broadcast,
      degradedBroadcastParallelism: breaker.degraded_broadcast_parallelism,
      degradedReadsEnabled: breaker.degraded_reads_enabled,
    },
    notifications: toNotificationsConfig(doc),
    rateLimit: {
      enabled: doc.rate_limit.enabled,
      requestsPerSec: doc.rate_limit.requests_per_sec,
      burst: doc.rate_limit.burst,
      trustedProxies: doc.rate_limit.trusted_proxies,
      cleanupIntervalMs: doc.rate_limit.cleanup_interval,
      cleanupMaxAgeMs: doc.rate_limit.cleanup_max_age,
    },
    usageFlush: {
      intervalMs: doc.usage_flush.interval,
      adaptiveEnabled: doc.usage_flush.adaptive_enabled,
      adaptiveThreshold: doc.usage_flush.adaptive_threshold,
      fastIntervalMs: doc.usage_flush.fast_interval,
    },
    backendCircuitBreaker: {
      enabled: doc.backend_circuit_breaker.enabled,
      failureThreshold: doc.backend_circuit_breaker.failure_threshold,
      openTimeoutMs: doc.backend_circuit_breaker.open_timeout,
    },
    rebalance: {
      enabled: doc.rebalance.enabled,
      strategy: doc.rebalance.strategy,
      intervalMs: doc.rebalance.interval,
      batchSize: doc.rebalance.batch_size,
      threshold: doc.rebalance.threshold,
      concurrency: doc.rebalance.concurrency,
    },
  };
}
