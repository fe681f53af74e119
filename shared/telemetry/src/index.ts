// @s3o/telemetry: structured logs (pino, with trace ids), health and metrics endpoints,
// Prometheus metrics and OpenTelemetry tracing. One root logger per process; services take
// children.
export { LogRing, processLogs, LOG_LEVELS, type LogLevelName, type RingLine } from './log-ring.js';
export { createLogger, silentLogger, auditLog, toggleLevelOnSignal, type Logger } from './logging.js';
export { bearerTokenMatches, startHealthServer, startMetricsServer, type HealthServer, type HealthServerOptions, type HealthState } from './health.js';
export {
  startTracing, tracer, inSpan, failSpan, activeTraceparent, traceparentOf, contextFromTraceparent, contextFromHeaders,
  withSpanContext, runInContext,
  hasActiveSpan, SERVICE_ATTRIBUTE, SpanKind, SpanStatusCode, type Span, type Context, type Attributes,
  type TracingOptions, type TracingHandle,
} from './tracing.js';
export { backendTelemetry, type BackendCallObserver } from './backend-telemetry.js';
export {
  startPublishSpan, consumeEvent, countDeadLettered, registerLagSource,
  type TracedEvent, type Delivery, type BusSystem, type PublishSpan, type LagSource,
} from './bus-telemetry.js';
export { traceCalls } from './traced-calls.js';
export { registerLedgerGauges, type LedgerStatsSource } from './ledger-gauges.js';
export { metricsRegistry, counter, gauge, histogram, renderMetrics } from './metrics.js';
