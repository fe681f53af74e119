// Structured JSON logging (pino) and health endpoints. One root logger per process;
// services take children.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export { startHealthServer, type HealthServer, type HealthState } from './health.js';

export function createLogger(opts: { service: string; level?: LevelWithSilent; destination?: NodeJS.WritableStream }): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that drops everything: for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
export { metricsRegistry, counter, gauge, histogram, renderMetrics } from './metrics.js';
