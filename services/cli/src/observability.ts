// The process-wide parts of telemetry the CLI sets up around the services: tracing (one
// OpenTelemetry SDK per process), and the gateway process's metrics — the ledger gauges read
// at scrape time and, when `telemetry.metrics.listen` is set, the listener that serves them.
import type { Config } from '@s3o/config';
import type { Ledger } from '@s3o/store';
import { registerLedgerGauges, startMetricsServer, startTracing, type TracingHandle } from '@s3o/telemetry';

/** `s3o-gateway`, `s3o-placement` …; `s3o` for `serve`, whose spans name their service in `s3o.service`. */
export function tracingServiceName(command: string): string {
  return command === 'serve' ? 's3o' : `s3o-${command}`;
}

export async function startConfiguredTracing(config: Config, command: string): Promise<TracingHandle | null> {
  const { tracing } = config.telemetry;
  if (!tracing.enabled) return null;
  return startTracing({ serviceName: tracingServiceName(command), url: tracing.url, sampleRate: tracing.sampleRate });
}

export interface GatewayMetrics {
  /** the separate metrics listener's URL, or null when metrics are served on the S3 port (or off) */
  url: string | null;
  stop(): Promise<void>;
}

/**
 * The gateway serves the gauges read from the ledger (quota, objects, cleanup queue); the
 * other services leave them out, so a sum over every process does not count them twice.
 */
export async function startGatewayMetrics(config: Config, ledger: Ledger): Promise<GatewayMetrics> {
  const { metrics } = config.telemetry;
  if (!metrics.enabled) return { url: null, stop: async () => {} };
  const unregister = registerLedgerGauges(ledger);
  const server = metrics.listen ? await startMetricsServer(metrics.listen.host, metrics.listen.port, metrics.path, metrics.bearerToken) : null;
  return {
    url: server?.url ?? null,
    stop: async () => {
      unregister();
      await server?.close();
    },
  };
}
