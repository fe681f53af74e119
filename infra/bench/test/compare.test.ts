// CPU per operation and `--compare`: the arithmetic of the cost columns and of the change
// against a base run, on result files written the way a run writes them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchMain, compareReports, rowCpu, type BenchReport, type ResultRow, type SideResult } from '../src/index.js';

function side(ops: number, bytes: number, hopCpuSeconds: number | null): SideResult {
  const latency = { p50Ms: 1, p99Ms: 2, maxMs: 3, meanMs: 1 };
  return {
    ops, errors: 0, firstError: null, bytes, seconds: 2, opsPerSec: ops / 2, mbPerSec: bytes / 2 / 1e6, latency, timeToLastByte: null,
    cpuSeconds: { client: 0.5, backend: 0.25, hop: hopCpuSeconds }, peakRssBytes: hopCpuSeconds === null ? null : 1 << 27, peakRssSource: 'VmHWM',
  };
}

function row(id: string, metric: 'ops' | 'throughput', gateway: SideResult, proxy: SideResult): ResultRow {
  const r = {
    scenarioId: id, title: id, metric, backend: 'sink' as const, gatewayChecksums: 'when-required' as const,
    direct: side(proxy.ops, proxy.bytes, null), proxy, gateway,
    ratio: null, ratioToProxy: metric === 'ops' ? gateway.opsPerSec / proxy.opsPerSec : gateway.mbPerSec / proxy.mbPerSec,
  };
  return { ...r, cpu: rowCpu(r) };
}

function report(rows: ResultRow[], hash: string): BenchReport {
  return {
    format: 1, profile: { name: 'cpu' } as BenchReport['profile'], mode: { name: 'single-process', description: '' },
    startedAt: '2026-12-06T00:00:00.000Z', finishedAt: '2026-12-06T00:01:00.000Z', commit: { hash, dirty: false },
    machine: { cores: 2, cpuModel: 'x', memoryBytes: 1, node: 'v20', os: 'Linux', loadAverageAtStart: 1 }, calibration: { md5MsPerMB: 1.5 },
    loadAverageAtEnd: 1, client: 'sdk', backends: [], rows,
  };
}

test('CPU per operation is the hop\'s CPU per op (µs) or per MB (ms), and gateway ÷ proxy', () => {
  // 1,000 PUTs: gateway 3 s of CPU, proxy 1 s → 3,000 vs 1,000 µs/op.
  const small = row('put-small-c16', 'ops', side(1000, 4096 * 1000, 3), side(1000, 4096 * 1000, 1));
  assert.equal(small.cpu.unit, 'µs/op');
  assert.equal(small.cpu.gateway!.perUnit, 3000);
  assert.equal(small.cpu.proxy!.perUnit, 1000);
  assert.equal(small.cpu.ratio, 3);
  assert.equal(small.cpu.gateway!.coarse, false); // 300 ticks
  assert.equal(small.cpu.proxy!.coarse, false); // exactly 100 ticks
  // 10 × 64 MB GET: gateway 1.6 s, proxy 0.64 s → 2.5 vs 1.0 ms/MB; 64 ticks is coarse.
  const large = row('get-large-c1', 'throughput', side(10, 64e7, 1.6), side(10, 64e7, 0.64));
  assert.equal(large.cpu.unit, 'ms/MB');
  assert.ok(Math.abs(large.cpu.gateway!.perUnit - 2.5) < 1e-9);
  assert.ok(Math.abs(large.cpu.ratio! - 2.5) < 1e-9);
  assert.equal(large.cpu.proxy!.coarse, true);
  // Direct has no hop: no CPU figure.
  assert.equal(rowCpu({ metric: 'ops', gateway: side(1, 1, null), proxy: null }).gateway, null);
});

test('--compare prints the change of every row against a base run; rows without CPU columns are recomputed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-bench-compare-'));
  try {
    const baseRows = [row('put-small-c16', 'ops', side(1000, 4096e3, 4), side(1000, 4096e3, 1))];
    // A run written before the CPU columns existed: no `cpu` on its rows, no calibration.
    const legacy = report(baseRows, 'aaaaaaa') as Partial<BenchReport>;
    legacy.rows = baseRows.map(({ cpu: _cpu, ...rest }) => rest as ResultRow);
    delete legacy.calibration;
    const now = report([
      row('put-small-c16', 'ops', side(1500, 4096 * 1500, 3), side(1500, 4096 * 1500, 1.5)),
      row('head-small-c16', 'ops', side(100, 0, 1), side(100, 0, 1)),
    ], 'bbbbbbb');
    const baseFile = join(dir, 'base.json');
    const nowFile = join(dir, 'now.json');
    await writeFile(baseFile, JSON.stringify(legacy));
    await writeFile(nowFile, JSON.stringify(now));

    const c = compareReports(legacy as BenchReport, baseFile, now);
    assert.equal(c.rows.length, 1);
    const r = c.rows[0]!;
    assert.deepEqual([r.gatewayCpu!.base, r.gatewayCpu!.now], [4000, 2000]);
    assert.equal(r.gatewayCpu!.relative, -0.5);
    assert.deepEqual([r.cpuRatio!.base, r.cpuRatio!.now], [4, 2]);
    assert.equal(r.figure!.relative, 0.5); // 500 → 750 ops/s
    assert.deepEqual(c.unmatched, ['head-small-c16 (sink)']);

    let printed = '';
    const result = await benchMain(['--compare', baseFile, '--against', nowFile], (t) => (printed += t));
    assert.equal(result.exitCode, 0, printed);
    assert.match(printed, /put-small-c16\s+sink\s+500 → 750 ops\/s \(\+50 %\)\s+4,000 → 2,000 µs\/op \(-50 %\)\s+4\.00 → 2\.00 \(-50 %\)/);
    assert.match(printed, /not in the base run: head-small-c16 \(sink\)/);

    printed = '';
    const refused = await benchMain(['--against', nowFile], (t) => (printed += t));
    assert.equal(refused.exitCode, 1);
    assert.match(printed, /--against needs --compare/);
    const bad = await benchMain(['--compare', join(dir, 'missing.json'), '--against', nowFile], (t) => (printed += t));
    assert.equal(bad.exitCode, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
