// The human-readable summary of a chaos run.
import type { ChaosReport, LatencySummary } from './run.js';

export function formatReport(r: ChaosReport): string {
  const v = r.verdict;
  const lat = (s: LatencySummary) => `${s.ops} ops, ${s.failed} failed (${(s.errorRate * 100).toFixed(1)} %), p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms`;
  const lines = [
    `chaos run: seed ${r.options.seed}, ${r.options.mode} mode, ${r.options.loadMs / 1000}s load, ${r.options.clients} clients`,
    `operations: ${r.ops.total} (${r.ops.failed} failed) — ${Object.entries(r.ops.byKind).map(([k, c]) => `${k} ${c.total}/${c.failed}`).join(', ')}`,
    `faults injected: ${r.schedule.length} — ${r.schedule.map((e) => e.kind).join(', ')}`,
    ...r.skipped.map((s) => `faults not run: ${s}`),
    `during faults:  ${lat(r.duringFaults)}`,
    `outside faults: ${lat(r.outsideFaults)}`,
    `client errors: ${Object.entries(r.errors).map(([e, n]) => `${e} ×${n}`).join(', ') || 'none'}`,
    `keys: ${v.keysChecked} checked, ${v.keysPresent} present, ${r.uncertainKeys} left uncertain by failed writes`,
    `data lost: ${v.lost}; leaked after settle: ${v.leakedObjects} objects, ${v.leakedBytes} bytes; missing copies: ${v.missingCopies}`,
    `settled in: ${v.settledInMs === null ? 'never' : `${(v.settledInMs / 1000).toFixed(1)} s`}; debts ${v.debts}, intents ${v.openIntents}, uploads ${v.openUploads}, under-replicated ${v.underReplicated}`,
    `dead letters: ${v.deadLetters.total} (${v.deadLetters.cannotAbort} multipart aborts s3rver cannot do)`,
  ];
  for (const g of r.resources) {
    const half = g.secondHalfRssKiB === null ? 'restarted since the midpoint'
      : `RSS ${signed(g.secondHalfRssKiB)} KiB, fds ${signed(g.secondHalfFds!)}${g.secondHalfHeapKiB === null ? '' : `, heap ${signed(g.secondHalfHeapKiB)} KiB`}`;
    lines.push(`resources ${g.name}: RSS ${g.firstRssKiB}→${g.lastRssKiB} KiB (peak ${g.peakRssKiB}), fds ${g.firstFds}→${g.lastFds} (peak ${g.peakFds}), ` +
      `${g.samples} samples, ${g.pids} pid(s); second half: ${half}`);
    // About ten points of the series, enough to see a trend without the whole table.
    const step = Math.max(1, Math.ceil(g.series.length / 10));
    const points = g.series.filter((_, i) => i % step === 0 || i === g.series.length - 1);
    lines.push(`  over time (s: RSS MiB/fds${g.series[0]?.heapKiB === undefined ? '' : '/heap MiB'}): ` +
      points.map((s) => `${s.atS}: ${(s.rssKiB / 1024).toFixed(0)}/${s.fds}${s.heapKiB === undefined ? '' : `/${(s.heapKiB / 1024).toFixed(0)}`}`).join(', '));
  }
  lines.push(v.ok ? 'verdict: OK' : `verdict: FAILED\n  ${v.failures.slice(0, 30).join('\n  ')}`);
  return lines.join('\n');
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}
