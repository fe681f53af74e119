// `encryption.*`: keys given inline (with ${VAR}) or as files, ids required and unique,
// chunk sizes that are powers of two in range; every problem names its key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseConfig } from '../src/index.js';
import { minimalDocument, problemsAfter } from './fixtures.js';

const KEY = Buffer.alloc(32, 1).toString('base64');
const OLD = Buffer.alloc(32, 2).toString('base64');

test('a key from the environment, previous keys and chunk size are read', () => {
  const doc = minimalDocument();
  doc.encryption = {
    enabled: true, key_id: 'k2', master_key: '${S3O_MASTER_KEY}', chunk_size: '1MiB',
    previous_keys: [{ id: 'k1', key: OLD }, { id: 'k0', key_file: '/run/secrets/k0' }],
  };
  const { config } = parseConfig(stringify(doc), { S3O_MASTER_KEY: KEY });
  assert.deepEqual(config.encryption, {
    enabled: true, chunkSize: 1024 * 1024,
    masterKey: { id: 'k2', key: KEY, file: null },
    previousKeys: [{ id: 'k1', key: OLD, file: null }, { id: 'k0', key: null, file: '/run/secrets/k0' }],
  });
});

test('turning encryption off keeps the keys (encrypted objects stay readable)', () => {
  const doc = minimalDocument();
  doc.encryption = { enabled: false, key_id: 'k1', master_key_file: '/run/secrets/k1' };
  const { config } = parseConfig(stringify(doc), {});
  assert.deepEqual(config.encryption.masterKey, { id: 'k1', key: null, file: '/run/secrets/k1' });
  assert.equal(config.encryption.enabled, false);
});

test('each bad setting is reported at its key', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ enabled: true }, 'encryption.master_key: required when encryption.enabled is true (or encryption.master_key_file)'],
    [{ enabled: true, key_id: 'k', master_key: 'c2hvcnQ=' }, 'encryption.master_key: must be base64 of 32 bytes'],
    [{ master_key: KEY }, 'encryption.key_id: required with a master key: it is stored with every data key the key wraps'],
    [{ key_id: 'a b', master_key: KEY }, 'encryption.key_id: must be 1–64 letters, digits, "_" or "-"'],
    [{ key_id: 'k', master_key: KEY, master_key_file: '/k' }, 'encryption.master_key_file: give encryption.master_key or encryption.master_key_file, not both'],
    [{ chunk_size: '48KiB' }, 'encryption.chunk_size: must be a power of two from 4KiB to 1MiB'],
    [{ chunk_size: '2MiB' }, 'encryption.chunk_size: must be a power of two from 4KiB to 1MiB'],
    [{ chunk_size: 2048 }, 'encryption.chunk_size: must be a power of two from 4KiB to 1MiB'],
    [{ previous_keys: [{ key: OLD }] }, 'encryption.previous_keys[0].id: required'],
    [{ previous_keys: [{ id: 'old' }] }, 'encryption.previous_keys[0].key: required (or key_file)'],
    [{ key_id: 'k', master_key: KEY, previous_keys: [{ id: 'k', key: OLD }] }, 'encryption.previous_keys[0].id: key id "k" is already used by encryption.key_id'],
  ];
  for (const [encryption, message] of cases) {
    assert.deepEqual(problemsAfter((d) => (d.encryption = encryption)), [message], JSON.stringify(encryption));
  }
});
