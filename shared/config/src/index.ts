export { parseConfig, loadConfig, type LoadedConfig } from './parseConfig.js';
export { ConfigError } from './errors.js';
export { UNSUPPORTED_SETTINGS } from './unsupported.js';
export { RESERVED_BUCKET_NAMES } from './names.js';
export { parseDuration, parseSize } from './units.js';
export type { NotificationEndpointConfig, NotificationEndpointType, NotificationFormat, NotificationsConfig } from './notifications.js';
export {
  NOTIFICATION_EVENT_NAMES, OPERATIONAL_NOTIFICATION_EVENTS, S3_NOTIFICATION_EVENTS, notificationEventMatches,
  type NotificationEventName, type OperationalNotificationEvent, type S3NotificationEvent,
} from './notification-events.js';
export { cidrBlockList } from './traffic.js';
export type { MetricsConfig, TelemetryConfig, TracingConfig } from './telemetry.js';
export type {
  AuthConfig,
  BackendCircuitBreakerConfig,
  BackendConfig,
  BucketConfig,
  BusConfig,
  BusDriver,
  CircuitBreakerConfig,
  CleanupQueueConfig,
  Config,
  Credential,
  LifecycleConfig,
  LifecycleRule,
  DatabaseConfig,
  DatabaseDriver,
  LogLevel,
  LoggingConfig,
  PendingPatternConfig,
  RateLimitConfig,
  RebalanceConfig,
  ReplicationConfig,
  RoutingStrategy,
  ServerConfig,
  UsageFlushConfig,
  WritePathConfig,
} from './types.js';
