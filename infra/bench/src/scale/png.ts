// SVG → PNG for the docs: Debian's chromium (infra/ensure-chromium.sh finds or installs it)
// driven by playwright-core, as the dashboard's browser tests do; no browser is downloaded.
// Without chromium the chart stays an SVG and the run says so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';

function chromiumPath(): string | null {
  if (process.env['S3O_CHROMIUM']) return process.env['S3O_CHROMIUM'];
  const found = spawnSync('bash', [join(REPO_ROOT, 'infra', 'ensure-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = found.stdout.trim().split('\n').pop();
  return found.status === 0 && path ? path : null;
}

/** Renders `svg` (with its own width/height) to `file`; false when no chromium could be had. */
export async function renderSvgToPng(svg: string, file: string, log: (line: string) => void = () => {}): Promise<boolean> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    log('[scale] no chromium: the chart is written as SVG only');
    return false;
  }
  // playwright-core is the e2e package's dependency (hoisted); loaded only here.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const width = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 1200);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 400);
    const page = await browser.newPage({ viewport: { width, height } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width, height } });
    return true;
  } finally {
    await browser.close();
  }
}
