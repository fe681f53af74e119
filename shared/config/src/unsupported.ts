// Settings we recognise (upstream has them) but whose behaviour does not exist
// here yet. Ignoring them would silently change what the operator asked for
// (data not replicated, not encrypted, limits not enforced), so turning one on
// is an error. When a feature lands, delete its entry here, read the value in
// document.ts/normalise.ts, and add it to Config.

import { z } from 'zod';
import type { ConfigDocument } from './document.js';
import type { KeyPath } from './keyPath.js';

interface UnsupportedSetting {
  /** The key as documented; `[]` stands for "each element". */
  key: string;
  /** What the operator reads after the key path. */
  problem: string;
  /** Where this document turns the setting on (usually none or one place). */
  usedAt(doc: ConfigDocument): KeyPath[];
}

/** `path` (dotted) when `isOn`, else nowhere. */
function where(isOn: boolean, dotted: string): KeyPath[] {
  return isOn ? [dotted.split('.')] : [];
}

/** Each backend that turns on `key` according to `isOn`. */
function backendsWhere(doc: ConfigDocument, key: string, isOn: (backend: ConfigDocument['backends'][number]) => boolean): KeyPath[] {
  return doc.backends.flatMap((backend, i) => (isOn(backend) ? [['backends', i, key]] : []));
}

export const UNSUPPORTED_SETTINGS: readonly UnsupportedSetting[] = [
  {
    key: 'replication.factor',
    problem: 'values above 1 are not supported yet',
    usedAt: (d) => where(d.replication.factor > 1, 'replication.factor'),
  },
  {
    key: 'rebalance.enabled',
    problem: 'rebalancing is not supported yet',
    usedAt: (d) => where(d.rebalance.enabled, 'rebalance.enabled'),
  },
  {
    key: 'encryption.enabled',
    problem: 'encryption is not supported yet',
    usedAt: (d) => where(d.encryption.enabled, 'encryption.enabled'),
  },
  {
    key: 'notifications.endpoints',
    problem: 'notifications are not supported yet',
    usedAt: (d) => where(d.notifications.endpoints.length > 0, 'notifications.endpoints'),
  },
  {
    key: 'rate_limit.enabled',
    problem: 'rate limiting is not supported yet',
    usedAt: (d) => where(d.rate_limit.enabled, 'rate_limit.enabled'),
  },
  {
    key: 'reconcile.enabled',
    problem: 'reconciling is not supported yet',
    usedAt: (d) => where(d.reconcile.enabled, 'reconcile.enabled'),
  },
  {
    key: 'telemetry.tracing.enabled',
    problem: 'tracing is not supported yet',
    usedAt: (d) => where(d.telemetry.tracing.enabled, 'telemetry.tracing.enabled'),
  },
  {
    key: 'telemetry.metrics.enabled',
    problem: 'turning metrics off is not supported yet',
    usedAt: (d) => where(d.telemetry.metrics.enabled === false, 'telemetry.metrics.enabled'),
  },
  {
    key: 'telemetry.metrics.path',
    problem: 'metrics are served at /metrics only',
    usedAt: (d) => where(typeof d.telemetry.metrics.path === 'string' && d.telemetry.metrics.path !== '/metrics', 'telemetry.metrics.path'),
  },
  {
    key: 'telemetry.metrics.listen',
    problem: 'a separate metrics listener is not supported yet',
    usedAt: (d) => where(typeof d.telemetry.metrics.listen === 'string', 'telemetry.metrics.listen'),
  },
  {
    key: 'telemetry.metrics.pprof',
    problem: 'pprof is not supported',
    usedAt: (d) => where(d.telemetry.metrics.pprof, 'telemetry.metrics.pprof'),
  },
  {
    key: 'backend_circuit_breaker.enabled',
    problem: 'backend circuit breakers are not supported yet',
    usedAt: (d) => where(d.backend_circuit_breaker.enabled, 'backend_circuit_breaker.enabled'),
  },
  {
    key: 'backends[].api_request_limit',
    problem: 'monthly API request limits are not supported yet',
    usedAt: (d) => backendsWhere(d, 'api_request_limit', (b) => b.api_request_limit > 0),
  },
  {
    key: 'backends[].egress_byte_limit',
    problem: 'monthly egress limits are not supported yet',
    usedAt: (d) => backendsWhere(d, 'egress_byte_limit', (b) => b.egress_byte_limit > 0),
  },
  {
    key: 'backends[].ingress_byte_limit',
    problem: 'monthly ingress limits are not supported yet',
    usedAt: (d) => backendsWhere(d, 'ingress_byte_limit', (b) => b.ingress_byte_limit > 0),
  },
  {
    key: 'server.max_concurrent_reads',
    problem: 'separate read limits are not supported yet (use max_concurrent_requests)',
    usedAt: (d) => where(d.server.max_concurrent_reads > 0, 'server.max_concurrent_reads'),
  },
  {
    key: 'server.max_concurrent_writes',
    problem: 'separate write limits are not supported yet (use max_concurrent_requests)',
    usedAt: (d) => where(d.server.max_concurrent_writes > 0, 'server.max_concurrent_writes'),
  },
  {
    key: 'server.load_shed_threshold',
    problem: 'load shedding is not supported yet',
    usedAt: (d) => where(d.server.load_shed_threshold > 0, 'server.load_shed_threshold'),
  },
  {
    key: 'server.admission_wait',
    problem: 'waiting for admission is not supported yet',
    usedAt: (d) => where(d.server.admission_wait > 0, 'server.admission_wait'),
  },
  {
    key: 'server.tls.cert_file',
    problem: 'TLS is not supported yet (terminate TLS in front of the gateway)',
    usedAt: (d) => where(typeof d.server.tls.cert_file === 'string', 'server.tls.cert_file'),
  },
  {
    key: 'server.tls.key_file',
    problem: 'TLS is not supported yet (terminate TLS in front of the gateway)',
    usedAt: (d) => where(typeof d.server.tls.key_file === 'string', 'server.tls.key_file'),
  },
];

export function checkUnsupportedSettings(doc: ConfigDocument, ctx: z.RefinementCtx): void {
  for (const setting of UNSUPPORTED_SETTINGS) {
    for (const path of setting.usedAt(doc)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path], message: setting.problem });
    }
  }
}
