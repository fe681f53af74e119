// `s3-orchestrator rebuild --config F [--dry-run] [--force]`: rebuilds a lost ledger from what
// the backends hold (services/placement/src/reconcile/rebuild.ts; docs/architecture.md §4
// "Rebuilding the ledger from the backends"). Run it with the orchestrator stopped, against an
// empty database (a new SQLite file, an empty Postgres database): it refuses a ledger that
// holds objects, copies, debts or open uploads unless --force (resuming an interrupted
// rebuild: what is already recorded is kept). Progress goes to stderr, the report to stdout.
// Every backend must answer first: an unreachable one is refused (exit 3, naming it) unless
// `--allow-missing NAME` lets the run go on without it (a later `rebuild --force` with it back
// records what only it held). Exit: 0 done, 1 bad arguments / configuration / a non-empty
// ledger, 2 some keys could not be looked at (nothing was written: run again), 3 a backend is
// unreachable.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createBackendClients } from '@s3o/backends';
import { MissingBackendsError, rebuildLedger, type RebuildReport } from '@s3o/placement';
import { loadConfigFile } from './config-file.js';
import { openConfiguredLedger } from './runtime.js';
import { runMerge } from './rebuild-merge.js';

export const REBUILD_USAGE = `    rebuild --config FILE [--dry-run] [--force | --merge] [--allow-missing BACKEND]... [--concurrency N]
               rebuild a lost ledger from the backends (orchestrator stopped, empty
               database; --force resumes over a non-empty one, or adds what a backend
               that was missing holds). Open multipart uploads are aborted. Progress on
               stderr, a report on stdout. Exit 0 done, 2 when some keys could not be
               looked at (nothing written: run again), 3 when a backend is unreachable
               (--allow-missing NAME goes on without it), 1 on bad arguments or a
               non-empty ledger. --concurrency: HEADs in flight per backend (32).
               --merge: after restoring a backup, adopt the writes and deletes the
               backends saw since (orchestrator stopped, over the restored ledger).
`;

function usageError(message: string): number {
  process.stderr.write(`rebuild: ${message}\n\nusage:\n${REBUILD_USAGE}`);
  return 1;
}

export function rebuildSummary(r: RebuildReport): string {
  return `${r.objects} objects, ${r.copies} copies, ${r.bytes} bytes; ${r.conflicts} conflicts (keys with more than one write), `
    + `${r.deleted} kept deleted by markers, ${r.debts} debts (${r.debtBytes} bytes), ${r.markers} delete markers; `
    + `skipped: ${r.foreign} foreign keys, ${r.unknownBucket} of unknown buckets; ${r.failed} failed, ${r.alreadyThere} already there; `
    + `${r.listed} keys listed, ${r.heads} HEADs; uploads: ${r.uploads} open, ${r.uploadsAborted} aborted, ${r.uploadsOwed} owed`
    + `${r.uploadsUnlisted.length > 0 ? ` (not listable on ${r.uploadsUnlisted.join(', ')})` : ''}`
    + `${r.otherWrite > 0 ? `; ${r.otherWrite} keys recorded with another write (left as recorded)` : ''}`
    + `${r.missing.length > 0 ? `; MISSING backends, not walked: ${r.missing.map((m) => m.backend).join(', ')} (run again with --force once they answer)` : ''}`;
}

export async function runRebuildCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        merge: { type: 'boolean', default: false },
        'allow-missing': { type: 'string', multiple: true, default: [] },
        concurrency: { type: 'string' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (!values.config) return usageError('--config FILE is required');
  if (values.merge && values.force) return usageError('--merge and --force do not go together');
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const { config } = loaded;
  const dryRun = values['dry-run'] ?? false;
  const allowMissing = new Set(values['allow-missing'] ?? []);
  const headsPerBackend = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (headsPerBackend !== undefined && !(Number.isInteger(headsPerBackend) && headsPerBackend >= 1 && headsPerBackend <= 256)) {
    return usageError(`--concurrency must be a whole number from 1 to 256, not "${values.concurrency}"`);
  }
  const unknown = [...allowMissing].filter((name) => !config.backends.some((b) => b.name === name));
  if (unknown.length > 0) return usageError(`--allow-missing names no configured backend: ${unknown.join(', ')}`);

  const ledger = await openConfiguredLedger(config, `rebuild@${hostname()}:${process.pid}`);
  const clients = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
  const stop = new AbortController();
  const interrupt = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    if (values.merge) return await runMerge(ledger, clients, config, dryRun, stop.signal);
    const figures = await ledger.operatorFigures(1);
    const quotas = await ledger.getQuotas();
    const held = figures.objects + figures.openIntents + figures.openUploads + quotas.reduce((n, q) => n + q.bytesUsed + q.orphanBytes, 0);
    if (held > 0 && !values.force) {
      process.stderr.write(`rebuild: the ledger is not empty (${figures.objects} objects, ${figures.openUploads} open uploads, `
        + `${quotas.reduce((n, q) => n + q.bytesUsed + q.orphanBytes, 0)} bytes charged); point the configuration at an empty database, `
        + 'or pass --force to resume an interrupted rebuild (records already there are kept)\n');
      return 1;
    }
    if (!dryRun) await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const started = Date.now();
    process.stderr.write(`rebuild: ${dryRun ? '(dry run) ' : ''}walking ${clients.size} backends\n`);
    let report: RebuildReport;
    try {
      report = await rebuildLedger({
        ledger, clients: [...clients.values()], buckets: new Set(config.buckets.map((b) => b.name)), dryRun, allowMissing, headsPerBackend, signal: stop.signal,
        onProgress: (line) => process.stderr.write(`rebuild: ${line}\n`),
      });
    } catch (err) {
      if (!(err instanceof MissingBackendsError)) throw err;
      process.stderr.write(`rebuild: nothing done, ${err.message}. Without a backend the rebuild cannot see its copies or delete `
        + `markers; bring it back, or pass --allow-missing ${err.missing.map((m) => m.backend).join(' --allow-missing ')} to go on without it `
        + '(objects only it holds are left out until a later rebuild --force with it back)\n');
      return 3;
    }
    const seconds = (Date.now() - started) / 1000;
    const verb = report.failed > 0 ? 'nothing written, some keys could not be looked at (run again)' : dryRun ? 'dry run, nothing written' : 'done';
    process.stdout.write(`rebuild (${verb}): ${rebuildSummary(report)}; ${seconds.toFixed(1)} s `
      + `(${Math.round(report.objects / Math.max(seconds, 0.001))} objects/s)\n`);
    return report.failed > 0 ? 2 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    for (const client of clients.values()) client.close();
    await ledger.close();
  }
}
