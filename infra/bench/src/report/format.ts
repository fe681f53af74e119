// Renders a run as the console table and as the markdown document kept with the results.
import { formatSize } from '../profiles.js';
import { checkGoals } from './goals.js';
import type { HopCpu } from './cpu.js';
import type { BenchReport, ResultRow, SideResult } from './model.js';

const MiB = 1024 * 1024;
const HEADERS = [
  'Scenario', 'Backend', 'Direct', 'Pass-through proxy', 'Gateway', 'Gateway/direct', 'Gateway/proxy',
  'Gateway CPU', 'Proxy CPU', 'CPU gateway/proxy', 'Gateway peak RSS',
];

function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number): string {
  return `${num(value, value < 10 ? 2 : 1)} ms`;
}

/** The headline figure of one side, in the row's metric. */
export function sideCell(row: ResultRow, side: SideResult | null): string {
  if (!side) return '—';
  let text: string;
  switch (row.metric) {
    case 'ops':
      text = `${num(side.opsPerSec, 0)} ops/s · p50 ${ms(side.latency.p50Ms)} · p99 ${ms(side.latency.p99Ms)}`;
      break;
    case 'throughput':
      text = `${num(side.mbPerSec, 1)} MB/s`;
      break;
    case 'latency': {
      const ttlb = side.timeToLastByte;
      text = `p50 ${ms(side.latency.p50Ms)} · p99 ${ms(side.latency.p99Ms)}` +
        (ttlb ? ` (to last byte: p50 ${ms(ttlb.p50Ms)} · p99 ${ms(ttlb.p99Ms)})` : '');
      break;
    }
  }
  return side.errors ? `${text} · ${side.errors} errors` : text;
}

/** `412 µs/op`, `3.10 ms/MB`; `~` marks a figure from fewer than 100 clock ticks (see infra/bench/src/report/cpu.ts). */
export function cpuCell(cpu: HopCpu | null, unit: string): string {
  if (!cpu) return '—';
  return `${cpu.coarse ? '~' : ''}${num(cpu.perUnit, unit === 'ms/MB' ? 2 : 0)} ${unit}`;
}

export function tableCells(row: ResultRow): string[] {
  const peak = row.gateway?.peakRssBytes;
  const ratio = (r: number | null) => (r === null ? '—' : num(r, 2));
  const { cpu } = row;
  return [
    row.title,
    row.backend,
    sideCell(row, row.direct),
    sideCell(row, row.proxy),
    sideCell(row, row.gateway),
    ratio(row.ratio),
    ratio(row.ratioToProxy),
    cpuCell(cpu.gateway, cpu.unit),
    cpuCell(cpu.proxy, cpu.unit),
    ratio(cpu.ratio),
    peak == null ? '—' : `${num(peak / MiB, 1)} MiB`,
  ];
}

/** Plain-text table for the console. */
export function renderTextTable(report: BenchReport): string {
  const rows = [HEADERS, ...report.rows.map(tableCells)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function mdTable(headers: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** CPU per operation of every process on one side: `client + hop + backend` in µs. */
function cpuPerOp(s: SideResult | null): string {
  if (!s) return '—';
  const us = (seconds: number) => num((seconds * 1e6) / s.ops, 0);
  const { client, hop, backend } = s.cpuSeconds;
  return hop === null ? `${us(client)} + ${us(backend)}` : `${us(client)} + ${us(hop)} + ${us(backend)}`;
}

/** The hop's minor page faults per MB moved; `—` when not measured (direct, older results). */
export function faultsPerMB(s: SideResult | null): string {
  if (s?.hopMinorFaults == null || s.bytes === 0) return '—';
  return num(s.hopMinorFaults / (s.bytes / 1e6), 1);
}

/** CPU ms per MB the hop spent off its main thread; `—` when not measured. */
export function offMainPerMB(s: SideResult | null): string {
  if (s?.hopOffMainCpuSeconds == null || s.bytes === 0) return '—';
  return num((s.hopOffMainCpuSeconds * 1e3) / (s.bytes / 1e6), 2);
}

function cpuCells(row: ResultRow): string[] {
  return [row.title, row.backend, cpuPerOp(row.direct), cpuPerOp(row.proxy), cpuPerOp(row.gateway)];
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# Benchmark ${report.startedAt} — commit ${report.commit.hash}${report.commit.dirty ? ' (with uncommitted changes)' : ''}`);
  out.push('');
  out.push(`* profile: **${report.profile.name}**${report.profile.name !== 'full' ? ' (reduced sizes and counts; figures are not comparable with full runs)' : ''}`);
  out.push(`* mode: ${report.mode.name} — ${report.mode.description}`);
  if (report.gatewayFeatures?.length) out.push(`* gateway with: ${report.gatewayFeatures.join(', ')} on`);
  out.push(`* machine: ${m.cores} cores (${m.cpuModel}), ${num(m.memoryBytes / 1024 ** 3, 1)} GiB memory, ${m.os}`);
  out.push(`* Node ${m.node}${report.hopNode && report.hopNode !== m.node ? ` (benchmark process and backends); gateway and proxy on Node ${report.hopNode}` : ''}; load average ${num(m.loadAverageAtStart, 2)} at start, ${num(report.loadAverageAtEnd, 2)} at end (other work shared the machine)`);
  out.push(`* client: ${report.client}; same client code for both columns, plain bodies (requestChecksumCalculation WHEN_REQUIRED) unless the row says otherwise`);
  out.push(`* run: ${report.startedAt} → ${report.finishedAt}`);
  if (report.calibration) out.push(`* MD5 alone on this machine: ${num(report.calibration.md5MsPerMB, 2)} ms of CPU per MB (the large-PUT CPU target adds it to the proxy's)`);
  out.push('* pass-through proxy: a minimal Node HTTP proxy (node:http, pipe both ways, no parsing or hashing) in its own process ' +
    'in front of the same backend — what any extra Node hop costs on this machine; gateway/proxy is the gateway\'s share of that ceiling');
  for (const b of report.backends) {
    out.push(`* backend ${b.description}; gateway idle RSS ${num(b.gatewayIdleRssBytes / MiB, 1)} MiB, proxy ${num(b.proxyIdleRssBytes / MiB, 1)} MiB`);
    if (b.identitySeed) {
      const s = b.identitySeed;
      out.push(`  * identity load: ${s.users.toLocaleString('en-US')} users with a stored credential each, ${s.grants.toLocaleString('en-US')} grants over ${s.buckets} stored buckets and the scenarios' bucket, provisioned through the ledger in ${num(s.seconds, 1)} s before the gateway started`);
    }
    if (b.seed) out.push(`  * LIST bucket: ${b.seed.objects.toLocaleString('en-US')} objects seeded into the ledger in ${num(b.seed.seconds, 1)} s (${num(b.seed.objects / b.seed.seconds, 0)} objects/s) — ${b.seed.method}`);
  }
  const p = report.profile;
  out.push(`* work per row and side: small objects ${formatSize(p.small.objectBytes)}, ${p.small.durationMs} ms measured in ${p.small.slices} ` +
    `slice(s), each after ${p.small.warmupMs} ms of warm-up; large ${formatSize(p.large.objectBytes)}, ≥ ${p.large.durationMs} ms in ` +
    `${p.large.slices} slice(s) of ≥ ${p.large.minOpsPerWorker} operation(s) per worker, each after ${p.large.warmupMs ?? 0} ms of warm-up; ` +
    `${p.concurrentUploads.count} × ${formatSize(p.concurrentUploads.objectBytes)} concurrent uploads once; LIST ${p.list.pages} pages. ` +
    'The sides take turns slice by slice, so a change of load on the machine hits all of them alike.');
  out.push('');
  out.push('## Results');
  out.push('');
  out.push('Ratio = gateway ÷ direct of ops/s or MB/s (MB = 10⁶ bytes); LIST is absolute (it is answered from the ledger): ' +
    'latency as the SDK sees it (XML parsing included) and, in brackets, to the last byte of the response. ' +
    'CPU: user + system time of the gateway and of the proxy process during the measured phase (/proc/<pid>/stat), per ' +
    'operation, or per MB for throughput rows; `~` marks a figure from fewer than 100 clock ticks of 10 ms. ' +
    'Peak RSS: the gateway process, during the measured phase of the row.');
  out.push('');
  out.push(mdTable(HEADERS, report.rows.map(tableCells)));
  out.push('');
  const goals = checkGoals(report);
  if (goals.length) {
    out.push('## Targets');
    out.push('');
    out.push(mdTable(['Target', 'Row', 'Measured', 'Verdict'], goals.map((g) => [g.goal, g.row, g.measured, g.met ? 'met' : '**missed**'])));
    out.push('');
  }
  out.push('## CPU per operation');
  out.push('');
  out.push('CPU time (user + system, from /proc) each process spent during the measured phase, divided by the operations: ' +
    'client + backend for direct, client + hop + backend otherwise, in µs. On a machine whose cores are all busy, ' +
    'throughput follows the sum.');
  out.push('');
  out.push(mdTable(['Scenario', 'Backend', 'Direct', 'Pass-through proxy', 'Gateway'], report.rows.map(cpuCells)));
  const throughputRows = report.rows.filter((r) => r.metric === 'throughput' && (r.gateway?.hopMinorFaults ?? null) !== null);
  if (throughputRows.length) {
    out.push('');
    out.push('## Page faults and helper threads (throughput rows)');
    out.push('');
    out.push('Minor page faults of the hop process during the measured phase, per MB moved: a few per MB is a warm heap; ' +
      'tens per MB mean the allocator returned memory to the kernel and is faulting it back in (docs/performance.md, ' +
      '"Large objects: the allocator, not the gateway"). Off the main thread: CPU ms per MB of the hop\'s other threads ' +
      '(V8\'s concurrent marking and sweeping, compilation, libuv\'s pool) — JS, hashing and socket I/O run on the main ' +
      'thread, so a large figure here is garbage collection.');
    out.push('');
    out.push(mdTable(['Scenario', 'Backend', 'Proxy faults/MB', 'Gateway faults/MB', 'Proxy off-main ms/MB', 'Gateway off-main ms/MB'],
      throughputRows.map((r) => [r.title, r.backend, faultsPerMB(r.proxy), faultsPerMB(r.gateway), offMainPerMB(r.proxy), offMainPerMB(r.gateway)])));
  }
  const failed = report.rows.flatMap((r) => [r.direct, r.proxy, r.gateway].filter((s) => s?.errors).map((s) => `${r.title} (${r.backend}): ${s!.errors} errors, first: ${s!.firstError}`));
  if (failed.length) {
    out.push('');
    out.push('## Errors');
    out.push('');
    for (const f of failed) out.push(`* ${f}`);
  }
  for (const b of report.backends) {
    if (!b.cpuProfile) continue;
    out.push('');
    out.push(`## Gateway CPU profile (${b.kind}): ${num(b.cpuProfile.totalMs / 1000, 1)} s of samples`);
    out.push('');
    out.push(mdTable(['Function (self time)', 'ms', '%'], b.cpuProfile.topFunctions.map((e) => [e.name, num(e.selfMs, 0), num(e.percent, 1)])));
    out.push('');
    out.push(mdTable(['File (self time)', 'ms', '%'], b.cpuProfile.topFiles.map((e) => [e.name, num(e.selfMs, 0), num(e.percent, 1)])));
  }
  out.push('');
  return out.join('\n');
}
