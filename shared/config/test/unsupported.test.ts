import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNSUPPORTED_SETTINGS } from '../src/index.js';
import { configAfter, problemsAfter } from './fixtures.js';

// One way to turn on each entry of UNSUPPORTED_SETTINGS, with the message it must give.
const TURNED_ON: Record<string, [(d: Record<string, any>) => void, string]> = {
  'replication.factor': [(d) => (d.replication = { factor: 2 }), 'replication.factor: values above 1 are not supported yet'],
  'rebalance.enabled': [(d) => (d.rebalance = { enabled: true }), 'rebalance.enabled: rebalancing is not supported yet'],
  'encryption.enabled': [(d) => (d.encryption = { enabled: true }), 'encryption.enabled: encryption is not supported yet'],
  'notifications.endpoints': [
    (d) => (d.notifications = { endpoints: [{ url: 'http://hook', events: ['*'] }] }),
    'notifications.endpoints: notifications are not supported yet',
  ],
  'rate_limit.enabled': [(d) => (d.rate_limit = { enabled: true }), 'rate_limit.enabled: rate limiting is not supported yet'],
  'reconcile.enabled': [(d) => (d.reconcile = { enabled: true }), 'reconcile.enabled: reconciling is not supported yet'],
  'telemetry.tracing.enabled': [
    (d) => (d.telemetry = { tracing: { enabled: true } }),
    'telemetry.tracing.enabled: tracing is not supported yet',
  ],
  'telemetry.metrics.enabled': [
    (d) => (d.telemetry = { metrics: { enabled: false } }),
    'telemetry.metrics.enabled: turning metrics off is not supported yet',
  ],
  'telemetry.metrics.path': [
    (d) => (d.telemetry = { metrics: { path: '/prom' } }),
    'telemetry.metrics.path: metrics are served at /metrics only',
  ],
  'telemetry.metrics.listen': [
    (d) => (d.telemetry = { metrics: { listen: '127.0.0.1:9091' } }),
    'telemetry.metrics.listen: a separate metrics listener is not supported yet',
  ],
  'telemetry.metrics.pprof': [(d) => (d.telemetry = { metrics: { pprof: true } }), 'telemetry.metrics.pprof: pprof is not supported'],
  'backend_circuit_breaker.enabled': [
    (d) => (d.backend_circuit_breaker = { enabled: true }),
    'backend_circuit_breaker.enabled: backend circuit breakers are not supported yet',
  ],
  'backends[].api_request_limit': [
    (d) => (d.backends[0].api_request_limit = 1_000_000),
    'backends[0].api_request_limit: monthly API request limits are not supported yet',
  ],
  'backends[].egress_byte_limit': [
    (d) => (d.backends[0].egress_byte_limit = '10GB'),
    'backends[0].egress_byte_limit: monthly egress limits are not supported yet',
  ],
  'backends[].ingress_byte_limit': [
    (d) => (d.backends[0].ingress_byte_limit = 1),
    'backends[0].ingress_byte_limit: monthly ingress limits are not supported yet',
  ],
  'server.max_concurrent_reads': [
    (d) => (d.server = { max_concurrent_reads: 10 }),
    'server.max_concurrent_reads: separate read limits are not supported yet (use max_concurrent_requests)',
  ],
  'server.max_concurrent_writes': [
    (d) => (d.server = { max_concurrent_writes: 10 }),
    'server.max_concurrent_writes: separate write limits are not supported yet (use max_concurrent_requests)',
  ],
  'server.load_shed_threshold': [
    (d) => (d.server = { load_shed_threshold: 0.9 }),
    'server.load_shed_threshold: load shedding is not supported yet',
  ],
  'server.admission_wait': [
    (d) => (d.server = { admission_wait: '100ms' }),
    'server.admission_wait: waiting for admission is not supported yet',
  ],
  'server.tls.cert_file': [
    (d) => (d.server = { tls: { cert_file: '/etc/cert.pem' } }),
    'server.tls.cert_file: TLS is not supported yet (terminate TLS in front of the gateway)',
  ],
  'server.tls.key_file': [
    (d) => (d.server = { tls: { key_file: '/etc/key.pem' } }),
    'server.tls.key_file: TLS is not supported yet (terminate TLS in front of the gateway)',
  ],
};

test('every unsupported setting, turned on, is an error with its key path', () => {
  assert.deepEqual(UNSUPPORTED_SETTINGS.map((s) => s.key).sort(), Object.keys(TURNED_ON).sort());
  for (const [key, [turnOn, message]] of Object.entries(TURNED_ON)) {
    const problems = problemsAfter(turnOn);
    // Postgres also trips the bus rule (memory bus with postgres); that is tested in rules.test.ts.
    assert.ok(problems.includes(message), `${key}: got ${JSON.stringify(problems)}`);
    assert.equal(problems.filter((p) => !p.startsWith('bus.driver: "memory"')).length, 1, key);
  }
});

test('per-backend limits name the backend that sets them', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.backends.push({ ...d.backends[0], name: 'b2', api_request_limit: 5 });
      d.backends.push({ ...d.backends[0], name: 'b3', api_request_limit: 0 });
    }),
    ['backends[1].api_request_limit: monthly API request limits are not supported yet'],
  );
});

test('the same settings off, empty or zero load quietly', () => {
  const { warnings } = configAfter((d) => {
    d.replication = { factor: 1 };
    d.rebalance = { enabled: false };
    d.encryption = { enabled: false };
    d.notifications = { endpoints: [] };
    d.rate_limit = { enabled: false };
    d.lifecycle = { rules: [] };
    d.reconcile = { enabled: false };
    d.telemetry = { metrics: { enabled: true, path: '/metrics', listen: null, pprof: false }, tracing: { enabled: false } };
    d.bus = { driver: 'memory' };
    d.database = { driver: 'sqlite' };
    d.backend_circuit_breaker = { enabled: false };
    d.backends[0].api_request_limit = 0;
    d.backends[0].egress_byte_limit = '0';
    d.backends[0].ingress_byte_limit = 0;
    d.server = { max_concurrent_reads: 0, max_concurrent_writes: 0, load_shed_threshold: 0, admission_wait: '0', tls: { cert_file: '' } };
  });
  assert.deepEqual(warnings, []);
});

test('an explicit sqlite driver wins over database.host', () => {
  assert.equal(configAfter((d) => (d.database = { driver: 'sqlite', host: 'pg' })).config.database.driver, 'sqlite');
});
