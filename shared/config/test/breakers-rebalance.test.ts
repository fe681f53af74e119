// backend_circuit_breaker.* and rebalance.*: read into Config, bad values named by key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

test('backend_circuit_breaker settings are read', () => {
  const { config, warnings } = configAfter((d) => (d.backend_circuit_breaker = { enabled: true, failure_threshold: 3, open_timeout: '750ms' }));
  assert.deepEqual(config.backendCircuitBreaker, { enabled: true, failureThreshold: 3, openTimeoutMs: 750 });
  assert.deepEqual(warnings, []);
});

test('rebalance settings are read', () => {
  const { config } = configAfter(
    (d) => (d.rebalance = { enabled: true, strategy: 'spread', interval: '2s', batch_size: 7, threshold: 0.25, concurrency: 2 }),
  );
  assert.deepEqual(config.rebalance, { enabled: true, strategy: 'spread', intervalMs: 2000, batchSize: 7, threshold: 0.25, concurrency: 2 });
});

test('bad breaker values are reported with their key paths', () => {
  assert.deepEqual(
    problemsAfter((d) => (d.backend_circuit_breaker = { enabled: 'yes', failure_threshold: 0, open_timeout: '0s' })),
    [
      'backend_circuit_breaker.enabled: expected true or false',
      'backend_circuit_breaker.failure_threshold: must be at least 1',
      'backend_circuit_breaker.open_timeout: must be greater than 0',
    ],
  );
});

test('bad rebalance values are reported with their key paths', () => {
  assert.deepEqual(
    problemsAfter((d) => (d.rebalance = { enabled: true, strategy: 'fill', interval: 'soon', batch_size: 0, threshold: 1.5, concurrency: 0 })),
    [
      'rebalance.strategy: expected one of "pack", "spread", got "fill"',
      'rebalance.interval: expected a duration like "30s", "5m" or "250ms"',
      'rebalance.batch_size: must be at least 1',
      'rebalance.threshold: must be below 1',
      'rebalance.concurrency: must be at least 1',
    ],
  );
});
