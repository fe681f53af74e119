// `s3-orchestrator sync --config F --backend B --bucket V [--prefix P] [--dry-run]`: imports
// the objects already on backend B into virtual bucket V (services/placement/src/reconcile/
// sync.ts). Each object keeps its backend key as its storage key; clients see it under the
// backend key minus a leading `V/` (`V/a.jpg` and `a.jpg` both become `a.jpg`). Keys the
// ledger already accounts for, and unaccounted keys of our own `…!<id>` form (leftovers of
// interrupted writes, which reconcile deals with), are skipped; an object key that already
// has an object is never overwritten. Re-running imports nothing new.
// Progress goes to stderr every SYNC_PROGRESS_EVERY keys; the summary to stdout.
// Exit: 0 done (also when nothing was new), 1 bad arguments or configuration, 2 some keys
// failed (the others were imported; run again).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createBackendClients } from '@s3o/backends';
import { syncBackend, SYNC_PROGRESS_EVERY, type SyncCounts } from '@s3o/placement';
import { loadConfigFile } from './config-file.js';
import { openConfiguredLedger } from './runtime.js';

export const SYNC_USAGE = `    sync --config FILE --backend NAME --bucket BUCKET [--prefix P] [--dry-run]
               import the objects already on a backend into a virtual bucket; progress
               every ${SYNC_PROGRESS_EVERY} keys on stderr, a summary on stdout. Exit 0 done, 2 when
               some keys failed (run again), 1 on bad arguments.
`;

function usageError(message: string): number {
  process.stderr.write(`sync: ${message}\n\nusage:\n${SYNC_USAGE}`);
  return 1;
}

function summary(c: SyncCounts, dryRun: boolean): string {
  return `${dryRun ? 'would import' : 'imported'} ${c.imported} (${c.importedBytes} bytes); skipped: ${c.skippedKnown} known, `
    + `${c.skippedOurs} ours (leftovers of interrupted writes), ${c.skippedExists} key taken, ${c.skippedUnnamed} unnamed; `
    + `${c.gone} gone, ${c.failed} failed; ${c.listed} listed`;
}

export async function runSyncCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        backend: { type: 'string' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (!values.config) return usageError('--config FILE is required');
  if (!values.backend) return usageError('--backend NAME is required');
  if (!values.bucket) return usageError('--bucket BUCKET is required');
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const { config } = loaded;
  const backend = config.backends.find((b) => b.name === values.backend);
  if (!backend) return usageError(`no backend is named ${JSON.stringify(values.backend)} in ${values.config}`);
  if (!config.buckets.some((b) => b.name === values.bucket)) {
    return usageError(`no bucket is named ${JSON.stringify(values.bucket)} in ${values.config}`);
  }
  const dryRun = values['dry-run'] ?? false;

  const ledger = await openConfiguredLedger(config, `sync@${hostname()}:${process.pid}`);
  const clients = createBackendClients([{ ...backend, timeoutMs: config.server.backendTimeoutMs }]);
  const client = clients.get(backend.name)!;
  const stop = new AbortController();
  const interrupt = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    // Imports charge the backend's quota row; a backend never served before gets one here.
    if (!dryRun) await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
    const started = Date.now();
    process.stderr.write(`sync: ${dryRun ? '(dry run) ' : ''}backend ${backend.name} → bucket ${values.bucket}`
      + `${values.prefix ? `, keys under ${JSON.stringify(values.prefix)}` : ''}\n`);
    const counts = await syncBackend({
      ledger, client, bucket: values.bucket, prefix: values.prefix, dryRun, signal: stop.signal,
      onProgress: (c) => process.stderr.write(`sync: ${summary(c, dryRun)}\n`),
      onError: (key, err) => process.stderr.write(`sync: ${key}: ${err instanceof Error ? err.message : String(err)}\n`),
    });
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`sync ${backend.name} → ${values.bucket}${dryRun ? ' (dry run, nothing changed)' : ''}: ${summary(counts, dryRun)}; `
      + `${seconds.toFixed(1)} s (${Math.round(counts.listed / Math.max(seconds, 0.001))} keys/s)\n`);
    return counts.failed > 0 ? 2 : 0;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    client.close();
    await ledger.close();
  }
}
