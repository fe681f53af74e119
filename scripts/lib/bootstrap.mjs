// Makes a fresh clone runnable: installs dependencies when they are missing or were
// installed from another package-lock.json, then builds (tsc -b is incremental: near
// instant when nothing changed). Plain JavaScript with no dependencies, because it runs
// before any exist.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The hash of the package-lock.json node_modules was last installed from. */
const INSTALLED_LOCK = join(ROOT, 'node_modules', '.s3o-installed-lock');

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

function lockHash() {
  return createHash('sha256').update(readFileSync(join(ROOT, 'package-lock.json'))).digest('hex');
}

export function bootstrap({ quiet = false } = {}) {
  const wanted = lockHash();
  if (!existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) {
    if (!quiet) console.error('[s3o] installing dependencies (npm ci; better-sqlite3 compiles from source, ~2 min)…');
    run('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
    writeFileSync(INSTALLED_LOCK, wanted);
  } else if (!existsSync(INSTALLED_LOCK) || readFileSync(INSTALLED_LOCK, 'utf8') !== wanted) {
    // node_modules exists but may predate the lock file: bring it in line without
    // wiping it (npm install is a no-op when it already matches).
    if (!quiet) console.error('[s3o] syncing dependencies with package-lock.json (npm install)…');
    run('npm', ['install', '--no-audit', '--no-fund'], 'npm install');
    writeFileSync(INSTALLED_LOCK, wanted);
  }
  if (!quiet) console.error('[s3o] building (tsc -b)…');
  run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b'], 'build');
}
