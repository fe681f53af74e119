// How admin commands print: progress redrawn on a terminal, plain lines of the counts
// elsewhere (a pipe or file gets no redraws), aligned tables, sizes for people.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { bytes, ofLimit, Progress, table } from '../src/admin/output.js';

function sink(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const out = new Writable({ write: (chunk, _enc, done) => { out.text += chunk.toString(); done(); } }) as Writable & { text: string; isTTY: boolean };
  out.text = '';
  out.isTTY = isTTY;
  return out as unknown as NodeJS.WriteStream & { text: string };
}

test('progress is drawn in place on a terminal and cleared before the result', () => {
  const tty = sink(true);
  const p = new Progress(tty, 'replicate');
  p.update(1000);
  p.update(2000);
  p.done();
  assert.equal(tty.text.split('\r').filter((s) => s.startsWith('replicate [')).length, 2);
  assert.match(tty.text, /replicate \[.{23}\] 2s/);
  assert.ok(tty.text.endsWith('\r\x1b[2K'), 'the line is cleared');
});

test('progress without counts writes nothing when the output is not a terminal', () => {
  const pipe = sink(false);
  const p = new Progress(pipe, 'replicate');
  p.update(1000);
  p.done();
  assert.equal(pipe.text, '');
});

test('progress counts: on a terminal beside the bar; elsewhere one plain line each time they change', () => {
  const tty = sink(true);
  const bar = new Progress(tty, 'rebalance');
  bar.update(1000, { planned: 4, moved: 1, bytes: 2048, failed: 0 });
  assert.match(tty.text, /rebalance \[.{23}\] 1s {2}planned 4, moved 1, bytes 2\.0 KiB, failed 0\x1b\[K$/);

  const pipe = sink(false);
  const p = new Progress(pipe, 'rebalance');
  p.update(1000, { planned: 4, moved: 1, failed: 0 });
  p.update(2000, { planned: 4, moved: 1, failed: 0 });
  p.update(3000, { planned: 4, moved: 3, failed: 1 });
  p.done();
  assert.equal(pipe.text, 'rebalance: 1s: planned 4, moved 1, failed 0\nrebalance: 3s: planned 4, moved 3, failed 1\n');
});

test('tables align their columns; sizes and limits read as people write them', () => {
  assert.equal(table(['A', 'LONGER'], [['x', 1], ['yyyy', null]]), 'A     LONGER\nx     1\nyyyy  -\n');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(40 * 1024 * 1024), '40.0 MiB');
  assert.equal(ofLimit(3, 0), '3 / unlimited');
  assert.equal(ofLimit(2048, 4096, bytes), '2.0 KiB / 4.0 KiB');
});
