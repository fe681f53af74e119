import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

test('reconcile: enabled and interval are read', () => {
  const { config, warnings } = configAfter((d) => {
    d.reconcile = { enabled: true, interval: '15m' };
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.reconcile, { enabled: true, intervalMs: 900_000 });
});

test('reconcile: bad values are refused with their key path', () => {
  const problems = problemsAfter((d) => {
    d.reconcile = { enabled: 'sometimes', interval: '0' };
  });
  assert.equal(problems.length, 2, JSON.stringify(problems));
  assert.ok(problems.some((p) => p.startsWith('reconcile.enabled: ')), JSON.stringify(problems));
  assert.ok(problems.some((p) => p.startsWith('reconcile.interval: ')), JSON.stringify(problems));
});
