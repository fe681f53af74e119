// The ring of each backend's recent call latencies behind the dashboard's backend cards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECENT_CALLS, recentBackendLatency, recordBackendLatency } from '../src/recent-latency.js';

test('percentiles and failures of the last calls per backend, older calls forgotten', () => {
  assert.equal(recentBackendLatency('never-called'), null);
  for (let i = 1; i <= 20; i++) recordBackendLatency('lat-a', i, i === 20);
  assert.deepEqual(recentBackendLatency('lat-a'), { calls: 20, p50Ms: 11, p95Ms: 20, errors: 1 });
  for (let i = 0; i < RECENT_CALLS; i++) recordBackendLatency('lat-a', 1000, false);
  assert.deepEqual(recentBackendLatency('lat-a'), { calls: RECENT_CALLS, p50Ms: 1000, p95Ms: 1000, errors: 0 }, 'the first 20 were pushed out');
  assert.equal(recentBackendLatency('lat-b'), null, 'per backend');
});
