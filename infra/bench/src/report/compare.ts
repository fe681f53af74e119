// `--compare` with a base result file: the change of every row against a run committed earlier on the same
// machine, so a performance change is judged against that machine's previous figures and not
// against numbers from somewhere else. Rows are matched by scenario id and backend; CPU per
// operation is recomputed from the stored CPU seconds, so runs written before the CPU columns
// existed compare too.
import { readFile } from 'node:fs/promises';
import { rowCpu, type RowCpu } from './cpu.js';
import type { BenchReport, ResultRow, SideResult } from './model.js';

export interface RowChange {
  scenarioId: string;
  title: string;
  backend: string;
  /** the gateway's headline figure (ops/s or MB/s; p99 ms for latency rows) */
  figure: Change | null;
  figureUnit: string;
  gatewayCpu: Change | null;
  cpuUnit: string;
  /** gateway CPU ÷ proxy CPU */
  cpuRatio: Change | null;
  /** gateway ÷ proxy of the headline figure */
  ratioToProxy: Change | null;
}

export interface Change {
  base: number;
  now: number;
  /** (now − base) ÷ base */
  relative: number;
}

export interface Comparison {
  base: { file: string; commit: string; startedAt: string; profile: string; loadAverage: [number, number] };
  now: { commit: string; startedAt: string; profile: string; loadAverage: [number, number] };
  rows: RowChange[];
  /** rows of the current run the base has not */
  unmatched: string[];
}

export async function readReport(file: string): Promise<BenchReport> {
  const report = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
  if (report.format !== 1 || !Array.isArray(report.rows)) throw new Error(`${file} is not a benchmark result (format 1)`);
  return report;
}

function change(base: number | null | undefined, now: number | null | undefined): Change | null {
  if (base == null || now == null || !Number.isFinite(base) || !Number.isFinite(now) || base === 0) return null;
  return { base, now, relative: (now - base) / base };
}

function figure(row: ResultRow, side: SideResult | null): number | null {
  if (!side) return null;
  if (row.metric === 'ops') return side.opsPerSec;
  if (row.metric === 'throughput') return side.mbPerSec;
  return side.timeToLastByte?.p99Ms ?? side.latency.p99Ms;
}

function cpuOf(row: ResultRow): RowCpu {
  return row.cpu ?? rowCpu(row);
}

export function compareReports(base: BenchReport, baseFile: string, now: BenchReport): Comparison {
  const key = (r: ResultRow) => `${r.scenarioId}@${r.backend}`;
  const baseRows = new Map(base.rows.map((r) => [key(r), r]));
  const rows: RowChange[] = [];
  const unmatched: string[] = [];
  for (const row of now.rows) {
    const old = baseRows.get(key(row));
    if (!old) {
      unmatched.push(`${row.title} (${row.backend})`);
      continue;
    }
    const [c0, c1] = [cpuOf(old), cpuOf(row)];
    rows.push({
      scenarioId: row.scenarioId,
      title: row.title,
      backend: row.backend,
      figure: change(figure(old, old.gateway), figure(row, row.gateway)),
      figureUnit: row.metric === 'ops' ? 'ops/s' : row.metric === 'throughput' ? 'MB/s' : 'ms p99',
      gatewayCpu: change(c0.gateway?.perUnit, c1.gateway?.perUnit),
      cpuUnit: c1.unit,
      cpuRatio: change(c0.ratio, c1.ratio),
      ratioToProxy: change(old.ratioToProxy, row.ratioToProxy),
    });
  }
  const loads = (r: BenchReport): [number, number] => [r.machine.loadAverageAtStart, r.loadAverageAtEnd];
  return {
    base: { file: baseFile, commit: base.commit.hash, startedAt: base.startedAt, profile: base.profile.name, loadAverage: loads(base) },
    now: { commit: now.commit.hash, startedAt: now.startedAt, profile: now.profile.name, loadAverage: loads(now) },
    rows,
    unmatched,
  };
}

const HEADERS = ['Scenario', 'Backend', 'Gateway figure', 'Gateway CPU', 'CPU gateway/proxy', 'Figure gateway/proxy'];

function fmt(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function changeCell(c: Change | null, unit = ''): string {
  if (!c) return '—';
  const pct = c.relative * 100;
  return `${fmt(c.base)} → ${fmt(c.now)}${unit ? ` ${unit}` : ''} (${pct >= 0 ? '+' : ''}${pct.toFixed(0)} %)`;
}

export function comparisonCells(r: RowChange): string[] {
  return [r.title, r.backend, changeCell(r.figure, r.figureUnit), changeCell(r.gatewayCpu, r.cpuUnit), changeCell(r.cpuRatio), changeCell(r.ratioToProxy)];
}

export function comparisonHeading(c: Comparison): string {
  const load = (l: [number, number]) => `load ${l[0].toFixed(1)} → ${l[1].toFixed(1)}`;
  return `compared with ${c.base.file} (${c.base.profile}, ${c.base.commit}, ${c.base.startedAt}, ${load(c.base.loadAverage)}) — ` +
    `now ${c.now.profile}, ${c.now.commit}, ${c.now.startedAt}, ${load(c.now.loadAverage)}` +
    (c.base.profile !== c.now.profile ? ' — DIFFERENT PROFILES: sizes differ, compare CPU ratios only' : '');
}

export function renderComparisonText(c: Comparison): string {
  const rows = [HEADERS, ...c.rows.map(comparisonCells)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [comparisonHeading(c), '', line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  if (c.unmatched.length) lines.push('', `not in the base run: ${c.unmatched.join('; ')}`);
  return lines.join('\n');
}

export function renderComparisonMarkdown(c: Comparison): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `## Change against a base run`,
    '',
    esc(comparisonHeading(c)),
    '',
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map(() => '---').join('|')}|`,
    ...c.rows.map((r) => `| ${comparisonCells(r).map(esc).join(' | ')} |`),
    ...(c.unmatched.length ? ['', `Not in the base run: ${c.unmatched.join('; ')}`] : []),
    '',
  ].join('\n');
}
