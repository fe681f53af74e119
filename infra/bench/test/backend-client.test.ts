// `npm run bench -- --quick --scenarios backend-client` end to end: the sink in its own
// process, our backend client and the AWS SDK against it, the table files. Only completion
// and the presence of every row with figures for both clients are asserted — never a timing
// or which client is faster.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { backendClientScenarios, benchMain, QUICK_PROFILE, type BackendClientReport } from '../src/index.js';

test('the backend-client comparison runs both clients through every scenario and writes its tables', { timeout: 120_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 's3o-bench-client-test-'));
  try {
    let printed = '';
    const result = await benchMain(['--quick', '--scenarios', 'backend-client', '--out', out], (text) => (printed += text));
    assert.equal(result.exitCode, 0, printed);
    // Only the comparison was asked for: no gateway run.
    assert.equal(result.report, null);
    assert.ok(result.clientFiles && result.clientReport);

    const written = (await readdir(out)).sort();
    assert.deepEqual(written, [basename(result.clientFiles.json), basename(result.clientFiles.markdown)].sort());
    assert.match(basename(result.clientFiles.json), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[0-9a-z]+-backend-client\.json$/);

    const report = JSON.parse(await readFile(result.clientFiles.json, 'utf8')) as BackendClientReport;
    const markdown = await readFile(result.clientFiles.markdown, 'utf8');
    assert.equal(report.profile, 'quick');
    assert.ok(report.machine.cores > 0 && report.machine.node.startsWith('v'));
    const expected = backendClientScenarios(QUICK_PROFILE);
    assert.deepEqual(report.rows.map((r) => r.scenarioId), expected.map((s) => s.id));
    for (const row of report.rows) {
      for (const client of ['ours', 'sdk'] as const) {
        const r = row[client];
        assert.ok(r.ops > 0 && r.errors === 0, `${row.title}, ${client}: ${r.ops} ops, ${r.errors} errors (${r.firstError})`);
        assert.equal(r.bytes, r.ops * row.objectBytes, `${row.title}, ${client}: every operation moves the whole object`);
        assert.ok(r.clientCpuUsPerOp !== null && r.clientCpuUsPerOp > 0, `${row.title}, ${client}: no client CPU figure`);
      }
      assert.ok(row.ratio !== null && row.cpuRatio !== null);
      assert.ok(markdown.includes(`| ${row.title} |`), `markdown lacks the row ${row.title}`);
      assert.ok(printed.includes(row.title), `console table lacks ${row.title}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('an unknown scenario id is refused before anything runs', async () => {
  let printed = '';
  const result = await benchMain(['--quick', '--scenarios', 'backend-client,no-such-scenario'], (text) => (printed += text));
  assert.equal(result.exitCode, 1);
  assert.match(printed, /unknown scenario id\(s\): no-such-scenario/);
  assert.equal(result.clientReport, undefined);
});
