// The scale run as markdown (tables per engine, the LIST target), JSON, and a chart of how
// latency and the gateway's CPU per operation grow with the number of objects (SVG, and PNG
// rendered from it by a headless chromium when one is available).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileStamp } from '../report/write.js';
import type { ScaleEngine } from './raw-ledger.js';
import { SCALE_OPS, type ScaleOp, type ScaleOpResult, type ScalePoint, type ScaleReport } from './run.js';
import { scaleChartSvg } from './chart.js';

/** The target kept from issue 21: LIST p99 (to the last byte) under 50 ms at 100,000 objects. */
export const LIST_TARGET = { objects: 100_000, p99Ms: 50 } as const;

const OP_TITLES: Record<ScaleOp, string> = { put: 'PUT 4 KiB', head: 'HEAD', get: 'GET 4 KiB', list: 'LIST 1,000 keys' };

function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const ms = (v: number) => num(v, v < 10 ? 2 : 1);
const count = (n: number) => n.toLocaleString('en-US');

function opCell(r: ScaleOpResult): string {
  const ttlb = r.timeToLastByte ? ` (last byte ${ms(r.timeToLastByte.p50Ms)} / ${ms(r.timeToLastByte.p99Ms)})` : '';
  return `${ms(r.latency.p50Ms)} / ${ms(r.latency.p99Ms)}${ttlb}${r.errors ? ` · ${r.errors} errors` : ''}`;
}

export interface ListTargetCheck {
  engine: ScaleEngine;
  /** null when no run reached the target's size */
  p99Ms: number | null;
  met: boolean | null;
}

/** The LIST target per engine, judged on time to last byte (docs/performance.md explains why). */
export function checkListTarget(report: ScaleReport): ListTargetCheck[] {
  const engines = [...new Set(report.points.map((p) => p.engine))];
  return engines.map((engine) => {
    const point = report.points.find((p) => p.engine === engine && p.objects === LIST_TARGET.objects);
    const p99 = point?.ops.list.timeToLastByte?.p99Ms ?? null;
    return { engine, p99Ms: p99, met: p99 === null ? null : p99 < LIST_TARGET.p99Ms };
  });
}

export function renderScaleMarkdown(report: ScaleReport, chartFile: string | null): string {
  const m = report.machine;
  const out: string[] = [];
  out.push(`# Scale benchmark ${report.startedAt} — commit ${report.commit.hash}${report.commit.dirty ? ' (with uncommitted changes)' : ''}`);
  out.push('');
  out.push(`* machine: ${m.cores} cores (${m.cpuModel}), ${num(m.memoryBytes / 1024 ** 3, 1)} GiB memory, ${m.os}`);
  out.push(`* Node ${m.node} (client, backend, seeding); gateway on Node ${report.hopNode}; load average ${num(m.loadAverageAtStart, 2)} at start, ${num(report.loadAverageAtEnd, 2)} at end`);
  out.push(`* run: ${report.startedAt} → ${report.finishedAt}`);
  out.push(`* gateway: \`s3-orchestrator serve\`, one sink backend; SQLite (WAL, in-process bus) or Postgres (+ NATS JetStream, services in one process)`);
  out.push(`* per size and operation: ${report.secondsPerOp} s measured at concurrency 1 after a 250 ms warm-up; ${report.objectBytes}-byte objects; ` +
    `HEAD at spread-out seeded keys, GET over ${report.getSample} of them (their bytes put on the sink), PUT of new keys, ` +
    `LIST pages of ${count(report.listPageKeys)} keys starting at spread-out keys (StartAfter)`);
  out.push('* latency: p50 / p99 in ms as the SDK sees it; LIST also to the last byte, before the SDK parses the XML');
  out.push('* ledger bytes: SQLite used pages after a WAL checkpoint; Postgres tables + indexes + TOAST after VACUUM ANALYZE; per object = growth over the empty ledger ÷ objects');
  for (const engine of [...new Set(report.points.map((p) => p.engine))]) {
    const points = report.points.filter((p) => p.engine === engine);
    out.push('');
    out.push(`## ${engine === 'sqlite' ? 'SQLite' : 'Postgres'}`);
    out.push('');
    out.push(`| Objects | Seeded in | Ledger | Bytes/object | Gateway start | ${SCALE_OPS.map((o) => `${OP_TITLES[o]} p50 / p99 (ms)`).join(' | ')} | Gateway CPU µs/op (${SCALE_OPS.map((o) => o.toUpperCase()).join(' / ')}) |`);
    out.push(`|${'---|'.repeat(6 + SCALE_OPS.length)}`);
    for (const p of points) out.push(`| ${pointCells(p).join(' | ')} |`);
  }
  out.push('');
  out.push(`## Target: LIST p99 < ${LIST_TARGET.p99Ms} ms at ${count(LIST_TARGET.objects)} objects (to the last byte)`);
  out.push('');
  for (const c of checkListTarget(report)) {
    out.push(`* ${c.engine}: ${c.met === null ? `not measured (no ${count(LIST_TARGET.objects)}-object run)` : `${c.met ? 'met' : 'MISSED'} — p99 ${ms(c.p99Ms!)} ms`}`);
  }
  if (chartFile) {
    out.push('');
    out.push(`![latency and gateway CPU per operation against the number of objects](${chartFile})`);
  }
  out.push('');
  return out.join('\n');
}

function pointCells(p: ScalePoint): string[] {
  return [
    count(p.objects),
    `${num(p.seedSeconds, 1)} s`,
    `${num(p.ledgerBytes / 2 ** 20, 1)} MiB`,
    num(p.bytesPerObject, 0),
    `${num(p.startupSeconds, 1)} s`,
    ...SCALE_OPS.map((o) => opCell(p.ops[o])),
    SCALE_OPS.map((o) => num(p.ops[o].gatewayCpuUsPerOp, 0)).join(' / '),
  ];
}

/** Writes `<stamp>-<commit>-scale.{json,md,svg}` and, when chromium renders it, `.png`. */
export async function writeScaleReport(
  report: ScaleReport, dir: string, renderPng: (svg: string, file: string) => Promise<boolean>,
): Promise<{ json: string; markdown: string; svg: string; png: string | null }> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `${fileStamp(report.startedAt)}-${report.commit.hash}-scale`);
  const files = { json: `${base}.json`, markdown: `${base}.md`, svg: `${base}.svg`, png: `${base}.png` as string | null };
  const svg = scaleChartSvg(report);
  await writeFile(files.svg, svg);
  if (!(await renderPng(svg, files.png!))) files.png = null;
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  const chart = (files.png ?? files.svg).split('/').pop()!;
  await writeFile(files.markdown, renderScaleMarkdown(report, chart));
  return files;
}
