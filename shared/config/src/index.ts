export { parseConfig, loadConfig, type LoadedConfig } from './parse-config.js';
export { ConfigError } from './errors.js';
export { UNSUPPORTED_SETTINGS, type Config } from './sections/index.js';
export { parseDuration, parseSize } from './units.js';
export { cidrBlockList } from './cidr.js';
export {
  NOTIFICATION_EVENT_NAMES, OPERATIONAL_NOTIFICATION_EVENTS, S3_NOTIFICATION_EVENTS, notificationEventMatches,
  type NotificationEventName, type OperationalNotificationEvent, type S3NotificationEvent,
} from './notification-events.js';
export type { BusDriver, DatabaseDriver } from './derived.js';
// Each section's runtime shape, in registry order (sections/index.ts).
export type { ServerConfig, TlsConfig } from './sections/server.js';
export { CORS_METHODS, RESERVED_BUCKET_NAMES, bucketNameProblem, type BucketConfig, type CorsMethod, type CorsRule } from './sections/buckets.js';
export type { DatabaseConfig } from './sections/database.js';
export type { BackendConfig } from './sections/backends.js';
export type { AuthConfig, Credential } from './sections/auth.js';
export type { RoutingStrategy } from './sections/routing-strategy.js';
export type { ReplicationConfig } from './sections/replication.js';
export type { BusConfig } from './sections/bus.js';
export type { CleanupQueueConfig } from './sections/cleanup-queue.js';
export type { PendingPatternConfig, WritePathConfig } from './sections/write-path.js';
export type { LogLevel, LoggingConfig } from './sections/logging.js';
export type { CircuitBreakerConfig } from './sections/circuit-breaker.js';
export type { LifecycleConfig, LifecycleRule } from './sections/lifecycle.js';
export type { ReconcileConfig } from './sections/reconcile.js';
export type { BackendCircuitBreakerConfig } from './sections/backend-circuit-breaker.js';
export type { RebalanceConfig } from './sections/rebalance.js';
export type { RateLimitConfig } from './sections/rate-limit.js';
export type { UsageFlushConfig } from './sections/usage-flush.js';
export type { EncryptionConfig, MasterKeyRef } from './sections/encryption.js';
export type { IntegrityConfig } from './sections/integrity.js';
export type {
  NotificationEndpointConfig, NotificationEndpointType, NotificationFormat, NotificationsConfig,
} from './sections/notifications.js';
export type { MetricsConfig, TelemetryConfig, TracingConfig } from './sections/telemetry.js';
export type { UiConfig } from './sections/ui.js';
