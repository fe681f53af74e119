// integrity.*: the hash switch and the scrubber's settings, read into Config; bad values named by key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

test('integrity: the scrubber settings are read', () => {
  const { config, warnings } = configAfter((d) => {
    d.integrity = {
      enabled: true, scrub_enabled: true, scrub_interval: '30m', scrub_objects_per_pass: 500, scrub_bytes_per_second: '4MiB', scrub_min_age: '0s',
    };
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.integrity, {
    enabled: true, scrub: { enabled: true, intervalMs: 1_800_000, objectsPerPass: 500, bytesPerSecond: 4 * 1024 * 1024, minAgeMs: 0 },
  });
});

test('integrity: bad scrubber values are refused with their key paths', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.integrity = { scrub_enabled: 'often', scrub_interval: '0s', scrub_objects_per_pass: 0, scrub_bytes_per_second: '0', scrub_min_age: 'a week' };
    }),
    [
      'integrity.scrub_enabled: expected true or false',
      'integrity.scrub_interval: must be greater than 0',
      'integrity.scrub_objects_per_pass: must be at least 1',
      'integrity.scrub_bytes_per_second: must be greater than 0',
      'integrity.scrub_min_age: expected a duration like "30s", "5m" or "250ms"',
    ],
  );
});
