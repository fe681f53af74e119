// The scale run as a chart: p50 latency, p99 latency and the gateway's CPU per operation
// against the number of objects, both axes logarithmic, one line per operation and engine. Plain SVG
// built here; ./png.ts renders it to PNG for the docs.
import type { ScaleEngine } from './raw-ledger.js';
import { SCALE_OPS, type ScaleOp, type ScaleOpResult, type ScaleReport } from './run.js';

const COLORS: Record<ScaleOp, string> = { put: '#d62728', head: '#2ca02c', get: '#1f77b4', list: '#9467bd' };
const DASH: Record<ScaleEngine, string> = { sqlite: '', postgres: '6 4' };
const PANELS: Array<{ title: string; value: (r: ScaleOpResult) => number }> = [
  { title: 'p50 latency (ms)', value: (r) => r.latency.p50Ms },
  { title: 'p99 latency (ms)', value: (r) => r.latency.p99Ms },
  { title: 'gateway CPU per operation (µs)', value: (r) => r.gatewayCpuUsPerOp },
];
const PANEL_W = 380;
const PANEL_H = 300;
const MARGIN = { left: 60, right: 20, top: 70, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Decades covering [min, max]: the y axes are logarithmic, as costs span orders of magnitude. */
function decades(values: number[]): { lo: number; hi: number } {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return { lo: 0, hi: 1 };
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive, 1))));
  return { lo, hi };
}

function sizeLabel(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}

export function scaleChartSvg(report: ScaleReport): string {
  const sizes = [...new Set(report.points.map((p) => p.objects))].sort((a, b) => a - b);
  const engines = [...new Set(report.points.map((p) => p.engine))];
  const width = PANELS.length * (PANEL_W + MARGIN.left + MARGIN.right);
  const height = PANEL_H + MARGIN.top + MARGIN.bottom;
  const lo = Math.log10(sizes[0]!);
  const hi = Math.log10(sizes[sizes.length - 1]!);
  const xOf = (n: number) => (hi === lo ? PANEL_W / 2 : ((Math.log10(n) - lo) / (hi - lo)) * PANEL_W);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${MARGIN.left}" y="20" font-size="15" font-weight="bold">${esc(`Gateway cost against objects in the ledger — ${report.machine.cores} cores, load ${report.machine.loadAverageAtStart.toFixed(1)}→${report.loadAverageAtEnd.toFixed(1)}, gateway on Node ${report.hopNode}, commit ${report.commit.hash}`)}</text>`);
  // Legend: colour = operation, dash = engine.
  let lx = MARGIN.left;
  for (const op of SCALE_OPS) {
    out.push(`<line x1="${lx}" y1="40" x2="${lx + 24}" y2="40" stroke="${COLORS[op]}" stroke-width="3"/><text x="${lx + 30}" y="44">${op.toUpperCase()}</text>`);
    lx += 90;
  }
  for (const engine of engines) {
    out.push(`<line x1="${lx}" y1="40" x2="${lx + 24}" y2="40" stroke="#333" stroke-width="2" stroke-dasharray="${DASH[engine]}"/><text x="${lx + 30}" y="44">${engine}</text>`);
    lx += 100;
  }
  PANELS.forEach((panel, i) => {
    const ox = i * (PANEL_W + MARGIN.left + MARGIN.right) + MARGIN.left;
    const oy = MARGIN.top;
    const values = report.points.flatMap((p) => SCALE_OPS.map((op) => panel.value(p.ops[op]))).filter(Number.isFinite);
    const { lo: yLo, hi: yHi } = decades(values);
    const yOf = (v: number) => PANEL_H - ((Math.log10(Math.max(v, 10 ** yLo)) - yLo) / (yHi - yLo)) * PANEL_H;
    out.push(`<g transform="translate(${ox},${oy})">`);
    out.push(`<text x="0" y="-8" font-weight="bold">${esc(`${panel.title}, log scale`)}</text>`);
    for (let d = yLo; d <= yHi; d++) {
      const v = 10 ** d;
      const y = yOf(v).toFixed(1);
      out.push(`<line x1="0" y1="${y}" x2="${PANEL_W}" y2="${y}" stroke="#e5e5e5"/><text x="-6" y="${y}" text-anchor="end" dominant-baseline="middle">${v.toLocaleString('en-US')}</text>`);
      for (const f of [2, 5]) {
        if (d < yHi) out.push(`<line x1="0" y1="${yOf(f * v).toFixed(1)}" x2="${PANEL_W}" y2="${yOf(f * v).toFixed(1)}" stroke="#f3f3f3"/>`);
      }
    }
    for (const n of sizes) {
      const x = xOf(n).toFixed(1);
      out.push(`<line x1="${x}" y1="0" x2="${x}" y2="${PANEL_H}" stroke="#e5e5e5"/><text x="${x}" y="${PANEL_H + 16}" text-anchor="middle">${sizeLabel(n)}</text>`);
    }
    out.push(`<text x="${PANEL_W / 2}" y="${PANEL_H + 36}" text-anchor="middle">objects in the ledger (log scale)</text>`);
    out.push(`<rect x="0" y="0" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (const engine of engines) {
      for (const op of SCALE_OPS) {
        const pts = report.points.filter((p) => p.engine === engine).sort((a, b) => a.objects - b.objects)
          .map((p) => `${xOf(p.objects).toFixed(1)},${yOf(panel.value(p.ops[op])).toFixed(1)}`);
        out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[op]}" stroke-width="2" stroke-dasharray="${DASH[engine]}"/>`);
        for (const pt of pts) {
          const [x, y] = pt.split(',');
          out.push(`<circle cx="${x}" cy="${y}" r="3" fill="${COLORS[op]}"/>`);
        }
      }
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
