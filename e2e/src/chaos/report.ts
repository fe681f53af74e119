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
    lines.push(`resources ${g.name}: RSS ${g.firstRssKiB}→${g.lastRssKiB} KiB (peak ${g.peakRssKiB}), fds ${g.firstFds}→${g.lastFds} (peak ${g.peakFds}), ${g.samples} samples`);
  }
  lines.push(v.ok ? 'verdict: OK' : `verdict: FAILED\n  ${v.failures.slice(0, 30).join('\n  ')}`);
  return lines.join('\n');
}
