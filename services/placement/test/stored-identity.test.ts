// What sync and reconcile import for a copy found on a backend: an encrypted copy is described
// from its envelope header (plaintext size, stored size, the header reads decrypt with), a
// plaintext one as it is stored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { formatHeader, LocalKeySource, newEnvelope, storedLength } from '@s3o/crypto';
import { storedIdentity } from '../src/reconcile/stored-identity.js';

const keys = new LocalKeySource(new Map([['k1', randomBytes(32)]]), 'k1');

test('an encrypted copy imports with its plaintext size and its header; a plaintext one as stored', async () => {
  const { header } = await newEnvelope(keys, 4096, 10_000);
  const text = formatHeader(header);
  const stored = storedLength(10_000, 4096);
  const found = { size: stored, etag: 'backend', metadata: { 's3o-enc': text, 's3o-etag': 'client-md5', color: 'red' }, headers: {} };
  const identity = storedIdentity(found);
  assert.equal(identity.size, 10_000);
  assert.equal(identity.storedSize, stored);
  assert.equal(identity.encryption, text);
  assert.equal(identity.etag, 'client-md5');
  assert.deepEqual(identity.userMetadata, { color: 'red' }, 'our own metadata is not the client\'s');

  const upload = formatHeader({ ...header, plaintextLength: 0, parts: [] });
  const multipart = storedIdentity({ size: 5_000_000, etag: 'x', metadata: { 's3o-enc': upload }, headers: {} });
  assert.equal(multipart.size, 5_000_000, 'a multipart header without its layout keeps the stored size (reads refuse it)');
  assert.equal(multipart.encryption, upload);

  const plain = storedIdentity({ size: 42, etag: 'e', metadata: {}, headers: {} });
  assert.equal(plain.size, 42);
  assert.equal(plain.encryption, undefined);
});
