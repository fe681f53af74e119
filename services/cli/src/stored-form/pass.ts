// `s3-orchestrator admin encrypt-existing | decrypt-existing | rewrite-headers`: a pass over the
// ledger that rewrites every object not yet in the wanted stored form (rewrite.ts), page by page
// in key order with bounded concurrency, progress after each page and a final report. Resumable
// by running it again: objects already in the wanted form are skipped (docs/architecture.md,
// "Encryption at rest").
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config-file.js';
import { openMasterKeys } from '../master-keys.js';
import { createBackends, openConfiguredLedger } from '../runtime.js';
import { rewriteObject, type RewriteDeps, type RewriteOutcome, type StoredForm } from './rewrite.js';

export const STORED_FORM_USAGE = `    admin encrypt-existing --config FILE [--batch N] [--concurrency N]
               encrypt, copy by copy, every object stored in plaintext (encryption.key_id);
               resumable.
    admin decrypt-existing --config FILE [--batch N] [--concurrency N]
               store every encrypted object in plaintext again; resumable.
    admin rewrite-headers --config FILE [--batch N] [--concurrency N]
               after rotate-key: rewrite the backend copies whose envelope header
               (x-amz-meta-s3o-enc) is not the ledger's, so an old key can leave
               encryption.previous_keys; resumable.
`;

const COMMANDS: Record<string, StoredForm> = {
  'encrypt-existing': 'encrypted',
  'decrypt-existing': 'plaintext',
  'rewrite-headers': 'current-header',
};

export function isStoredFormCommand(verb: string): boolean {
  return verb in COMMANDS;
}

export type PassCounts = Record<RewriteOutcome, number>;

export interface PassProgress {
  counts: PassCounts;
  /** objects looked at so far */
  looked: number;
  /** the last object key looked at: everything up to it has been tried */
  lastKey: string;
}

export interface PassOptions {
  batch: number;
  concurrency: number;
  /** an object that could not be rewritten (failed, or no quota room): a re-run tries it again */
  onLeftOver?: (key: string, outcome: RewriteOutcome, error: unknown) => void;
  onProgress?: (p: PassProgress) => void;
}

/** Runs the pass to the end of the ledger; returns what happened to each object looked at. */
export async function runStoredFormPass(deps: RewriteDeps, form: StoredForm, options: PassOptions): Promise<PassProgress> {
  if (form === 'encrypted' && deps.keys.writeKeyId === null) throw new Error('no current master key (encryption.master_key) to encrypt with');
  const progress: PassProgress = {
    counts: { rewritten: 0, current: 0, stale: 0, conflict: 0, 'no-room': 0, failed: 0 },
    looked: 0,
    lastKey: '',
  };
  // Plaintext objects for encrypt-existing; encrypted ones for decrypt-existing and rewrite-headers.
  const encrypted = form !== 'encrypted';
  for (;;) {
    const page = await deps.ledger.listObjectsByStoredForm(encrypted, progress.lastKey, options.batch);
    if (page.length === 0) return progress;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < page.length) {
        const row = page[next++]!;
        const done = await rewriteObject(deps, form, row.objectKey).catch((error: unknown) => ({ outcome: 'failed' as const, error }));
        progress.counts[done.outcome]++;
        progress.looked++;
        if (done.outcome === 'failed' || done.outcome === 'no-room') {
          options.onLeftOver?.(row.objectKey, done.outcome, 'error' in done ? done.error : undefined);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, page.length) }, worker));
    progress.lastKey = page[page.length - 1]!.objectKey;
    options.onProgress?.({ ...progress, counts: { ...progress.counts } });
  }
}

function report(p: PassProgress): string {
  const c = p.counts;
  return `${p.looked} looked at: ${c.rewritten} rewritten, ${c.current} already done, ${c.stale} overwritten or deleted meanwhile, `
    + `${c.conflict} whose copies changed meanwhile, ${c['no-room']} without quota room, ${c.failed} failed`;
}

export async function runStoredFormCommand(verb: string, args: string[]): Promise<number> {
  const form = COMMANDS[verb]!;
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, batch: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '4' } },
    allowPositionals: false,
  });
  const batch = Number(values.batch);
  const concurrency = Number(values.concurrency);
  if (!values.config || !Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`admin ${verb}: --config FILE is required (--batch and --concurrency positive integers)\n\nusage:\n${STORED_FORM_USAGE}`);
    return 1;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const { config } = loaded;
  const ledger = await openConfiguredLedger(config, `${verb}@${hostname()}:${process.pid}`);
  const { backends } = createBackends(config);
  try {
    const keys = await openMasterKeys(config, ledger);
    if (!keys) throw new Error('no master keys are configured (encryption.*)');
    const onLeftOver = (key: string, outcome: RewriteOutcome, err: unknown): void => {
      process.stderr.write(`${verb}: not rewritten: ${key} (${outcome}${err ? `: ${err instanceof Error ? err.message : String(err)}` : ''})\n`);
    };
    const done = await runStoredFormPass(
      { ledger, backends, keys, chunkSize: config.encryption.chunkSize, heartbeatMs: config.writePath.pendingPattern.heartbeatMs },
      form,
      { batch, concurrency, onLeftOver, onProgress: (p) => process.stderr.write(`${verb}: ${report(p)}; at ${p.lastKey}\n`) },
    );
    process.stdout.write(`${verb}: done; ${report(done)}\n`);
    // Objects left behind are reported above; a re-run tries them again.
    return done.counts.failed + done.counts['no-room'] + done.counts.conflict > 0 ? 2 : 0;
  } catch (err) {
    process.stderr.write(`admin ${verb}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    for (const client of backends.values()) client.close();
    await ledger.close();
  }
}
