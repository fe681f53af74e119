// What every backend call leaves behind: the upstream Prometheus series
// (`s3o_backend_requests_total{operation,backend,status}`, `s3o_backend_duration_seconds`)
// and, inside a trace, a CLIENT span. It is a BackendObserver (shared/backends observe.ts),
// described here by shape so telemetry depends on no other package of ours.
//
// Spans are made only under an active span (a request, an event being handled, a job that
// started its own trace): routine background calls — health probes, reaper HEADs — would
// otherwise start a trace each, burying the traces operators look for.
import { context, trace } from '@opentelemetry/api';
import { counter, histogram } from './metrics.js';
import { failSpan, SpanKind, tracer } from './tracing.js';
import { recordBackendLatency } from './recent-latency.js';

export interface ObservedBackendCall {
  backend: string;
  operation: string;
  method: string;
  ingressBytes: number;
}

export interface ObservedBackendOutcome {
  status: number;
  error?: Error;
  cutShort: boolean;
  durationMs: number;
  egressBytes: number;
}

export interface BackendCallObserver {
  start(call: ObservedBackendCall): (outcome: ObservedBackendOutcome) => void;
}

const requests = counter({
  name: 's3o_backend_requests_total',
  help: 'Backend storage operations by outcome (status: success | error)',
  labelNames: ['operation', 'backend', 'status'] as const,
});

const duration = histogram({
  name: 's3o_backend_duration_seconds',
  help: 'Backend operation latency in seconds, until the response body ended',
  labelNames: ['operation', 'backend'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
});

export function backendTelemetry(): BackendCallObserver {
  return {
    start(call) {
      const parent = context.active();
      const span = trace.getSpan(parent)
        ? tracer().startSpan(`backend.${call.operation}`, {
            kind: SpanKind.CLIENT,
            attributes: {
              's3o.backend': call.backend,
              's3o.backend.operation': call.operation,
              'http.request.method': call.method,
              's3o.ingress_bytes': call.ingressBytes,
            },
          }, parent)
        : null;
      return (outcome) => {
        const status = outcome.error ? 'error' : 'success';
        requests.inc({ operation: call.operation, backend: call.backend, status });
        duration.observe({ operation: call.operation, backend: call.backend }, outcome.durationMs / 1000);
        recordBackendLatency(call.backend, outcome.durationMs, outcome.error !== undefined);
        if (!span) return;
        span.setAttribute('s3o.egress_bytes', outcome.egressBytes);
        if (outcome.status > 0) span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.cutShort) span.setAttribute('s3o.cut_short', true);
        if (outcome.error) failSpan(span, outcome.error);
        span.end();
      };
    },
  };
}
