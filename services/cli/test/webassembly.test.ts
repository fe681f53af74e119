// The default CRC64NVME of every PUT runs in WebAssembly (@s3o/s3 crc64nvme.ts). Node started
// with --jitless has none: the CLI must refuse to start a service and say why, instead of
// starting and failing every PUT that sends no checksum of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../infra/demo/demo-config.yaml', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('S3O_')));

test('without WebAssembly (--jitless) `serve` exits 1 before it opens anything, naming the cause', () => {
  const run = spawnSync(process.execPath, ['--jitless', '--conditions=source', '--import', 'tsx', MAIN, 'serve', '--config', DEMO], {
    cwd: REPO, encoding: 'utf8', env: cleanEnv(), timeout: 60_000,
  });
  assert.equal(run.status, 1, `exit ${run.status}: ${run.stderr}`);
  const out = run.stdout + run.stderr;
  assert.match(out, /cannot start: this Node process has no WebAssembly \(was it started with --jitless\?\)/);
  assert.doesNotMatch(out, /listening/i, 'it must not have started serving');
});
