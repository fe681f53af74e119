// The verify report (GET /admin/api/verify) as an operator reads it in a terminal.

import type { VerifyReport } from '@s3o/gateway';

/** The report as the admin API sends it: the gateway's own type, one definition. */
export type VerifyReportView = VerifyReport;

export function isVerifyReport(value: unknown): value is VerifyReportView {
  const v = value as VerifyReportView | null;
  return typeof v === 'object' && v !== null && typeof v.ok === 'boolean' && Array.isArray(v.backends);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

export function summariseVerify(report: VerifyReportView): string {
  const lines = [`verify: ${report.ok ? 'OK' : 'PROBLEMS FOUND'} (checked at ${report.checked_at})`];
  for (const b of report.backends) {
    const state = b.error !== null ? `NOT VERIFIED: ${b.error}` : b.ok ? 'ok' : `${b.leaked.count} leaked, ${b.missing.count} missing`;
    lines.push(`backend ${b.backend}: ${state}`);
    lines.push(`  ledger:  ${plural(b.ledger_copies, 'copy', 'copies')}, ${formatBytes(b.ledger_bytes)}`);
    lines.push(`  owed:    ${formatBytes(b.orphan_bytes_owed)} (${plural(b.debts, 'debt')} queued, ${plural(b.dead_letters, 'dead letter')})`);
    lines.push(`  writing: ${plural(b.open_intents, 'open intent')}, ${plural(b.open_uploads, 'open multipart upload')}`);
    if (b.error === null) {
      lines.push(`  backend: ${plural(b.backend_objects, 'object')}, ${formatBytes(b.backend_bytes)}`);
    }
    if (b.leaked.count > 0) {
      lines.push(`  leaked (on the backend, owed to nobody): ${formatBytes(b.leaked.bytes)}`);
      for (const k of b.leaked.keys) lines.push(`    ${k.storage_key} (${formatBytes(k.size)})`);
      if (b.leaked.truncated) lines.push(`    … and ${b.leaked.count - b.leaked.keys.length} more`);
    }
    if (b.missing.count > 0) {
      lines.push(`  missing (a copy in the ledger, not on the backend): ${formatBytes(b.missing.bytes)}`);
      for (const k of b.missing.keys) lines.push(`    ${k.storage_key} (object ${k.object_key}, ${formatBytes(k.size)})`);
      if (b.missing.truncated) lines.push(`    … and ${b.missing.count - b.missing.keys.length} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}
