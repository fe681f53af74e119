// replication.*: the factor against the number of backends, and the worker's tuning values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

const backend = (name: string) => ({
  name, endpoint: 'http://127.0.0.1:9001', bucket: 'real', access_key_id: 'k', secret_access_key: 's',
});

test('replication values are read with their defaults', () => {
  const { config } = configAfter((d) => {
    d.backends = [backend('b1'), backend('b2'), backend('b3')];
    d.replication = { factor: 3, worker_interval: '2s', batch_size: 10, concurrency: 2, unhealthy_threshold: '0s' };
  });
  assert.deepEqual(config.replication, { factor: 3, workerIntervalMs: 2_000, batchSize: 10, concurrency: 2, unhealthyThresholdMs: 0 });
  assert.deepEqual(configAfter(() => undefined).config.replication, {
    factor: 1, workerIntervalMs: 300_000, batchSize: 50, concurrency: 5, unhealthyThresholdMs: 600_000,
  });
});

test('a factor above the number of backends is refused, naming the key', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.backends = [backend('b1'), backend('b2')];
      d.replication = { factor: 3 };
    }),
    ['replication.factor: must not exceed the number of backends (2)'],
  );
});

test('bad replication values are refused, each naming its key', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.replication = { factor: 0, worker_interval: '0s', batch_size: 0, concurrency: -1, unhealthy_threshold: 'soon' };
    }),
    [
      'replication.factor: must be at least 1',
      'replication.worker_interval: must be greater than 0',
      'replication.batch_size: must be at least 1',
      'replication.concurrency: must be at least 1',
      'replication.unhealthy_threshold: expected a duration like "30s", "5m" or "250ms"',
    ],
  );
});
