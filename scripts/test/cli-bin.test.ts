// `npx s3-orchestrator …` works in a clone once it is installed and built, and never looks for
// a package of that name elsewhere: the bin is a committed, executable file (npm links it on
// install, before any build) that both the root and the CLI package name.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = 'services/cli/bin/s3-orchestrator.mjs';

test('the bin is committed executable, named by the root and the CLI package', () => {
  const staged = execFileSync('git', ['ls-files', '-s', BIN], { cwd: ROOT, encoding: 'utf8' });
  assert.match(staged, /^100755 /, `${BIN} must be committed with its executable bit: ${staged}`);
  assert.ok((statSync(join(ROOT, BIN)).mode & 0o111) !== 0);
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const cli = JSON.parse(readFileSync(join(ROOT, 'services/cli/package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(root.bin['s3-orchestrator'], BIN);
  assert.equal(join('services/cli', cli.bin['s3-orchestrator']!), BIN);
});

test('npx --no-install s3-orchestrator --help prints the usage and exits 0', () => {
  const r = spawnSync('npx', ['--no-install', 's3-orchestrator', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: s3-orchestrator <command>/);
  assert.match(r.stdout, /admin VERB/);
});
