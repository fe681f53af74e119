// `telemetry.*`: where Prometheus metrics are served and where OpenTelemetry spans go —
// the per-value rules, the rule relating the metrics path to the buckets, the normalised
// form, and upstream's pprof switch (refused).

import type { z } from 'zod';
import { boolean, optionalText, parsedText, section, textOr } from '../fields.js';
import { parseListenAddress, type ListenAddress } from '../names.js';
import { defineSection } from '../section.js';
import type { Parsed } from '../units.js';

export interface MetricsConfig {
  /** false: no metrics endpoint anywhere */
  enabled: boolean;
  /** the path Prometheus scrapes (default /metrics) */
  path: string;
  /**
   * A listener of its own for the gateway's metrics (the S3 port then does not serve them);
   * null = the S3 port. Other services serve metrics beside /health on --health-listen.
   */
  listen: { host: string; port: number } | null;
  /** When set, a scrape must send `Authorization: Bearer <token>` (any metrics listener). */
  bearerToken: string | null;
}

export interface TracingConfig {
  enabled: boolean;
  /** the OTLP/HTTP traces URL spans are POSTed to (…/v1/traces) */
  url: string;
  /** fraction of new traces kept, 0..1; traces started elsewhere follow their parent */
  sampleRate: number;
}

export interface TelemetryConfig {
  metrics: MetricsConfig;
  tracing: TracingConfig;
}

/** An absolute URL path, not `/` itself: the route Prometheus scrapes. */
function metricsPathProblem(text: string): string | null {
  if (/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/.test(text)) return null;
  return `expected an absolute URL path like "/metrics", got ${JSON.stringify(text)}`;
}

function listenProblem(text: string): string | null {
  const parsed = parseListenAddress(text);
  return parsed.ok ? null : parsed.problem;
}

/**
 * An OTLP/HTTP endpoint: a URL (`http://jaeger:4318`, with or without `/v1/traces`), or
 * upstream's `host:port` — reached over https, or http with `insecure: true`.
 */
function endpointProblem(text: string): string | null {
  if (/^[A-Za-z0-9.-]+:\d{1,5}$/.test(text) || /^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(text)) return null;
  try {
    const url = new URL(text);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return null;
  } catch {
    // fall through to the problem
  }
  return `expected an OTLP/HTTP URL like "http://localhost:4318" or "host:port", got ${JSON.stringify(text)}`;
}

function readSampleRate(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) {
    return { ok: false, problem: trimmed.startsWith('-') ? 'must not be negative' : 'expected a number from 0 to 1' };
  }
  const value = Number(trimmed);
  return value <= 1 ? { ok: true, value } : { ok: false, problem: 'must be at most 1' };
}

const schema = section({
  metrics: section({
    enabled: boolean(true),
    path: textOr('/metrics', metricsPathProblem),
    listen: optionalText(listenProblem),
    bearer_token: optionalText(),
    pprof: boolean(false),
  }),
  tracing: section({
    enabled: boolean(false),
    endpoint: textOr('http://localhost:4318', endpointProblem),
    sample_rate: parsedText('1', readSampleRate),
    insecure: boolean(false),
  }),
});

/** First segments the gateway answers itself on its S3 port. */
const GATEWAY_ROUTES = new Set(['admin', 'health', 'ui']);

/** The OTLP traces URL of an endpoint as configured. */
function tracesUrl(endpoint: string, insecure: boolean): string {
  const base = /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `${insecure ? 'http' : 'https'}://${endpoint}`;
  const url = new URL(base);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

type Reads = { telemetry: z.output<typeof schema>; buckets: ReadonlyArray<{ name: string }> };

export const telemetrySection = defineSection({
  key: 'telemetry',
  field: 'telemetry',
  schema,
  normalise: ({ telemetry: { metrics, tracing } }: Reads): TelemetryConfig => {
    const listen: ListenAddress | null =
      metrics.listen === null ? null : (parseListenAddress(metrics.listen) as { ok: true; value: ListenAddress }).value;
    return {
      metrics: {
        enabled: metrics.enabled,
        path: metrics.path,
        listen: listen === null ? null : { host: listen.host, port: listen.port },
        bearerToken: metrics.bearer_token,
      },
      tracing: {
        enabled: tracing.enabled,
        url: tracesUrl(tracing.endpoint, tracing.insecure),
        sampleRate: tracing.sample_rate,
      },
    };
  },
  /**
   * Served on the S3 port (no `listen`), the metrics path must not hide a bucket or one of
   * the gateway's own routes.
   */
  check({ telemetry, buckets }: Reads, report) {
    const { path, listen } = telemetry.metrics;
    if (typeof path !== 'string' || listen !== null) return;
    const first = path.split('/')[1] ?? '';
    if (GATEWAY_ROUTES.has(first)) {
      report(['telemetry', 'metrics', 'path'], `"/${first}" is a route of the gateway; pick another path or set telemetry.metrics.listen`);
    } else if (buckets.some((b) => b.name === first)) {
      report(['telemetry', 'metrics', 'path'], `would hide bucket "${first}" on the S3 port; pick another path or set telemetry.metrics.listen`);
    }
  },
  unsupported: [
    { key: 'telemetry.metrics.pprof', problem: 'pprof is not supported', isOn: ({ telemetry }: Reads) => telemetry.metrics.pprof },
  ],
});
