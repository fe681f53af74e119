// A real browser for the dashboard tests: Debian's chromium driven by playwright-core (no
// browser is downloaded; infra/ensure-chromium.sh installs the package, and `npm test`
// runs it first for the dashboard tests). Screenshots land in the run's artifacts folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** S3O_CHROMIUM, else the one infra/ensure-chromium.sh finds or installs. */
export function chromiumPath(): string {
  if (process.env['S3O_CHROMIUM']) return process.env['S3O_CHROMIUM'];
  const found = spawnSync('bash', [join(REPO, 'infra', 'ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = found.stdout.trim().split('\n').pop();
  if (found.status !== 0 || !path) throw new Error('chromium is not available (infra/ensure-chromium.sh failed)');
  return path;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: tests run as root in CI, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** Where screenshots go: S3O_TEST_ARTIFACTS, else test-artifacts/ in the repository (ignored by git). */
export function artifactsDir(name: string): string {
  const dir = join(process.env['S3O_TEST_ARTIFACTS'] ?? join(REPO, 'test-artifacts'), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
