import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createChecksum, type ChecksumAlgorithm } from '../src/checksum.js';
import { checksumTypeAllowed, combineCrcs, multipartChecksum } from '../src/checksum-multipart.js';

function digestOf(algorithm: ChecksumAlgorithm, data: Buffer): Buffer {
  const c = createChecksum(algorithm);
  c.update(data);
  return c.digest();
}

test('a combined CRC equals the CRC of the concatenated bytes (every CRC, uneven and empty parts)', () => {
  const parts = [randomBytes(1), randomBytes(0), randomBytes(4097), randomBytes(65_536 + 3), randomBytes(7)];
  const whole = Buffer.concat(parts);
  for (const algorithm of ['crc32', 'crc32c', 'crc64nvme'] as const) {
    const combined = combineCrcs(algorithm, parts.map((p) => ({ digest: digestOf(algorithm, p), size: p.length })));
    assert.equal(combined.toString('hex'), digestOf(algorithm, whole).toString('hex'), algorithm);
    const full = multipartChecksum(algorithm, 'FULL_OBJECT', parts.map((p) => ({ value: digestOf(algorithm, p).toString('base64'), size: p.length })));
    assert.equal(full, digestOf(algorithm, whole).toString('base64'), algorithm);
  }
});

test('a composite checksum is the algorithm over the concatenated part digests, then -N', () => {
  const parts = [randomBytes(100), randomBytes(50)];
  const digests = parts.map((p) => createHash('sha256').update(p).digest());
  const expected = `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-2`;
  assert.equal(multipartChecksum('sha256', 'COMPOSITE', parts.map((p, i) => ({ value: digests[i]!.toString('base64'), size: p.length }))), expected);
});

test('FULL_OBJECT only for CRCs; CRC64NVME only FULL_OBJECT', () => {
  assert.equal(checksumTypeAllowed('sha1', 'FULL_OBJECT'), false);
  assert.equal(checksumTypeAllowed('crc32', 'FULL_OBJECT'), true);
  assert.equal(checksumTypeAllowed('crc32', 'COMPOSITE'), true);
  assert.equal(checksumTypeAllowed('crc64nvme', 'COMPOSITE'), false);
  assert.throws(() => combineCrcs('sha256', []), RangeError);
});
