// Envelope encryption on its own: round trips at the sizes where chunking has edges, every
// plaintext range decrypted from only the stored bytes that cover it, and every way stored
// bytes can be wrong — a flipped bit, chunks swapped, cut at a chunk boundary, extended — fails
// with IntegrityError before any byte of the bad chunk comes out.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import {
  DecryptStream, encryptChunks, formatHeader, partIndexBase, planStoredRead, IntegrityError, KeyMismatchError, loadLocalKeySource, LocalKeySource, newEnvelope,
  openEnvelope, parseHeader, rewrapHeader, storedLength, storedSpan, TAG_BYTES, UnknownKeyError, type EnvelopeHeader,
} from '../src/index.js';

const CHUNK = 4096;
const keys = new LocalKeySource(new Map([['k1', randomBytes(32)]]), 'k1');

function decryptRange(dataKey: Buffer, header: EnvelopeHeader, range?: { start: number; end: number }): DecryptStream {
  return new DecryptStream(dataKey, header, planStoredRead(header, range));
}

/** Feeds `data` in pieces of `piece` bytes, so chunk boundaries fall inside and across writes. */
function pieces(data: Buffer, piece: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += piece) parts.push(data.subarray(i, i + piece));
  return Readable.from(parts);
}

async function encrypt(plain: Buffer, piece = 1000): Promise<{ stored: Buffer; header: EnvelopeHeader; dataKey: Buffer }> {
  const { header, dataKey } = await newEnvelope(keys, CHUNK, plain.length);
  const stored = await buffer(Readable.from(encryptChunks(dataKey, header, pieces(plain, piece))));
  return { stored, header, dataKey };
}

async function decrypt(stored: Buffer, header: EnvelopeHeader, range?: { start: number; end: number }): Promise<Buffer> {
  const dataKey = await openEnvelope(keys, parseHeader(formatHeader(header)));
  const stream = decryptRange(dataKey, header, range);
  return buffer(pieces(stored.subarray(stream.plan.start, stream.plan.end + 1), 777).pipe(stream));
}

describe('envelope encryption', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 17]) {
    test(`round trip of ${size} bytes`, async () => {
      const plain = randomBytes(size);
      const { stored, header } = await encrypt(plain);
      assert.equal(stored.length, storedLength(size, CHUNK));
      assert.ok(stored.length >= TAG_BYTES, 'even an empty object has a tag');
      assert.deepEqual(await decrypt(stored, header), plain);
      // (a 1-byte plaintext is among 17 random-looking stored bytes by chance one time in 15)
      if (size >= 16) assert.equal(stored.indexOf(plain.subarray(0, Math.min(size, 64))), -1, 'no plaintext in the stored bytes');
    });
  }

  test('every range decrypts from only the chunks that cover it', async () => {
    const size = 3 * CHUNK + 100;
    const plain = randomBytes(size);
    const { stored, header } = await encrypt(plain);
    const edges = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1, 3 * CHUNK, size - 2, size - 1];
    for (const start of edges) {
      for (const end of edges) {
        if (end < start) continue;
        const span = storedSpan(size, CHUNK, start, end);
        assert.equal(span.lastChunk - span.firstChunk, Math.floor(end / CHUNK) - Math.floor(start / CHUNK));
        assert.ok(span.end - span.start + 1 <= (span.lastChunk - span.firstChunk + 1) * (CHUNK + TAG_BYTES));
        assert.deepEqual(await decrypt(stored, header, { start, end }), plain.subarray(start, end + 1), `range ${start}-${end}`);
      }
    }
  });

  test('a flipped bit fails authentication', async () => {
    const plain = randomBytes(2 * CHUNK + 5);
    const { stored, header } = await encrypt(plain);
    for (const at of [0, CHUNK - 1, CHUNK + TAG_BYTES + 3, stored.length - 1]) {
      const bad = Buffer.from(stored);
      bad[at]! ^= 0x01;
      await assert.rejects(decrypt(bad, header), IntegrityError, `flip at ${at}`);
    }
  });

  test('no byte of a chunk that fails comes out', async () => {
    const plain = randomBytes(2 * CHUNK);
    const { stored, header, dataKey } = await encrypt(plain);
    const bad = Buffer.from(stored);
    bad[CHUNK + TAG_BYTES + 10]! ^= 0x80; // second chunk
    const stream = decryptRange(dataKey, header);
    const out: Buffer[] = [];
    stream.on('data', (b: Buffer) => out.push(b));
    await assert.rejects(new Promise((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
      stream.end(bad);
    }), IntegrityError);
    assert.deepEqual(Buffer.concat(out), plain.subarray(0, CHUNK), 'only the first, authenticated chunk');
  });

  test('swapped chunks fail', async () => {
    const plain = randomBytes(3 * CHUNK);
    const { stored, header } = await encrypt(plain);
    const stride = CHUNK + TAG_BYTES;
    const swapped = Buffer.concat([stored.subarray(stride, 2 * stride), stored.subarray(0, stride), stored.subarray(2 * stride)]);
    await assert.rejects(decrypt(swapped, header), IntegrityError);
  });

  test('truncated at a chunk boundary fails, even with the header changed to match', async () => {
    const plain = randomBytes(3 * CHUNK);
    const { stored, header } = await encrypt(plain);
    const cut = stored.subarray(0, 2 * (CHUNK + TAG_BYTES));
    await assert.rejects(decrypt(cut, header), IntegrityError, 'ends early');
    // A header claiming two chunks: chunk 1 was not sealed as the last one.
    await assert.rejects(decrypt(cut, { ...header, plaintextLength: 2 * CHUNK }), IntegrityError, 'last-chunk flag');
    // An empty object made of a non-empty one's stored bytes cut to nothing.
    await assert.rejects(decrypt(Buffer.alloc(0), header), IntegrityError);
  });

  test('extra stored bytes fail', async () => {
    const plain = randomBytes(CHUNK + 3);
    const { stored, header } = await encrypt(plain);
    const dataKey = await openEnvelope(keys, header);
    const stream = decryptRange(dataKey, header);
    await assert.rejects(buffer(Readable.from([stored, Buffer.from('x')]).pipe(stream)), IntegrityError);
  });

  test('encrypting more or fewer bytes than declared fails', async () => {
    const { header, dataKey } = await newEnvelope(keys, CHUNK, 10);
    await assert.rejects(buffer(Readable.from(encryptChunks(dataKey, header, Readable.from([randomBytes(11)])))));
    await assert.rejects(buffer(Readable.from(encryptChunks(dataKey, header, Readable.from([randomBytes(9)])))));
  });

  test('header round trip and malformed headers', async () => {
    const { header } = await newEnvelope(keys, 65536, 123456789);
    assert.deepEqual(parseHeader(formatHeader(header)), header);
    assert.throws(() => parseHeader(formatHeader(header).replace('v=1', 'v=2')), /unknown version/);
    assert.throws(() => parseHeader(formatHeader(header).replace('c=65536', 'c=65535')), /chunk size/);
    assert.throws(() => parseHeader('nonsense'), /bad field/);
  });
});

describe('master keys', () => {
  test('rewrap changes the key id, not the data key; the old key then unwraps nothing new', async () => {
    const old = randomBytes(32);
    const before = new LocalKeySource(new Map([['old', old]]), 'old');
    const { header, dataKey } = await newEnvelope(before, CHUNK, 5);
    const after = new LocalKeySource(new Map([['old', old], ['new', randomBytes(32)]]), 'new');
    const rewrapped = await rewrapHeader(after, header);
    assert.equal(rewrapped.keyId, 'new');
    assert.deepEqual(rewrapped.nonceBase, header.nonceBase);
    assert.deepEqual(await openEnvelope(after, rewrapped), dataKey);
    await assert.rejects(openEnvelope(before, rewrapped), UnknownKeyError);
  });

  test('a wrong key under the same id is a mismatch, never a wrong data key', async () => {
    const { header } = await newEnvelope(keys, CHUNK, 5);
    const impostor = new LocalKeySource(new Map([['k1', randomBytes(32)]]), 'k1');
    await assert.rejects(openEnvelope(impostor, header), KeyMismatchError);
    // The wrap is bound to its id: the same key under another id does not open it either.
    await assert.rejects(openEnvelope(keys, { ...header, keyId: 'k2' }), UnknownKeyError);
  });

  test('key files: base64 or raw, and refused when group or others can read them', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3o-keys-'));
    try {
      const key = randomBytes(32);
      const text = join(dir, 'text.key');
      writeFileSync(text, `${key.toString('base64')}\n`, { mode: 0o600 });
      const raw = join(dir, 'raw.key');
      writeFileSync(raw, key, { mode: 0o400 });
      const source = loadLocalKeySource([{ id: 'a', key: null, file: text }, { id: 'b', key: null, file: raw }], 'a');
      assert.ok(source.knows('a') && source.knows('b'));
      chmodSync(text, 0o640);
      assert.throws(() => loadLocalKeySource([{ id: 'a', key: null, file: text }], 'a'), /master key "a".*readable by group or others/);
      assert.throws(() => loadLocalKeySource([{ id: 'a', key: 'c2hvcnQ=', file: null }], 'a'), /master key "a" must be base64 of 32 bytes/);
      assert.throws(() => loadLocalKeySource([], 'a'), UnknownKeyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pulled encryption', () => {
  test('encryptChunks reads nothing until pulled, whatever the pieces', async () => {
    const plain = randomBytes(3 * CHUNK + 9);
    const { header, dataKey } = await newEnvelope(keys, CHUNK, plain.length);
    const source = pieces(plain, 1500);
    const pulled = Readable.from(encryptChunks(dataKey, header, source));
    assert.equal(source.readableDidRead, false);
    const stored = await buffer(pulled);
    assert.deepEqual(stored, await buffer(Readable.from(encryptChunks(dataKey, header, pieces(plain, 999)))), 'the same however the plaintext is cut');
    assert.deepEqual(await decrypt(stored, header), plain);
  });

  test('the output is whole stored chunks, whatever the pieces (one backend write per chunk, no write of a lone tag)', async () => {
    for (const [size, piece] of [[0, 1], [1, 1], [CHUNK, 4096], [3 * CHUNK + 9, 1500], [2 * CHUNK, 3 * CHUNK]] as const) {
      const plain = randomBytes(size);
      const { header, dataKey } = await newEnvelope(keys, CHUNK, size);
      const out: number[] = [];
      for await (const chunk of encryptChunks(dataKey, header, pieces(plain, piece))) out.push(chunk.length);
      const whole = Array.from({ length: Math.max(1, Math.ceil(size / CHUNK)) }, (_, i) => Math.min(CHUNK, size - i * CHUNK) + TAG_BYTES);
      assert.deepEqual(out, whole, `${size} bytes in pieces of ${piece}`);
    }
  });
});

describe('multipart layout', () => {
  /** Parts encrypted one by one under the upload's data key, stored one after the other. */
  async function encryptParts(parts: Array<[number, Buffer]>): Promise<{ stored: Buffer; header: EnvelopeHeader }> {
    const { header: upload, dataKey } = await newEnvelope(keys, CHUNK, 0);
    const stored: Buffer[] = [];
    for (const [number, plain] of parts) {
      stored.push(await buffer(Readable.from(encryptChunks(dataKey, { ...upload, plaintextLength: plain.length }, pieces(plain, 1000), partIndexBase(number)))));
    }
    const total = parts.reduce((n, [, p]) => n + p.length, 0);
    return { stored: Buffer.concat(stored), header: { ...upload, plaintextLength: total, parts: parts.map(([number, p]) => ({ number, length: p.length })) } };
  }

  test('every range of a multipart object decrypts from one contiguous span of its parts', async () => {
    const parts: Array<[number, Buffer]> = [[1, randomBytes(2 * CHUNK + 5)], [3, Buffer.alloc(0)], [4, randomBytes(CHUNK)], [9, randomBytes(7)]];
    const plain = Buffer.concat(parts.map(([, p]) => p));
    const { stored, header } = await encryptParts(parts);
    assert.equal(stored.length, parts.reduce((n, [, p]) => n + storedLength(p.length, CHUNK), 0));
    assert.deepEqual(parseHeader(formatHeader(header)), header);
    assert.deepEqual(await decrypt(stored, header), plain);
    const edges = [0, 1, CHUNK, 2 * CHUNK + 4, 2 * CHUNK + 5, 3 * CHUNK + 4, 3 * CHUNK + 5, plain.length - 1];
    for (const start of edges) {
      for (const end of edges) {
        if (end < start) continue;
        assert.deepEqual(await decrypt(stored, header, { start, end }), plain.subarray(start, end + 1), `range ${start}-${end}`);
      }
    }
  });

  test('parts cannot be swapped or renumbered', async () => {
    const a = randomBytes(CHUNK);
    const b = randomBytes(CHUNK);
    const { stored, header } = await encryptParts([[1, a], [2, b]]);
    const stride = CHUNK + TAG_BYTES;
    const swapped = Buffer.concat([stored.subarray(stride), stored.subarray(0, stride)]);
    await assert.rejects(decrypt(swapped, header), IntegrityError);
    await assert.rejects(decrypt(stored, { ...header, parts: [{ number: 1, length: CHUNK }, { number: 3, length: CHUNK }] }), IntegrityError);
  });
});
