import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { HEAP_FLOOR_FLAG, heapFloorWarning, MALLOC_TRIM_BYTES, mallocWarning, runningGlibc, withMallocTunables } from '../src/allocator.js';

const OURS = `glibc.malloc.trim_threshold=${MALLOC_TRIM_BYTES}`;

test('the trim threshold is added to whatever tunables the environment sets', () => {
  assert.equal(withMallocTunables(undefined), OURS);
  assert.equal(withMallocTunables(''), OURS);
  assert.equal(withMallocTunables('glibc.malloc.arena_max=2'), `glibc.malloc.arena_max=2:${OURS}`);
});

test("an operator's own trim threshold wins", () => {
  assert.equal(withMallocTunables('glibc.malloc.trim_threshold=1048576'), 'glibc.malloc.trim_threshold=1048576');
  assert.equal(withMallocTunables('glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0'), 'glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0');
});

test('a process on glibc without a trim threshold is warned, naming the setting', () => {
  const glibc = () => '2.36';
  const warning = mallocWarning('glibc.malloc.arena_max=2', glibc);
  assert.ok(warning?.includes(`GLIBC_TUNABLES=glibc.malloc.arena_max=2:${OURS}`), warning ?? 'no warning');
  const unasked = () => assert.fail('the libc is asked only when the threshold is missing');
  assert.equal(mallocWarning(OURS, unasked), null);
  assert.equal(mallocWarning('glibc.malloc.trim_threshold=1', unasked), null);
  assert.equal(mallocWarning(undefined, () => null), null, 'musl or another libc: nothing to say');
});

test('this machine reports its glibc', () => {
  if (process.platform !== 'linux') return;
  assert.match(runningGlibc() ?? '', /^\d+\.\d+/);
});

test('the Docker image sets the same threshold', () => {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
  assert.match(dockerfile, new RegExp(`^ENV GLIBC_TUNABLES=${OURS}$`, 'm'));
});

test('a process without a floor on the old generation is warned; any value of the flag, ours or not, counts', () => {
  assert.match(heapFloorWarning(['--enable-source-maps']) ?? '', /node --initial-old-space-size=64/);
  assert.equal(heapFloorWarning([HEAP_FLOOR_FLAG]), null);
  assert.equal(heapFloorWarning(['--initial-old-space-size=256']), null);
  assert.match(heapFloorWarning(['--initial-old-space-size-x=1']) ?? '', /without --initial-old-space-size/, 'another flag with the same start is not the floor');
});

test('the Docker image and npm start pass the same floor to Node', () => {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
  assert.match(dockerfile, new RegExp(`^ENTRYPOINT \\["node", "${HEAP_FLOOR_FLAG}", "services/cli/dist/main.js"\\]$`, 'm'));
  const start = readFileSync(new URL('../../../scripts/start.mjs', import.meta.url), 'utf8');
  assert.match(start, /spawn\(process\.execPath, \[HEAP_FLOOR_FLAG, cli, 'serve'/);
});
