// `encryption.*`: envelope encryption at rest (docs/architecture.md, "Encryption at rest").
// `enabled` decides whether new objects are encrypted; the master keys are read whenever they
// are configured, so turning encryption off leaves the objects already encrypted readable.
// A master key is base64 of 32 bytes, inline (`${VAR}` expansion) or in a key file, and has
// an id that is stored with every data key it wraps; `previous_keys` keep older keys readable
// after a rotation. The key files themselves (existence, permissions) are read at start, where
// a problem refuses the start naming the key id. Vault is upstream's and not built here.

import { z } from 'zod';
import { boolean, list, optionalText, recognised, section, size } from '../fields.js';
import { formatKeyPath, type KeyPath } from '../key-path.js';
import { defineSection, reportDuplicates, type Report } from '../section.js';

/** A master key as configured: base64 text or a key file (exactly one of the two). */
export interface MasterKeyRef {
  id: string;
  key: string | null;
  file: string | null;
}

export interface EncryptionConfig {
  /** New objects are encrypted. */
  enabled: boolean;
  /** Plaintext bytes per GCM chunk (power of two, 4 KiB–1 MiB; default 64 KiB). */
  chunkSize: number;
  /** The key new data keys are wrapped with; null when none is configured. */
  masterKey: MasterKeyRef | null;
  /** Older keys, kept to read what they wrapped. */
  previousKeys: MasterKeyRef[];
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const keyIdRule = (text: string): string | null => (KEY_ID.test(text) ? null : 'must be 1–64 letters, digits, "_" or "-"');

const previousKey = z.object({
  id: optionalText(keyIdRule),
  key: optionalText(),
  key_file: optionalText(),
});

const schema = section({
  enabled: boolean(false),
  key_id: optionalText(keyIdRule),
  master_key: optionalText(),
  master_key_file: optionalText(),
  chunk_size: size(64 * 1024, { allowZero: false }),
  previous_keys: list(previousKey),
  vault: recognised(),
});

type Reads = { encryption: z.output<typeof schema> };

function base64KeyProblem(text: string): string | null {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === text.replace(/\s+/g, '') ? null : 'must be base64 of 32 bytes';
}

/** One key's own rules: exactly one of key / file, and a base64 key of the right length. */
function checkKey(key: string | null | undefined, file: string | null | undefined, keyPath: KeyPath, filePath: KeyPath, report: Report): void {
  if (typeof key === 'string' && typeof file === 'string') report(filePath, `give ${formatKeyPath(keyPath)} or ${formatKeyPath(filePath)}, not both`);
  if (typeof key === 'string') {
    const problem = base64KeyProblem(key);
    if (problem) report(keyPath, problem);
  }
}

export const encryptionSection = defineSection({
  key: 'encryption',
  field: 'encryption',
  schema,
  normalise: ({ encryption: e }: Reads): EncryptionConfig => ({
    enabled: e.enabled,
    chunkSize: e.chunk_size,
    masterKey: e.master_key !== null || e.master_key_file !== null ? { id: e.key_id!, key: e.master_key, file: e.master_key_file } : null,
    previousKeys: e.previous_keys.map((k) => ({ id: k.id!, key: k.key, file: k.key_file })),
  }),
  check({ encryption: e }: Reads, report) {
    const chunk = e.chunk_size;
    if (typeof chunk === 'number' && (chunk < 4096 || chunk > 1024 * 1024 || (chunk & (chunk - 1)) !== 0)) {
      report(['encryption', 'chunk_size'], 'must be a power of two from 4KiB to 1MiB');
    }
    const hasKey = typeof e.master_key === 'string' || typeof e.master_key_file === 'string';
    if (e.enabled === true && !hasKey && e.master_key !== undefined && e.master_key_file !== undefined) {
      report(['encryption', 'master_key'], 'required when encryption.enabled is true (or encryption.master_key_file)');
    }
    if (hasKey && e.key_id === null) report(['encryption', 'key_id'], 'required with a master key: it is stored with every data key the key wraps');
    checkKey(e.master_key, e.master_key_file, ['encryption', 'master_key'], ['encryption', 'master_key_file'], report);
    const ids: Array<{ value: string; path: KeyPath }> = [];
    if (hasKey && typeof e.key_id === 'string') ids.push({ value: e.key_id, path: ['encryption', 'key_id'] });
    (e.previous_keys ?? []).forEach((k, i) => {
      const at: KeyPath = ['encryption', 'previous_keys', i];
      if (k.id === null) report([...at, 'id'], 'required');
      else if (typeof k.id === 'string') ids.push({ value: k.id, path: [...at, 'id'] });
      if (k.key === null && k.key_file === null) report([...at, 'key'], 'required (or key_file)');
      checkKey(k.key, k.key_file, [...at, 'key'], [...at, 'key_file'], report);
    });
    reportDuplicates(ids, (id, first) => `key id ${JSON.stringify(id)} is already used by ${formatKeyPath(first)}`, report);
  },
  unsupported: [
    { key: 'encryption.vault', problem: 'Vault key sources are not supported yet; use master_key or master_key_file', isOn: ({ encryption }: Reads) => encryption.vault !== undefined && encryption.vault !== null },
  ],
});
