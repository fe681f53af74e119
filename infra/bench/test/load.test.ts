// runLoad's warm-up is not measured: the caller learns when measuring starts, and counts only
// what comes after (the bench's CPU windows open there; infra/bench/src/run.ts measureSlice).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLoad } from '../src/load.js';

test('the warm-up runs first, then onMeasureStart, then the counted operations', async () => {
  const log: string[] = [];
  let measuring = false;
  const result = await runLoad({
    concurrency: 2,
    durationMs: 0,
    minOps: 3,
    warmupMs: 30,
    onMeasureStart: () => {
      assert.equal(measuring, false, 'called once');
      measuring = true;
      log.push('start');
    },
    op: async () => {
      log.push(measuring ? 'measured' : 'warm-up');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 10;
    },
  });
  assert.ok(log.indexOf('start') > 0, 'warm-up operations ran before measuring started');
  assert.ok(!log.slice(log.indexOf('start')).includes('warm-up'), 'no warm-up operation after measuring started');
  assert.equal(result.ops, log.filter((e) => e === 'measured').length);
  assert.equal(result.bytes, 10 * result.ops);
});

test('without a warm-up, measuring starts before the first operation', async () => {
  const log: string[] = [];
  await runLoad({ concurrency: 1, durationMs: 0, minOps: 1, onMeasureStart: () => log.push('start'), op: async () => (log.push('op'), 0) });
  assert.deepEqual(log, ['start', 'op']);
});
