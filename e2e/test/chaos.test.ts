// Issue 16, the chaos suite's CI profile: a short seeded run (single mode, three clients,
// about 25 s of mixed load) with three faults drawn from the harshest kinds — a backend
// killed and restarted, frozen past the backend timeout, partitioned, or answering 5xx
// through the fault proxy — and then the whole verdict: every key reads back as last
// acknowledged, `admin verify` ok with nothing leaked or missing, the cleanup queue drained,
// no open intent or upload, every object back at the factor, every process alive.
// `npm run chaos` runs the longer profiles (docs/reliability.md). The seed is fixed, so a
// failure here replays with the command the failure prints.
//
// The run is `npm run chaos` itself, in a child process the test can always end: run inside
// the test process, a passing run once left that process busy and alive on a loaded
// machine (cause not found), which would hold up CI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ChaosReport } from '../src/chaos/run.js';

const SEED = Number(process.env.S3O_CHAOS_SEED ?? 160_016);
const DEADLINE_MS = 240_000;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/chaos/main.ts', import.meta.url));

test('chaos CI profile: faults under load lose nothing and leak nothing', { timeout: DEADLINE_MS + 10_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-chaos-ci-'));
  try {
    const json = join(dir, 'report.json');
    const child = spawn(process.execPath, [
      '--conditions=source', '--import', 'tsx', MAIN, '--profile', 'ci', '--seed', String(SEED),
      '--faults-only', 'kill-restart,freeze-long,partition,http-errors,resets', '--json', json,
    ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    for (const line of output.split('\n').filter((l) => /^(chaos run|operations|faults|during|outside|client errors|keys|data lost|settled|dead letters|verdict|  )/.test(l))) t.diagnostic(line);
    const report = JSON.parse(await readFile(json, 'utf8').catch(() => 'null')) as ChaosReport | null;
    assert.ok(report, `the run wrote no report (exit ${code}):\n${output.slice(-3000)}`);
    assert.equal(report.schedule.length, 3, 'the schedule holds the faults asked for');
    // That the load ran, not how fast: on the shared machine at load average 55 the 25 s got
    // through 23 operations (61 at 20–25, ~500 unloaded).
    assert.ok(report.ops.total >= 10, `the load ran (${report.ops.total} operations)`);
    assert.equal(report.faultLog.filter((l) => l.includes('healed')).length, 3, `every fault was applied and healed:\n${report.faultLog.join('\n')}`);
    assert.equal(report.verdict.lost, 0, 'no key lost');
    assert.equal(report.verdict.leakedBytes, 0, 'no bytes leaked');
    assert.ok(report.ok, `${report.verdict.failures.join('\n')}\n${output.slice(-2000)}`);
    assert.equal(code, 0, `npm run chaos exited with ${code}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
