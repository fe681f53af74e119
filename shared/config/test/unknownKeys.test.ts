import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter } from './fixtures.js';

test('unknown keys anywhere are warnings, and the configuration still loads', () => {
  const { config, warnings } = configAfter((d) => {
    d.foo = { bar: 1 };
    d.server = { listen_addr: ':9100', lissen_addr: ':1' };
    d.buckets[0].credentials[0].token = 'legacy';
    d.backends[0].tier = 'cold';
    d.write_path = { pending_pattern: { reaper_tik: '1s' } };
  });
  assert.equal(config.server.port, 9100);
  // In the order they appear in the file.
  assert.deepEqual(warnings, [
    'upstream\'s "buckets[0].credentials[0].token" (token credentials (use access_key_id and secret_access_key)) is not supported yet (ignored)',
    'unknown key "backends[0].tier" (ignored)',
    'unknown key "foo" (ignored)',
    'unknown key "server.lissen_addr" (ignored)',
    'unknown key "write_path.pending_pattern.reaper_tik" (ignored)',
  ]);
});

test('upstream keys of features that are off are recognised, not warned about', () => {
  const { warnings } = configAfter((d) => {
    d.server = { max_concurrent_reads: 0, max_concurrent_writes: 0, load_shed_threshold: 0, admission_wait: '0s', tls: {} };
    d.backends[0].api_request_limit = 0;
    d.backends[0].egress_byte_limit = 0;
    d.backends[0].ingress_byte_limit = 0;
    d.replication = { factor: 1, worker_interval: '5m', batch_size: 50, concurrency: 5, unhealthy_threshold: '10m' };
    d.rebalance = { enabled: false, strategy: 'spread', interval: '6h', batch_size: 100, threshold: 0.1, concurrency: 5 };
    d.encryption = { enabled: false, chunk_size: 65536, master_key: 'x', vault: { address: 'http://vault', token: 't' } };
    d.notifications = { endpoints: [] };
    d.rate_limit = { enabled: false, requests_per_sec: 100, burst: 200, trusted_proxies: ['10.0.0.0/8'] };
    d.lifecycle = { rules: [], batch_size: 100 };
    d.reconcile = { enabled: false, interval: '24h' };
    d.telemetry = { metrics: { enabled: true, path: '/metrics' }, tracing: { enabled: false, endpoint: 'localhost:4317', sample_rate: 1, insecure: true } };
    d.circuit_breaker = { failure_threshold: 3, open_timeout: '15s', cache_ttl: '60s', parallel_broadcast: true };
    d.backend_circuit_breaker = { enabled: false, failure_threshold: 5, open_timeout: '5m' };
    d.usage_flush = { interval: '30s', adaptive_enabled: true, adaptive_threshold: 0.8, fast_interval: '5s' };
  });
  assert.deepEqual(warnings, []);
});

test('a typo inside a recognised upstream section is still warned about', () => {
  const { warnings } = configAfter((d) => {
    d.rebalance = { enabeld: true };
    d.telemetry = { tracing: { enabled: false, sampel_rate: 1 } };
  });
  assert.deepEqual(warnings, ['unknown key "rebalance.enabeld" (ignored)', 'unknown key "telemetry.tracing.sampel_rate" (ignored)']);
});

test('upstream settings we have no feature for are named as such; upstream\'s database.database names the Postgres database', () => {
  const { config, warnings } = configAfter((d) => {
    d.ui = { enabled: true, path: '/ui' };
    d.cache = { enabled: true };
    d.backends[0].unsigned_payload = true;
    d.database = { host: 'db', database: 'upstream_db', user: 'u' };
    d.bus = { url: 'nats://127.0.0.1:4222' };
  });
  assert.equal(config.database.name, 'upstream_db');
  assert.deepEqual(warnings.filter((w) => w.startsWith('upstream')), [
    'upstream\'s "backends[0].unsigned_payload" (unsigned payloads (the backend client streams signed bodies)) is not supported yet (ignored)',
    'upstream\'s "ui" (the built-in web dashboard) is not supported yet (ignored)',
    'upstream\'s "cache" (the object cache) is not supported yet (ignored)',
  ]);
  assert.throws(() => configAfter((d) => {
    d.database = { host: 'db', database: 'a', name: 'b', user: 'u' };
    d.bus = { url: 'nats://127.0.0.1:4222' };
  }), /database\.database: upstream's name for database\.name; the two differ/);
});
