import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseSize } from '../src/index.js';
import { configAfter, problemsAfter } from './fixtures.js';

test('durations: Go syntax to milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s500ms', 90_500],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['.5m', 30_000],
    ['0', 0],
    ['0s', 0],
    [' 10s ', 10_000],
  ];
  for (const [text, ms] of cases) assert.deepEqual(parseDuration(text), { ok: true, value: ms }, text);
});

test('durations: bare numbers, bad units, negatives and sub-millisecond values are refused', () => {
  const cases: Array<[string, string]> = [
    ['30', 'expected a duration with a unit, like "30s" (a bare number is ambiguous)'],
    ['1.5', 'expected a duration with a unit, like "30s" (a bare number is ambiguous)'],
    ['5x', 'expected a duration like "30s", "5m" or "250ms"'],
    ['5 s', 'expected a duration like "30s", "5m" or "250ms"'],
    ['1d', 'expected a duration like "30s", "5m" or "250ms"'],
    ['', 'expected a duration like "30s", "5m" or "250ms"'],
    ['s', 'expected a duration like "30s", "5m" or "250ms"'],
    ['-5s', 'must not be negative'],
    ['1.5ms', '"1.5ms" is finer than a millisecond'],
  ];
  for (const [text, problem] of cases) assert.deepEqual(parseDuration(text), { ok: false, problem }, text);
});

test('sizes: bytes, decimal units and binary units', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['1048576', 1_048_576],
    ['10KB', 10_000],
    ['256MB', 256_000_000],
    ['5GB', 5_000_000_000],
    ['2TB', 2e12],
    ['64KiB', 65_536],
    ['8MiB', 8_388_608],
    ['5GiB', 5 * 2 ** 30],
    ['1TiB', 2 ** 40],
    ['1.5GB', 1_500_000_000],
    ['0.5KiB', 512],
    ['5 gb', 5e9],
    ['100B', 100],
  ];
  for (const [text, bytes] of cases) assert.deepEqual(parseSize(text), { ok: true, value: bytes }, text);
});

test('sizes: unknown units, negatives, fractions of a byte and overflow are refused', () => {
  const hint = 'expected a size like "5GB" or a number of bytes';
  const cases: Array<[string, string]> = [
    ['5 gigs', hint],
    ['5G', hint],
    ['GB', hint],
    ['', hint],
    ['1e9', hint],
    ['-1', 'must not be negative'],
    ['-5GB', 'must not be negative'],
    ['1.5B', '"1.5B" is not a whole number of bytes'],
    ['9000PiB', '"9000PiB" is too large'],
  ];
  for (const [text, problem] of cases) assert.deepEqual(parseSize(text), { ok: false, problem }, text);
});

test('sizes and durations in the file, with their key paths', () => {
  assert.equal(configAfter((d) => (d.server = { max_object_size: '5GB' })).config.server.maxObjectSize, 5e9);
  assert.equal(configAfter((d) => (d.server = { max_object_size: 1024 })).config.server.maxObjectSize, 1024);
  assert.equal(configAfter((d) => (d.server = { backend_timeout: '2m' })).config.server.backendTimeoutMs, 120_000);
  assert.deepEqual(
    problemsAfter((d) => {
      d.server = { max_object_size: '5 gigs', backend_timeout: 30, shutdown_delay: '-1s', replay_buffer_bytes: '1.5B' };
      d.bus = { retention: '0s' };
      d.cleanup_queue = { tick: '10' };
    }),
    [
      'server.max_object_size: expected a size like "5GB" or a number of bytes',
      'server.replay_buffer_bytes: "1.5B" is not a whole number of bytes',
      'server.backend_timeout: expected a duration with a unit, like "30s" (a bare number is ambiguous)',
      'server.shutdown_delay: must not be negative',
      'bus.retention: must be greater than 0',
      'cleanup_queue.tick: expected a duration with a unit, like "30s" (a bare number is ambiguous)',
    ],
  );
  assert.deepEqual(problemsAfter((d) => (d.server = { max_object_size: 0 })), ['server.max_object_size: must be greater than 0']);
});
