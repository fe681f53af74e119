// `npm run bench -- --quick` end to end: backends, proxy and gateway processes, every
// scenario on every side, the table files. Only completion and the presence of every row are asserted —
// never a timing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { benchMain, QUICK_PROFILE, scenarioPlan, type BenchReport, type SideResult } from '../src/index.js';

const CLI_MAIN = fileURLToPath(new URL('../../../services/cli/dist/main.js', import.meta.url));

test('a quick run completes and writes JSON and markdown tables with every scenario row', { timeout: 240_000 }, async () => {
  // The gateway under test is the compiled CLI (`npm test` builds it first).
  assert.ok(existsSync(CLI_MAIN), `${CLI_MAIN} is missing: build first (npx tsc -b)`);
  const out = await mkdtemp(join(tmpdir(), 's3o-bench-test-'));
  try {
    let printed = '';
    const result = await benchMain(['--quick', '--out', out], (text) => (printed += text));
    assert.equal(result.exitCode, 0, printed);
    assert.ok(result.files && result.report);

    const written = (await readdir(out)).sort();
    assert.deepEqual(written, [basename(result.files.json), basename(result.files.markdown)].sort());
    assert.match(basename(result.files.json), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[0-9a-z]+\.json$/);

    const report = JSON.parse(await readFile(result.files.json, 'utf8')) as BenchReport;
    const markdown = await readFile(result.files.markdown, 'utf8');
    assert.equal(report.profile.name, 'quick');
    assert.ok(report.machine.cores > 0 && report.machine.memoryBytes > 0 && report.machine.node.startsWith('v'));

    const plan = scenarioPlan(QUICK_PROFILE);
    const expected = plan.flatMap((p) => p.scenarios.map((s) => ({ backend: p.backend, scenario: s })));
    assert.equal(report.rows.length, expected.length);
    for (const { backend, scenario } of expected) {
      const row = report.rows.find((r) => r.scenarioId === scenario.id && r.backend === backend);
      assert.ok(row, `no row for ${scenario.id} on ${backend}`);
      for (const side of ['direct', 'proxy', 'gateway'] as const) {
        const measured: SideResult | null = row[side];
        if (scenario.sides.includes(side)) assert.ok(measured && measured.ops > 0, `${scenario.id} on ${backend}: no ${side} figure`);
        else assert.equal(measured, null);
      }
      assert.ok(row.gateway!.peakRssBytes! > 0, `${scenario.id} on ${backend}: no gateway RSS`);
      assert.ok(Number.isInteger(row.gateway!.hopMinorFaults) && row.gateway!.hopMinorFaults! >= 0, `${scenario.id} on ${backend}: no gateway page faults`);
      assert.ok(row.gateway!.hopOffMainCpuSeconds! >= 0 && row.gateway!.hopOffMainCpuSeconds! <= row.gateway!.cpuSeconds.hop!, `${scenario.id} on ${backend}: off-main CPU missing or above the hop's`);
      if (row.direct) assert.equal(row.direct.hopMinorFaults, null, 'direct has no hop, so no hop faults');
      if (scenario.sides.includes('proxy')) {
        assert.ok(row.cpu.gateway && row.cpu.proxy, `${scenario.id} on ${backend}: no CPU per operation`);
        assert.equal(row.cpu.unit, scenario.metric === 'throughput' ? 'ms/MB' : 'µs/op');
      }
      assert.ok(markdown.includes(`| ${scenario.title} | ${backend} |`), `markdown lacks the row ${scenario.title} / ${backend}`);
      assert.ok(printed.includes(scenario.title), `console table lacks ${scenario.title}`);
    }
    assert.ok(report.calibration.md5MsPerMB > 0);
    assert.ok(markdown.includes('| CPU gateway/proxy |'), 'markdown lacks the CPU columns');
    assert.ok(markdown.includes('## Page faults and helper threads (throughput rows)'), 'markdown lacks the page-fault table');
    const seeded = report.backends.find((b) => b.seed !== null);
    assert.equal(seeded?.seed?.objects, QUICK_PROFILE.list.objects);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
