// `s3-orchestrator admin rotate-key`: re-wraps, in the ledger, the data keys wrapped by an old
// master key under the current one (docs/architecture.md, "Encryption at rest"). Metadata
// only: no byte on a backend changes. Page by page in key order, so a pass that stops is
// resumed by running it again (objects already re-wrapped no longer match the old id). Each
// re-wrap is conditional on the object's write: an object overwritten meanwhile keeps the
// header of its new write.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { formatHeader, parseHeader, rewrapHeader, type KeySource } from '@s3o/crypto';
import type { EncryptionLedger } from '@s3o/store';
import { loadConfigFile } from './config-file.js';
import { openMasterKeys } from './master-keys.js';
import { openConfiguredLedger } from './runtime.js';

export const ROTATE_KEY_USAGE = `    admin rotate-key --config FILE --from KEY_ID [--batch N]
               re-wrap in the ledger every data key wrapped by master key KEY_ID under
               encryption.key_id (KEY_ID must be in encryption.previous_keys); resumable.
`;

export interface RotationProgress {
  /** objects whose header now names the current key */
  rewrapped: number;
  /** objects overwritten while the pass ran (their new write has a header of its own) */
  skipped: number;
  /** the last object key looked at */
  lastKey: string;
}

export async function rotateKey(
  ledger: EncryptionLedger, keys: KeySource, fromKeyId: string, batch: number, onProgress: (p: RotationProgress) => void = () => {},
): Promise<RotationProgress> {
  if (keys.writeKeyId === null) throw new Error('no current master key (encryption.master_key) to re-wrap under');
  if (fromKeyId === keys.writeKeyId) throw new Error(`"${fromKeyId}" is the current key already`);
  if (!keys.knows(fromKeyId)) throw new Error(`master key "${fromKeyId}" is not configured; add it to encryption.previous_keys`);
  const progress: RotationProgress = { rewrapped: 0, skipped: 0, lastKey: '' };
  for (;;) {
    const page = await ledger.listObjectsEncryptedWith(fromKeyId, progress.lastKey, batch);
    if (page.length === 0) return progress;
    for (const row of page) {
      const rewrapped = formatHeader(await rewrapHeader(keys, parseHeader(row.encryption)));
      if (await ledger.rewrapObject(row.objectKey, row.writeId, rewrapped)) progress.rewrapped++;
      else progress.skipped++;
      progress.lastKey = row.objectKey;
    }
    onProgress({ ...progress });
  }
}

export async function runRotateKeyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, from: { type: 'string' }, batch: { type: 'string', default: '500' } },
    allowPositionals: false,
  });
  const batch = Number(values.batch);
  if (!values.config || !values.from || !Number.isSafeInteger(batch) || batch < 1) {
    process.stderr.write(`admin rotate-key: --config FILE and --from KEY_ID are required (--batch a positive integer)\n\nusage:\n${ROTATE_KEY_USAGE}`);
    return 1;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const ledger = await openConfiguredLedger(loaded.config, `rotate-key@${hostname()}:${process.pid}`);
  try {
    const keys = await openMasterKeys(loaded.config, ledger);
    if (!keys) throw new Error('no master keys are configured (encryption.*)');
    const done = await rotateKey(ledger, keys, values.from, batch, (p) =>
      process.stderr.write(`rotate-key: ${p.rewrapped} re-wrapped, ${p.skipped} overwritten meanwhile, at ${p.lastKey}\n`));
    process.stdout.write(`rotate-key: done; ${done.rewrapped} data keys re-wrapped from "${values.from}" to "${keys.writeKeyId}", ${done.skipped} skipped (overwritten meanwhile)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`admin rotate-key: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await ledger.close();
  }
}
