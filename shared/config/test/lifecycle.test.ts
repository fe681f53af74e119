import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

test('lifecycle rules: prefix and expiration_days, for every bucket unless one is named', () => {
  const { config, warnings } = configAfter((d) => {
    d.buckets.push({ name: 'logs', credentials: [{ access_key_id: 'AK-LOGS', secret_access_key: 'logs-secret' }] });
    d.lifecycle = {
      interval: '10m',
      batch_size: 50,
      rules: [
        { prefix: 'tmp/', expiration_days: 7 },
        { bucket: 'logs', prefix: '', expiration_days: '30' },
        { bucket: 'photos', expiration_days: 1 },
        { prefix: 'logs/', tags: [{ key: 'retention', value: 'short' }, { key: 'empty' }], expiration_days: 2 },
      ],
    };
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.lifecycle, {
    intervalMs: 600_000,
    batchSize: 50,
    rules: [
      { bucket: null, prefix: 'tmp/', tags: {}, expirationDays: 7 },
      { bucket: 'logs', prefix: '', tags: {}, expirationDays: 30 },
      { bucket: 'photos', prefix: '', tags: {}, expirationDays: 1 },
      { bucket: null, prefix: 'logs/', tags: { retention: 'short', empty: '' }, expirationDays: 2 },
    ],
  });
});

test('lifecycle rules are checked field by field', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.lifecycle = {
        interval: '0',
        rules: [
          { prefix: 'a/' },
          { prefix: 'b/', expiration_days: 0 },
          { prefix: 'c/', expiration_days: 'soon' },
          'tmp/',
        ],
      };
    }),
    [
      'lifecycle.rules[0].expiration_days: required',
      'lifecycle.rules[1].expiration_days: must be at least 1',
      'lifecycle.rules[2].expiration_days: expected a whole number',
      'lifecycle.rules[3]: expected a mapping, got a single value',
      'lifecycle.interval: must be greater than 0',
    ],
  );
});

test('a rule naming a bucket that is not configured is refused', () => {
  assert.deepEqual(
    problemsAfter((d) => (d.lifecycle = { rules: [{ prefix: 'a/', expiration_days: 1 }, { bucket: 'nope', prefix: 'd/', expiration_days: 1 }] })),
    ['lifecycle.rules[1].bucket: no bucket is named "nope"'],
  );
});

test('an unknown key inside a rule is a warning', () => {
  const { warnings } = configAfter((d) => (d.lifecycle = { rules: [{ prefix: 'x/', expiration_days: 1, storage_class: 'GLACIER' }] }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /lifecycle\.rules\[0\]\.storage_class/);
});

test('a lifecycle rule names each tag once, each with a key', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.lifecycle = { rules: [{ prefix: 'a/', expiration_days: 1, tags: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }, { value: 'v' }] }] };
    }),
    ['lifecycle.rules[0].tags[2].key: required', 'lifecycle.rules[0].tags[1].key: tag "x" is listed twice in this rule'],
  );
});
