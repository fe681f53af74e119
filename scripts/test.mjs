// `npm test`: installs and builds when needed, makes sure PostgreSQL and NATS JetStream
// are up (infra/ensure-services.sh starts them when they are not), then runs every test
// file with node's test runner. `npm test -- PATTERN` runs only files whose path contains PATTERN;
// `npm test -- '!PATTERN'` leaves out the files whose path contains it.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, bootstrap } from './lib/bootstrap.mjs';

bootstrap();

const services = spawnSync('bash', [join(ROOT, 'infra', 'ensure-services.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (services.status !== 0) {
  console.error('PostgreSQL / NATS could not be made available for the tests (infra/ensure-services.sh failed).');
  process.exit(services.status ?? 1);
}
const env = { ...process.env };
for (const line of services.stdout.split('\n')) {
  const m = /^(S3O_TEST_(?:PG|NATS)_URL)=(.+)$/.exec(line.trim());
  if (m && !env[m[1]]) env[m[1]] = m[2];
}

function testFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...testFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('!'));
const excluded = args.filter((a) => a.startsWith('!')).map((a) => a.slice(1));
const files = ['shared', 'services', 'e2e', 'infra', 'fuzz', 'scripts']
  .flatMap((d) => testFiles(join(ROOT, d)))
  .map((f) => relative(ROOT, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .filter((f) => !excluded.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The dashboard's browser tests drive Debian's chromium: installed here when missing (apt, never a browser download).
if (files.some((f) => f.includes('dashboard')) && !env.S3O_CHROMIUM) {
  const browser = spawnSync('bash', [join(ROOT, 'infra', 'ensure-chromium.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (browser.status !== 0) {
    console.error('chromium could not be made available for the browser tests (infra/ensure-chromium.sh failed).');
    process.exit(browser.status ?? 1);
  }
  env.S3O_CHROMIUM = browser.stdout.trim().split('\n').pop();
}
// TAP when the output is not a terminal (CI reads its closing counts) on every Node version:
// Node 20 picks it by itself, Node 24 would print the spec reporter's lines.
const reporter = process.stdout.isTTY ? [] : ['--test-reporter=tap'];
const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--test', ...reporter, '--test-concurrency=2', ...files], { cwd: ROOT, stdio: 'inherit', env });
process.exit(r.status ?? 1);
