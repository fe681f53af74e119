// Structured JSON logging (pino). One root logger per process; services take children,
// which follow the root's level (pino children without a level of their own look it up
// on their parent), so changing the root's level at runtime changes every logger.
//
// Inside a span every line carries `trace_id` and `span_id`, so a log line leads to its
// trace in Jaeger and back.
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { LogRing } from './log-ring.js';

export type { Logger };

/**
 * `ring`: also keep every line written in this ring (log-ring.ts, the admin API's logs). Lines
 * are kept at the logger's level: turning the level down with `PUT /admin/api/log-level`
 * shows more there too.
 */
export function createLogger(opts: { service: string; level?: LevelWithSilent; destination?: NodeJS.WritableStream; ring?: LogRing }): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: traceFields,
  };
  if (opts.ring) {
    const out = opts.destination ?? pino.destination(1);
    return pino(options, pino.multistream([{ stream: out, level: 'trace' }, { stream: opts.ring.stream(), level: 'trace' }]));
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything: for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The active span's ids, or nothing outside a span (and whenever tracing is off). */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/**
 * An audit entry: one line per S3 request and per background action that changes stored
 * bytes (replication copy, drain move, cleanup delete). `event` names the action
 * (`s3.PutObject`, `cleanup.delete`, `replication.copy` …); operators filter on
 * `"audit": true`. Audit lines are written at info level whatever the configured level,
 * so turning logs down never hides them; only a silent logger (tests) drops them.
 */
export function auditLog(logger: Logger, event: string, fields: Record<string, unknown>): void {
  const line = { audit: true, event, ...fields };
  if (logger.isLevelEnabled('info')) logger.info(line, event);
  else if (logger.level !== 'silent') auditLoggerOf(logger).info(line, event);
}

/** One info-level child per logger whose own level hides info, made once. */
const auditLoggers = new WeakMap<Logger, Logger>();
function auditLoggerOf(logger: Logger): Logger {
  let audit = auditLoggers.get(logger);
  if (!audit) auditLoggers.set(logger, (audit = logger.child({}, { level: 'info' })));
  return audit;
}

/**
 * SIGUSR2 switches the process between its configured level and `debug` (and back), for
 * looking closely at a running service without a restart:
 * `kill -USR2 <pid>` / `docker compose kill -s SIGUSR2 <service>`. Returns the remover.
 */
export function toggleLevelOnSignal(logger: Logger, signal: NodeJS.Signals = 'SIGUSR2'): () => void {
  const configured = logger.level;
  const alternate = configured === 'debug' ? 'info' : 'debug';
  const onSignal = () => {
    const next = logger.level === configured ? alternate : configured;
    logger.level = next;
    auditLog(logger, 'log.level', { level: next, signal });
  };
  process.on(signal, onSignal);
  return () => process.off(signal, onSignal);
}
