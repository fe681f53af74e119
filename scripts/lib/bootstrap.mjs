// Makes a fresh clone runnable: installs dependencies when they are missing or older
// than package-lock.json, then builds (tsc -b is incremental: near-instant when nothing
// changed). Plain JavaScript with no dependencies, because it runs before any exist.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

function needsInstall() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return statSync(join(ROOT, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
}

export function bootstrap({ quiet = false } = {}) {
  if (needsInstall()) {
    if (!quiet) console.error('[s3o] installing dependencies (npm ci; better-sqlite3 compiles from source, ~2 min)…');
    run('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
  }
  if (!quiet) console.error('[s3o] building (tsc -b)…');
  run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-b'], 'build');
}
