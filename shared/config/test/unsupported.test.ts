import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNSUPPORTED_SETTINGS } from '../src/index.js';
import { configAfter, problemsAfter } from './fixtures.js';

// One way to turn on each entry of UNSUPPORTED_SETTINGS, with the message it must give.
const TURNED_ON: Record<string, [(d: Record<string, any>) => void, string]> = {
  'encryption.vault': [(d) => (d.encryption = { vault: { address: 'http://vault' } }), 'encryption.vault: Vault key sources are not supported yet; use master_key or master_key_file'],
  'telemetry.metrics.pprof': [(d) => (d.telemetry = { metrics: { pprof: true } }), 'telemetry.metrics.pprof: pprof is not supported'],
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
