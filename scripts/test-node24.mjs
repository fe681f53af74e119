#!/usr/bin/env node
// `npm run test:node24 [-- PATTERN...]`: the test suite (or the files matching PATTERN, as
// `npm test` takes them) under Node.js 24 on a machine whose own Node is another version.
// Node 24 comes from scripts/lib/node24.mjs. The one native addon, better-sqlite3, is built once
// for Node 24's ABI into the same cache and put in place of the installed build for the run
// only: the installed one is moved aside and restored afterwards (also after a run that was
// killed — the next run restores it first), so `npm start` and `npm test` on the machine's own
// Node keep working.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { ROOT, bootstrap } from './lib/bootstrap.mjs';
import { cacheDir, ensureNode24, fail } from './lib/node24.mjs';

bootstrap();
const cache = cacheDir();
const node24 = ensureNode24(cache);
const addonDir = join(ROOT, 'node_modules', 'better-sqlite3');
const installed = join(addonDir, 'build', 'Release', 'better_sqlite3.node');
const aside = `${installed}.host`;

// A run that was killed left the machine's own build aside: put it back first.
if (existsSync(aside)) renameSync(aside, installed);

const abi = spawnSync(join(node24.bin, 'node'), ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
const addonVersion = JSON.parse(readFileSync(join(addonDir, 'package.json'), 'utf8')).version;
const built = join(cache, `better_sqlite3-${addonVersion}-abi${abi}.node`);
if (!existsSync(built)) buildAddon();

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

/** Compiles better-sqlite3 against Node 24's headers in a scratch copy (~1–2 min), into the cache. */
function buildAddon() {
  const gyp = join(dirname(dirname(realpathSync(whichNpm()))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) fail(`node-gyp not found beside npm (${gyp})`);
  const work = mkdtempSync(join(cache, 'addon-'));
  try {
    process.stderr.write(`[s3o] building better-sqlite3 ${addonVersion} for Node ${node24.version} (once; ~2 min)…\n`);
    cpSync(addonDir, work, { recursive: true, filter: (src) => !src.startsWith(join(addonDir, 'build')) });
    // npm run passes its own nodedir config (e.g. /usr from a system npmrc) as npm_config_nodedir,
    // which node-gyp prefers to --nodedir: both must name Node 24's headers.
    const env = { ...process.env, npm_config_nodedir: node24.home };
    const r = spawnSync(join(node24.bin, 'node'), [gyp, 'rebuild', '--release', `--nodedir=${node24.home}`], { cwd: work, env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) fail(`building better-sqlite3 for Node 24 failed (exit ${r.status ?? r.signal})`);
    copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), `${built}.partial`);
    renameSync(`${built}.partial`, built);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function whichNpm() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return fail('npm is not on PATH');
}
