// Stored secrets sealed under the encryption master key: what the database holds does not give
// the secret away, opens only with the master key (current or previous), and a secret stored
// plain before a master key was configured stays readable.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { LocalKeySource } from '@s3o/crypto';
import { masterKeySealer, openSecrets, plainSealer } from '../src/index.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

test('a sealed secret holds no trace of the secret, opens with its key, and after a rotation while the old key is kept', async () => {
  const k1 = randomBytes(32);
  const sealer = masterKeySealer(new LocalKeySource(new Map([['k1', k1]]), 'k1'));
  const sealed = await sealer.seal(SECRET);
  assert.match(sealed, /^sealed-v1:k1:/);
  assert.equal(sealed.includes(SECRET) || sealed.includes(Buffer.from(SECRET).toString('base64')), false);
  assert.notEqual(await sealer.seal(SECRET), sealed, 'a fresh key and IV each time');
  assert.equal(await sealer.unseal(sealed), SECRET);

  const rotated = masterKeySealer(new LocalKeySource(new Map([['k2', randomBytes(32)], ['k1', k1]]), 'k2'));
  assert.equal(await rotated.unseal(sealed), SECRET, 'k1 kept in previous_keys still opens it');
  assert.match(await rotated.seal(SECRET), /^sealed-v1:k2:/);
  const without = masterKeySealer(new LocalKeySource(new Map([['k2', randomBytes(32)]]), 'k2'));
  await assert.rejects(without.unseal(sealed), /k1/);
  await assert.rejects(plainSealer.unseal(sealed), /master key this process does not have/);
});

test('a tampered sealed secret is refused, never opened to something else', async () => {
  const sealer = masterKeySealer(new LocalKeySource(new Map([['k1', randomBytes(32)]]), 'k1'));
  const sealed = await sealer.seal(SECRET);
  const fields = sealed.split(':');
  const body = Buffer.from(fields[4]!, 'base64url');
  body[0]! ^= 1;
  fields[4] = body.toString('base64url');
  await assert.rejects(sealer.unseal(fields.join(':')));
  await assert.rejects(sealer.unseal('sealed-v1:k1:short'), /malformed/);
});

test('plain secrets stay readable under a master key; without a write key new secrets are stored plain', async () => {
  const keys = new LocalKeySource(new Map([['k1', randomBytes(32)]]), null);
  const sealer = masterKeySealer(keys);
  assert.equal(await sealer.unseal(await plainSealer.seal(SECRET)), SECRET);
  assert.equal(await sealer.seal(SECRET), `plain:${SECRET}`);
  const opened = await openSecrets([`plain:${SECRET}`, 'sealed-v1:k9:a:b:c:d', `plain:${SECRET}`], sealer);
  assert.equal(opened.size, 2, 'each distinct form opened once');
  assert.equal(opened.get(`plain:${SECRET}`), SECRET);
  assert.ok(opened.get('sealed-v1:k9:a:b:c:d') instanceof Error);
});

test('a rebuild unseals only the secrets it has not opened before', async () => {
  const unsealed: string[] = [];
  const counting = { seal: plainSealer.seal, unseal: async (form: string) => (unsealed.push(form), plainSealer.unseal(form)) };
  const first = await openSecrets(['plain:a', 'sealed-v1:k9:a:b:c:d'], counting);
  const second = await openSecrets(['plain:a', 'plain:b', 'sealed-v1:k9:a:b:c:d'], counting, first);
  assert.deepEqual(unsealed, ['plain:a', 'sealed-v1:k9:a:b:c:d', 'plain:b', 'sealed-v1:k9:a:b:c:d'], 'opened ones are reused; a failed one is tried again');
  assert.equal(second.get('plain:a'), 'a');
  assert.equal(second.get('plain:b'), 'b');
});
