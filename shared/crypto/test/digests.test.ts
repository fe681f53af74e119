// Recorded digests on their own: which SHA-256s a read can be checked against (whole object,
// whole parts, nothing for other ranges or a composite without part hashes), and the check
// itself — a part whose bytes differ fails at that part's end, before the next part's bytes
// and before the newest chunk goes out; held whole, nothing goes out at all.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { DigestMismatchError, expectedDigests, VerifyDigests, type DigestSegment } from '../src/index.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Feeds `data` in `chunk`-byte pieces; the bytes that came out, and the error if it failed. */
async function run(segments: DigestSegment[], data: Buffer, chunk: number, holdAll = false): Promise<{ out: Buffer; err: unknown }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
  const check = new VerifyDigests(segments, holdAll);
  const out: Buffer[] = [];
  check.on('data', (b: Buffer) => out.push(b));
  const err = await new Promise<unknown>((resolve) => {
    check.on('end', () => resolve(null));
    check.on('error', resolve);
    Readable.from(pieces).pipe(check);
  });
  return { out: Buffer.concat(out), err };
}

describe('expectedDigests', () => {
  const parts = { size: 30, contentHash: 'c-3', partSizes: [10, 15, 5], partHashes: ['h1', 'h2', 'h3'] };

  test('a whole read of an object from parts checks every part; a run of whole parts checks those', () => {
    assert.deepEqual(expectedDigests(parts, null), [{ size: 10, sha256: 'h1' }, { size: 15, sha256: 'h2' }, { size: 5, sha256: 'h3' }]);
    assert.deepEqual(expectedDigests(parts, { start: 10, end: 24 }), [{ size: 15, sha256: 'h2' }]);
    assert.deepEqual(expectedDigests(parts, { start: 10, end: 29 }), [{ size: 15, sha256: 'h2' }, { size: 5, sha256: 'h3' }]);
  });

  test('a range that starts or ends inside a part checks nothing', () => {
    assert.equal(expectedDigests(parts, { start: 11, end: 24 }), null);
    assert.equal(expectedDigests(parts, { start: 10, end: 23 }), null);
    assert.equal(expectedDigests(parts, { start: 0, end: 0 }), null);
  });

  test('a whole-object hash covers the whole read only; a composite without part hashes, nothing', () => {
    const whole = { size: 8, contentHash: 'ab' };
    assert.deepEqual(expectedDigests(whole, null), [{ size: 8, sha256: 'ab' }]);
    assert.deepEqual(expectedDigests(whole, { start: 0, end: 7 }), [{ size: 8, sha256: 'ab' }]);
    assert.equal(expectedDigests(whole, { start: 1, end: 7 }), null);
    assert.equal(expectedDigests({ size: 8, contentHash: 'ab-2', partSizes: [5, 3] }, null), null);
    assert.equal(expectedDigests({ size: 8, contentHash: null }, null), null);
    assert.equal(expectedDigests({ size: 0, contentHash: sha(Buffer.alloc(0)) }, null), null);
  });
});

describe('VerifyDigests', () => {
  const a = randomBytes(1000);
  const b = randomBytes(700);
  const segments = [{ size: a.length, sha256: sha(a) }, { size: b.length, sha256: sha(b) }];

  test('good bytes pass unchanged, whatever the chunking', async () => {
    for (const chunk of [1, 99, 1000, 4096]) {
      const { out, err } = await run(segments, Buffer.concat([a, b]), chunk);
      assert.equal(err, null);
      assert.ok(out.equals(Buffer.concat([a, b])), `chunks of ${chunk}`);
    }
  });

  test('a bad first part fails at its end: no byte of the second part, nor the newest chunk, goes out', async () => {
    const bad = Buffer.concat([a, b]);
    bad[500]! ^= 1;
    const { out, err } = await run(segments, bad, 100);
    assert.ok(err instanceof DigestMismatchError);
    assert.equal(err.segment, 0);
    assert.equal(err.short, false, 'a hash mismatch, not a short body');
    assert.ok(out.length < a.length, `${out.length} bytes went out`);
  });

  test('held whole, a bad last part lets nothing out', async () => {
    const bad = Buffer.concat([a, b]);
    bad[bad.length - 1]! ^= 1;
    const { out, err } = await run(segments, bad, 100, true);
    assert.ok(err instanceof DigestMismatchError);
    assert.equal(out.length, 0);
  });

  test('too few or too many bytes fail', async () => {
    const short = (await run(segments, Buffer.concat([a, b]).subarray(0, 1699), 100)).err;
    assert.ok(short instanceof DigestMismatchError);
    assert.equal(short.short, true, 'the bytes ended early');
    assert.ok((await run(segments, Buffer.concat([a, b, Buffer.from('x')]), 100)).err instanceof DigestMismatchError);
  });
});
