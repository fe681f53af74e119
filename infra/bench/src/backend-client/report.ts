// The backend-client comparison as the console table and as the markdown kept with the
// results: `<timestamp>-<commit>-backend-client.json` and `.md`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileStamp } from '../report/write.js';
import type { BackendClientReport, ClientResult, ClientRow } from './model.js';

const HEADERS = ['Scenario', 'Ours', 'AWS SDK', 'Ours/SDK', 'Client CPU, ours', 'Client CPU, SDK', 'CPU ours/SDK'];

function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number): string {
  return `${num(value, value < 10 ? 2 : 1)} ms`;
}

function headline(row: ClientRow, r: ClientResult): string {
  const text = row.metric === 'ops'
    ? `${num(r.opsPerSec, 0)} ops/s · p50 ${ms(r.latency.p50Ms)} · p99 ${ms(r.latency.p99Ms)}`
    : `${num(r.mbPerSec, 1)} MB/s`;
  return r.errors ? `${text} · ${r.errors} errors` : text;
}

function cpu(row: ClientRow, r: ClientResult): string {
  if (r.clientCpuUsPerOp === null) return '—';
  const perOp = `${num(r.clientCpuUsPerOp, 0)} µs/op`;
  return row.metric === 'throughput' && r.clientCpuMsPerMB !== null ? `${perOp} (${num(r.clientCpuMsPerMB, 2)} ms/MB)` : perOp;
}

function cells(row: ClientRow): string[] {
  const ratio = (v: number | null) => (v === null ? '—' : num(v, 2));
  return [row.title, headline(row, row.ours), headline(row, row.sdk), ratio(row.ratio), cpu(row, row.ours), cpu(row, row.sdk), ratio(row.cpuRatio)];
}

export function renderBackendClientText(report: BackendClientReport): string {
  const rows = [HEADERS, ...report.rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function renderBackendClientMarkdown(report: BackendClientReport): string {
  const m = report.machine;
  const table = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map(() => '---').join('|')}|`,
    ...report.rows.map((row) => `| ${cells(row).join(' | ')} |`),
  ];
  const backendCpu = [
    '| Scenario | Sink CPU, ours | Sink CPU, SDK |',
    '|---|---|---|',
    ...report.rows.map((row) => {
      const per = (r: ClientResult) => (r.ops > 0 ? `${num((r.cpuSeconds.backend / r.ops) * 1e6, 0)} µs/op` : '—');
      return `| ${row.title} | ${per(row.ours)} | ${per(row.sdk)} |`;
    }),
  ];
  const errors = report.rows.flatMap((row) => (['ours', 'sdk'] as const)
    .filter((c) => row[c].errors > 0)
    .map((c) => `* ${row.title}, ${c}: ${row[c].errors} errors; first: ${row[c].firstError}`));
  return [
    `# Backend client: ours vs the AWS SDK (${report.profile} run)`,
    '',
    `Started ${report.startedAt}, finished ${report.finishedAt}; commit ${report.commit.hash}${report.commit.dirty ? ' (with uncommitted changes)' : ''}.`,
    '',
    `Machine: ${m.cores} × ${m.cpuModel}, ${num(m.memoryBytes / 2 ** 30, 1)} GiB, ${m.os}, Node ${m.node}; ` +
      `1-minute load average ${num(m.loadAverageAtStart, 1)} at the start, ${num(report.loadAverageAtEnd, 1)} at the end.`,
    '',
    `Backend: ${report.backend}. Both clients run in the benchmark process, taking turns slice by slice.`,
    '',
    `* ours: ${report.clients.ours}`,
    `* sdk: ${report.clients.sdk}`,
    '',
    'Client CPU is the benchmark process\'s user + system time during the measured phases, per successful',
    'operation (and per MB of payload for large objects); it includes producing and consuming the bodies,',
    'which is the same work for both clients.',
    '',
    ...table,
    '',
    ...backendCpu,
    '',
    ...(errors.length ? ['## Errors', '', ...errors, ''] : []),
  ].join('\n');
}

export async function writeBackendClientReport(report: BackendClientReport, dir: string): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `${fileStamp(report.startedAt)}-${report.commit.hash}-backend-client`);
  const files = { json: `${base}.json`, markdown: `${base}.md` };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, renderBackendClientMarkdown(report));
  return files;
}
