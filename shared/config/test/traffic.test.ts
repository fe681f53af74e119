// rate_limit.*, usage_flush.*, the admission keys of server.* and the monthly usage limits
// of backends[]: read into Config, bad values refused with their key path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrBlockList } from '../src/index.js';
import { configAfter, problemsAfter } from './fixtures.js';

test('rate_limit, usage_flush and the usage limits are read', () => {
  const { config, warnings } = configAfter((d) => {
    d.rate_limit = {
      enabled: true,
      requests_per_sec: '2.5',
      burst: 10,
      trusted_proxies: ['10.0.0.0/8', '::1', '192.168.1.7'],
      cleanup_interval: '10s',
      cleanup_max_age: '30s',
    };
    d.usage_flush = { interval: '500ms', adaptive_enabled: true, adaptive_threshold: 0.9, fast_interval: '100ms' };
    d.backends[0].api_request_limit = 1000;
    d.backends[0].egress_byte_limit = '1GB';
    d.backends[0].ingress_byte_limit = '2MiB';
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.rateLimit, {
    enabled: true,
    requestsPerSec: 2.5,
    burst: 10,
    trustedProxies: ['10.0.0.0/8', '::1', '192.168.1.7'],
    cleanupIntervalMs: 10_000,
    cleanupMaxAgeMs: 30_000,
  });
  assert.deepEqual(config.usageFlush, { intervalMs: 500, adaptiveEnabled: true, adaptiveThreshold: 0.9, fastIntervalMs: 100 });
  const b = config.backends[0]!;
  assert.deepEqual([b.apiRequestLimit, b.egressByteLimit, b.ingressByteLimit], [1000, 1e9, 2 * 2 ** 20]);
});

test('bad traffic settings name their key', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.rate_limit = { enabled: true, requests_per_sec: 0, burst: 0, trusted_proxies: ['10.0.0.0/33', 'proxy.local'] };
    }),
    [
      'rate_limit.requests_per_sec: must be greater than 0',
      'rate_limit.burst: must be at least 1',
      'rate_limit.trusted_proxies[0]: expected an IP address or CIDR block (e.g. 10.0.0.0/8), got "10.0.0.0/33"',
      'rate_limit.trusted_proxies[1]: expected an IP address or CIDR block (e.g. 10.0.0.0/8), got "proxy.local"',
    ],
  );
  assert.deepEqual(
    problemsAfter((d) => {
      d.usage_flush = { interval: '1s', adaptive_enabled: true, fast_interval: '2s', adaptive_threshold: 1.5 };
    }),
    ['usage_flush.adaptive_threshold: must be below 1', 'usage_flush.fast_interval: must be shorter than interval when adaptive_enabled is true'],
  );
  assert.deepEqual(
    problemsAfter((d) => {
      d.server = { max_concurrent_reads: -1, load_shed_threshold: 1, admission_wait: '5' };
      d.backends[0].api_request_limit = 'lots';
    }),
    [
      'server.max_concurrent_reads: must not be negative',
      'server.load_shed_threshold: must be below 1',
      'server.admission_wait: expected a duration with a unit, like "30s" (a bare number is ambiguous)',
      'backends[0].api_request_limit: expected a whole number',
    ],
  );
});

test('trusted proxy blocks match the addresses inside them, IPv4-mapped IPv6 included', () => {
  const list = cidrBlockList(['10.0.0.0/8', '::1']);
  assert.equal(list.check('10.1.2.3', 'ipv4'), true);
  assert.equal(list.check('11.0.0.1', 'ipv4'), false);
  assert.equal(list.check('::1', 'ipv6'), true);
});
