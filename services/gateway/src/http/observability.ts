// What every request to the gateway leaves behind: a SERVER span (continuing the client's
// W3C `traceparent` when it sends one), the upstream Prometheus series
// (`s3o_requests_total{method,status_code}`, `s3o_request_duration_seconds{method}`) and one
// audit log line. Health probes and scrapes leave nothing, so they do not drown the rest.
//
// The span is made active for the rest of the request (hooks, handler, the body stream),
// so backend calls, ledger transactions and appended events all land in its trace.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { claimedAccessKeyId } from '@s3o/s3';
import { sentUrl } from './address.js';
import {
  auditLog, bearerTokenMatches, contextFromHeaders, counter, failSpan, histogram, renderMetrics, runInContext, SERVICE_ATTRIBUTE, SpanKind,
  SpanStatusCode, tracer, withSpanContext, type Logger, type Span,
} from '@s3o/telemetry';

/** What the handler learns about a request once it has classified and authenticated it. */
export interface RequestFacts {
  /** S3 action (PutObject …); null until classified */
  action: string | null;
  bucket: string | null;
  key: string | null;
  /** the access key the request was verified with (null until then) */
  accessKeyId: string | null;
  /** the user holding that key (docs/architecture.md §6 "Authorisation"); null until authenticated */
  user: string | null;
  /** whether accessKeyId passed authentication */
  authenticated: boolean;
}

interface InFlight {
  span: Span;
  startedAt: number;
  facts: RequestFacts | null;
  ended: boolean;
}

const requests = counter({
  name: 's3o_requests_total',
  help: 'HTTP requests answered by the gateway, by method and status code',
  labelNames: ['method', 'status_code'] as const,
});

const duration = histogram({
  name: 's3o_request_duration_seconds',
  help: 'HTTP request latency in seconds, until the response was sent',
  labelNames: ['method'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

const operations = counter({
  name: 's3o_s3_operations_total',
  help: 'S3 requests by action (PutObject, GetObject …) and status code',
  labelNames: ['operation', 'status_code'] as const,
});

export interface Observability {
  /** Names the request's S3 action and target once known (span name, audit event). */
  note(request: FastifyRequest, facts: RequestFacts): void;
}

export interface ObservabilityOptions {
  logger: Logger;
  /** serve Prometheus text at this path on this app; null when not here (disabled, or on a listener of its own) */
  metricsPath: string | null;
  /** a scrape must send `Authorization: Bearer <token>` when set */
  metricsBearerToken?: string | null;
}

export function registerObservability(app: FastifyInstance, options: ObservabilityOptions): Observability {
  const inFlight = new WeakMap<FastifyRequest, InFlight>();
  const unobserved = (request: FastifyRequest) => {
    // The routed path: on a virtual-hosted bucket `/health` is an object key, observed like any.
    const q = request.url.indexOf('?');
    const path = q < 0 ? request.url : request.url.slice(0, q);
    return path === '/health' || path === '/health/ready' || path === options.metricsPath;
  };

  if (options.metricsPath) {
    app.get(options.metricsPath, async (req, reply) => {
      if (!bearerTokenMatches(req.headers.authorization, options.metricsBearerToken)) {
        reply.code(401).header('www-authenticate', 'Bearer').header('cache-control', 'no-store').send({ error: 'a bearer token is required' });
        return;
      }
      const { contentType, body } = await renderMetrics();
      reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
    });
  }

  app.addHook('onRequest', (request, _reply, done) => {
    if (unobserved(request)) {
      done();
      return;
    }
    const parent = contextFromHeaders(request.headers);
    const span = tracer().startSpan(`${request.method} request`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'url.path': pathOf(request),
        'client.address': request.socket.remoteAddress ?? '',
        's3o.request_id': request.id,
        [SERVICE_ATTRIBUTE]: 'gateway',
      },
    }, parent);
    inFlight.set(request, { span, startedAt: performance.now(), facts: null, ended: false });
    // Everything after this hook — the handler and whatever it starts — runs in the span.
    runInContext(withSpanContext(span, parent), done);
  });

  /** `status` 499 (nginx's "client closed request") when the client went away before the answer. */
  const finish = (request: FastifyRequest, status: number, aborted: boolean): void => {
    const state = inFlight.get(request);
    if (!state || state.ended) return;
    state.ended = true;
    const { span, facts } = state;
    const seconds = (performance.now() - state.startedAt) / 1000;
    const admin = request.url.startsWith('/admin/');
    const operation = facts?.action ?? (admin ? 'AdminApi' : 'Unclassified');
    // S3 requests audit as s3.<Action>; admin API calls (signed by auth.root) as admin.request with their path.
    const event = admin ? 'admin.request' : `s3.${operation}`;
    requests.inc({ method: request.method, status_code: String(status) });
    duration.observe({ method: request.method }, seconds);
    operations.inc({ operation, status_code: String(status) });

    span.updateName(event);
    span.setAttribute('http.response.status_code', status);
    if (facts?.bucket) span.setAttribute('s3o.bucket', facts.bucket);
    if (facts?.key) span.setAttribute('s3o.key', facts.key);
    // Who: the key tried (also when authentication failed) and, once verified, its user.
    const accessKeyId = facts?.accessKeyId ?? claimedAccessKeyIdOf(request);
    if (accessKeyId) span.setAttribute('s3o.access_key_id', accessKeyId);
    if (facts?.user) span.setAttribute('s3o.user', facts.user);
    if (aborted) failSpan(span, new Error('the client closed the connection before the response'));
    else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    // Logged inside the span, so the audit line carries its trace_id.
    runInContext(withSpanContext(span), () => {
      auditLog(options.logger, event, {
        requestId: request.id,
        method: request.method,
        ...(admin ? { path: pathOf(request) } : {}),
        bucket: facts?.bucket ?? null,
        key: facts?.key ?? null,
        status,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
        remoteAddress: request.socket.remoteAddress ?? null,
        // A request refused before (or by) authentication names the key it tried, so a
        // probe of many keys or a leaked key in use is visible in the audit log.
        accessKeyId,
        user: facts?.user ?? null,
        authenticated: facts?.authenticated ?? false,
      });
    });
    span.end();
  };

  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode, false);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, 499, true);
    done();
  });

  return {
    note(request, facts) {
      const state = inFlight.get(request);
      if (state) state.facts = facts;
    },
  };
}

function claimedAccessKeyIdOf(request: FastifyRequest): string | null {
  const url = sentUrl(request.raw);
  const q = url.indexOf('?');
  return claimedAccessKeyId(request.headers, q < 0 ? undefined : url.slice(q + 1));
}

/** The path as the client sent it (virtual-hosted requests are routed under a prefix of ours). */
function pathOf(request: FastifyRequest): string {
  const url = sentUrl(request.raw);
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
