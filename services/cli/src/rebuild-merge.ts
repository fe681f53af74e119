// `s3-orchestrator rebuild --merge`: after `admin restore` (or pg_restore) of a backup, records
// what the backends gained since — writes adopted, deletes applied — instead of losing it
// (services/placement/src/reconcile/merge.ts; docs/architecture.md §4 "Recovering the writes
// made since a backup"). Runs with the orchestrator stopped, over the restored ledger.
import type { BackendClient } from '@s3o/backends';
import type { Config } from '@s3o/config';
import { mergeFromBackends, type MergeReport } from '@s3o/placement';
import type { Ledger } from '@s3o/store';

export function mergeSummary(r: MergeReport): string {
  return `${r.added} keys added, ${r.replaced} replaced by newer writes, ${r.recopied} with their copies corrected, `
    + `${r.deleted} deleted since (markers), ${r.vanished} with no byte left removed${r.vanishedKeys.length > 0 ? ` (${r.vanishedKeys.join(', ')}${r.vanished > r.vanishedKeys.length ? ', …' : ''})` : ''}; `
    + `${r.changed} left alone (changed or held: run again); ${r.debts} debts (${r.debtBytes} bytes), ${r.markers} delete markers; `
    + `skipped: ${r.foreign} foreign keys, ${r.unknownBucket} of unknown buckets; ${r.failed} failed; ${r.listed} keys listed, ${r.heads} HEADs`;
}

export async function runMerge(
  ledger: Ledger, clients: Map<string, BackendClient>, config: Config, dryRun: boolean, signal: AbortSignal,
): Promise<number> {
  // Buckets made at run time are in the restored ledger: their objects are merged too.
  const stored = (await ledger.identity.snapshot()).buckets.map((b) => b.name);
  const buckets = new Set([...config.buckets.map((b) => b.name), ...stored]);
  if (!dryRun) await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
  const started = Date.now();
  process.stderr.write(`rebuild --merge: ${dryRun ? '(dry run) ' : ''}walking ${clients.size} backends\n`);
  const report = await mergeFromBackends({
    ledger, clients: [...clients.values()], buckets, dryRun, signal,
    onProgress: (line) => process.stderr.write(`rebuild --merge: ${line}\n`),
  });
  const seconds = (Date.now() - started) / 1000;
  const verb = report.failed > 0 ? 'nothing written, some keys could not be looked at (run again)' : dryRun ? 'dry run, nothing written' : 'done';
  process.stdout.write(`rebuild --merge (${verb}): ${mergeSummary(report)}; ${seconds.toFixed(1)} s\n`);
  return report.failed > 0 ? 2 : 0;
}
