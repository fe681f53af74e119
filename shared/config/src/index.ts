export { parseConfig, loadConfig, type LoadedConfig } from './parseConfig.js';
export { ConfigError } from './errors.js';
export { UNSUPPORTED_SETTINGS } from './unsupported.js';
export { RESERVED_BUCKET_NAMES } from './names.js';
export { parseDuration, parseSize } from './units.js';
export type {
  AuthConfig,
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
  ReplicationConfig,
  RoutingStrategy,
  ServerConfig,
  WritePathConfig,
} from './types.js';
