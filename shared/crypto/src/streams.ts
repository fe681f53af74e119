// Streaming encryption and decryption of one object's chunks, memory bounded by one chunk.
// Encryption feeds the cipher as bytes arrive; decryption holds one stored chunk until its tag
// checks and only then lets its plaintext out, so no unauthenticated byte ever reaches a
// client (docs/architecture.md, "Encryption at rest").
import { Transform, type TransformCallback } from 'node:stream';
import type { CipherGCM } from 'node:crypto';
import { chunkCipher, chunkDecipher } from './chunk-cipher.js';
import type { EnvelopeHeader } from './envelope.js';
import { chunkCount, storedLength, storedSpan, TAG_BYTES, type StoredSpan } from './layout.js';

/** Stored bytes that do not authenticate: tampered, reordered, truncated or extended chunks. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** Encrypts exactly `header.plaintextLength` bytes into the stored form; more or fewer is an error. */
export class EncryptStream extends Transform {
  private readonly chunks: number;
  private index = 0;
  private inChunk = 0;
  private seen = 0;
  private cipher: CipherGCM;

  constructor(private readonly dataKey: Buffer, private readonly header: EnvelopeHeader) {
    super();
    this.chunks = chunkCount(header.plaintextLength, header.chunkSize);
    this.cipher = this.open(0);
  }

  private open(index: number): CipherGCM {
    return chunkCipher(this.dataKey, this.header.nonceBase, index, index === this.chunks - 1);
  }

  private seal(): void {
    this.cipher.final();
    this.push(this.cipher.getAuthTag());
    this.index++;
    this.inChunk = 0;
    if (this.index < this.chunks) this.cipher = this.open(this.index);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += data.length;
    if (this.seen > this.header.plaintextLength) return done(new Error(`more than the declared ${this.header.plaintextLength} bytes to encrypt`));
    const size = this.header.chunkSize;
    let at = 0;
    while (at < data.length) {
      const take = Math.min(size - this.inChunk, data.length - at);
      this.push(this.cipher.update(data.subarray(at, at + take)));
      at += take;
      this.inChunk += take;
      // The last chunk is sealed in flush: it may be short, and an exact multiple must not open a chunk past the end.
      if (this.inChunk === size && this.index < this.chunks - 1) this.seal();
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.header.plaintextLength) return done(new Error(`${this.seen} of the declared ${this.header.plaintextLength} bytes to encrypt`));
    this.seal();
    done();
  }
}

/**
 * Decrypts the stored bytes of `span` (from storedSpan: whole chunks) and lets out exactly the
 * plaintext range it was made for. Each chunk is authenticated before any of its bytes are
 * pushed; a chunk that fails, stored bytes that end early or run long, fail the stream with
 * IntegrityError.
 */
export class DecryptStream extends Transform {
  private readonly chunks: number;
  private readonly total: number;
  private readonly stride: number;
  private index: number;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private toSkip: number;
  private toSend: number;

  constructor(private readonly dataKey: Buffer, private readonly header: EnvelopeHeader, readonly span: StoredSpan) {
    super();
    this.chunks = chunkCount(header.plaintextLength, header.chunkSize);
    this.total = storedLength(header.plaintextLength, header.chunkSize);
    this.stride = header.chunkSize + TAG_BYTES;
    this.index = span.firstChunk;
    this.toSkip = span.skip;
    this.toSend = span.length;
  }

  /** Stored bytes of the chunk being read (the last may be short). */
  private storedChunkBytes(): number {
    return Math.min(this.stride, this.total - this.index * this.stride);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    try {
      while (at < data.length) {
        if (this.index > this.span.lastChunk) throw new IntegrityError('stored object is longer than its header says');
        const need = this.storedChunkBytes() - this.heldBytes;
        const take = Math.min(need, data.length - at);
        this.held.push(data.subarray(at, at + take));
        this.heldBytes += take;
        at += take;
        if (take === need) this.openChunk();
      }
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  private openChunk(): void {
    const stored = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    const body = stored.subarray(0, stored.length - TAG_BYTES);
    const decipher = chunkDecipher(this.dataKey, this.header.nonceBase, this.index, this.index === this.chunks - 1, stored.subarray(stored.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new IntegrityError(`chunk ${this.index} failed authentication`);
    }
    this.index++;
    const from = Math.min(this.toSkip, plain.length);
    this.toSkip -= from;
    const out = plain.subarray(from, from + Math.min(this.toSend, plain.length - from));
    this.toSend -= out.length;
    if (out.length > 0) this.push(out);
  }

  override _flush(done: TransformCallback): void {
    if (this.index <= this.span.lastChunk) return done(new IntegrityError(`stored object ends in chunk ${this.index} of ${this.span.firstChunk}-${this.span.lastChunk}`));
    done();
  }
}

/** A decrypting stream for plaintext bytes `start`–`end` (inclusive; the whole object when absent) and the stored span to fetch for it. */
export function decryptRange(dataKey: Buffer, header: EnvelopeHeader, range?: { start: number; end: number }): DecryptStream {
  const span = range
    ? storedSpan(header.plaintextLength, header.chunkSize, range.start, range.end)
    : storedSpan(header.plaintextLength, header.chunkSize, 0, Math.max(0, header.plaintextLength - 1));
  return new DecryptStream(dataKey, header, span);
}
