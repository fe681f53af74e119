import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import {
  CHECKSUM_ALGORITHMS,
  checksumAlgorithmFromName,
  checksumAlgorithmOfHeader,
  checksumMismatchError,
  createChecksum,
  crc32c,
  invalidChecksumValueError,
  isValidChecksumValue,
  type ChecksumAlgorithm,
} from '../src/checksum.js';

const CHECK_INPUT = Buffer.from('123456789');

test('catalogued check values for "123456789"', () => {
  const expected: Record<ChecksumAlgorithm, string> = {
    crc32: 'cbf43926',
    crc32c: 'e3069283',
    crc64nvme: 'ae8b14860a799888',
    sha1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
    sha256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
  };
  for (const alg of CHECKSUM_ALGORITHMS) {
    const c = createChecksum(alg);
    c.update(CHECK_INPUT);
    assert.equal(c.digest().toString('hex'), expected[alg], alg);
  }
  assert.equal(crc32c(CHECK_INPUT), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('CRC32C of RFC 3720 test patterns (32 zero bytes, 32 0xFF bytes, 0..31)', () => {
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
});

test('incremental updates over any split equal one pass', () => {
  const data = randomBytes(4099);
  for (const alg of CHECKSUM_ALGORITHMS) {
    const whole = createChecksum(alg);
    whole.update(data);
    const expected = whole.digestBase64();
    for (const splits of [[1], [7, 8, 9], [8, 16], [3, 1000, 1001, 4098], [4099]]) {
      const c = createChecksum(alg);
      let from = 0;
      for (const at of [...splits, data.length]) {
        c.update(data.subarray(from, at));
        from = at;
      }
      assert.equal(c.digestBase64(), expected, `${alg} split at ${splits.join(',')}`);
    }
  }
});

test('CRC32C and CRC64NVME agree with the AWS SDK implementations', async () => {
  for (const size of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 65536 + 3]) {
    const data = randomBytes(size);
    const ours32c = createChecksum('crc32c');
    ours32c.update(data);
    const sdk32c = new Crc32cJs();
    sdk32c.update(data);
    assert.deepEqual(ours32c.digest(), Buffer.from(await sdk32c.digest()), `crc32c size ${size}`);
    const ours64 = createChecksum('crc64nvme');
    ours64.update(data);
    const sdk64 = new Crc64NvmeJs();
    sdk64.update(data);
    assert.deepEqual(ours64.digest(), Buffer.from(await sdk64.digest()), `crc64nvme size ${size}`);
  }
});

test('CRC32C and CRC64NVME read word by word at any alignment of the bytes in memory', async () => {
  // CRC32C's table loop reads aligned 32-bit words: a view that starts 1–7 bytes into its buffer
  // goes byte by byte up to the boundary, and its tail after the last whole 8-byte block.
  // CRC64NVME copies the view into its WebAssembly window: the copy must start at the view.
  const backing = randomBytes(4096 + 16);
  for (let offset = 0; offset < 8; offset++) {
    for (const size of [0, 1, 3, 5, 8, 11, 12, 17, 4096 + 5]) {
      const data = backing.subarray(offset, offset + size);
      const ours32c = createChecksum('crc32c');
      ours32c.update(data);
      const sdk32c = new Crc32cJs();
      sdk32c.update(Uint8Array.from(data));
      assert.deepEqual(ours32c.digest(), Buffer.from(await sdk32c.digest()), `crc32c offset ${offset} size ${size}`);
      const ours64 = createChecksum('crc64nvme');
      ours64.update(data);
      const sdk64 = new Crc64NvmeJs();
      sdk64.update(Uint8Array.from(data));
      assert.deepEqual(ours64.digest(), Buffer.from(await sdk64.digest()), `crc64nvme offset ${offset} size ${size}`);
    }
  }
});

test('CRC64NVME in WebAssembly: tails around its 16-byte blocks, updates larger than its window, hashers interleaved', async () => {
  const sdk = async (parts: Uint8Array[]) => {
    const h = new Crc64NvmeJs();
    for (const p of parts) h.update(Uint8Array.from(p));
    return Buffer.from(await h.digest());
  };
  for (const size of [15, 16, 17, 31, 32, 33, 48 + 15]) {
    const data = randomBytes(size);
    const ours = createChecksum('crc64nvme');
    ours.update(data);
    assert.deepEqual(ours.digest(), await sdk([data]), `size ${size}`);
  }
  // the window is 224 KiB: one update of 600,001 bytes goes through it in three pieces
  const big = randomBytes(600_001);
  const whole = createChecksum('crc64nvme');
  whole.update(big);
  assert.deepEqual(whole.digest(), await sdk([big]), 'one update larger than the window');
  // two hashers share one module instance; each keeps its own register between updates
  const a = randomBytes(70_000), b = randomBytes(90_000);
  const ha = createChecksum('crc64nvme'), hb = createChecksum('crc64nvme');
  for (let off = 0; off < 90_000; off += 10_000) {
    ha.update(a.subarray(off, off + 10_000));
    hb.update(b.subarray(off, off + 10_000));
  }
  assert.deepEqual(ha.digest(), await sdk([a]), 'first of two interleaved hashers');
  assert.deepEqual(hb.digest(), await sdk([b]), 'second of two interleaved hashers');
});

test('checksum values must be strict base64 of the digest size', () => {
  assert.ok(isValidChecksumValue('crc32', 'yZRlqg=='));
  assert.ok(!isValidChecksumValue('crc32', 'yZRlqg='));
  assert.ok(!isValidChecksumValue('crc32', 'yZRlqg==\n'));
  assert.ok(!isValidChecksumValue('crc32', 'yZRlqgAA'));
  assert.ok(!isValidChecksumValue('crc64nvme', 'yZRlqg=='));
  assert.ok(isValidChecksumValue('crc64nvme', 'AAAAAAAAAAA='));
  assert.ok(isValidChecksumValue('sha256', Buffer.alloc(32, 1).toString('base64')));
  assert.ok(!isValidChecksumValue('sha1', Buffer.alloc(32, 1).toString('base64')));
});

test('header names and AWS names map to algorithms', () => {
  assert.equal(checksumAlgorithmOfHeader('x-amz-checksum-crc32c'), 'crc32c');
  assert.equal(checksumAlgorithmOfHeader('x-amz-checksum-md5'), undefined);
  assert.equal(checksumAlgorithmOfHeader('x-amz-checksum-type'), undefined);
  assert.equal(checksumAlgorithmFromName('CRC64NVME'), 'crc64nvme');
  assert.equal(checksumAlgorithmFromName('MD5'), undefined);
  const bad = checksumMismatchError('crc32');
  assert.equal(bad.code, 'BadDigest');
  assert.equal(bad.message, 'The CRC32 you specified did not match the calculated checksum.');
  assert.equal(invalidChecksumValueError('sha256').message, 'Value for x-amz-checksum-sha256 header is invalid.');
});
