#!/usr/bin/env node
// `npm run test:node24 [-- PATTERN...]`: the test suite (or the files matching PATTERN, as
// `npm test` takes them) under Node.js 24 on a machine whose own Node is another version.
// Node 24 comes from scripts/lib/node24.mjs. The one native addon, better-sqlite3, is built once
// for Node 24's ABI into the same cache and put in place of the installed build for the run
// only: the installed one is moved aside and restored afterwards (also after a run that was
// killed — the next run restores it first), so `npm start` and `npm test` on the machine's own
// Node keep working.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT, bootstrap } from './lib/bootstrap.mjs';
import { cacheDir, ensureNode24, ensureNode24Addon } from './lib/node24.mjs';

bootstrap();
const cache = cacheDir();
const node24 = ensureNode24(cache);
const addonDir = join(ROOT, 'node_modules', 'better-sqlite3');
const installed = join(addonDir, 'build', 'Release', 'better_sqlite3.node');
const aside = `${installed}.host`;

// A run that was killed left the machine's own build aside: put it back first.
if (existsSync(aside)) renameSync(aside, installed);

const built = ensureNode24Addon(cache, node24, addonDir);

renameSync(installed, aside);
let status = 1;
try {
  copyFileSync(built, installed);
  const env = { ...process.env, PATH: `${node24.bin}${delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: node24.home };
  process.stderr.write(`[s3o] tests under Node ${node24.version}\n`);
  const run = spawnSync(join(node24.bin, 'node'), [join(ROOT, 'scripts', 'test.mjs'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env });
  status = run.status ?? 1;
} finally {
  rmSync(installed, { force: true });
  renameSync(aside, installed);
}
process.exit(status);
