// Streaming encryption and decryption of one object's chunks, memory bounded by one chunk.
// Encryption feeds the cipher as bytes arrive; decryption holds one stored chunk until its tag
// checks and only then lets its plaintext out, so no unauthenticated byte ever reaches a
// client (docs/architecture.md, "Encryption at rest").
import { Transform, type TransformCallback } from 'node:stream';
import type { CipherGCM, DecipherGCM } from 'node:crypto';
import { chunkCipher, chunkDecipher } from './chunk-cipher.js';
import type { EnvelopeHeader } from './envelope.js';
import { chunkCount, storedLength, TAG_BYTES } from './layout.js';
import type { ReadSegment, StoredReadPlan } from './read-plan.js';

/** Stored bytes that do not authenticate: tampered, reordered, truncated or extended chunks. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/**
 * Encrypts exactly `header.plaintextLength` bytes into the stored form, fed piece by piece;
 * more or fewer is an error. What it hands to `emit` is always one whole stored chunk (its
 * ciphertext and tag in one buffer): the cipher's output is copied into the chunk as it comes,
 * so memory is bounded by one chunk, and the backend connection gets one write per chunk
 * instead of a 16-byte write for every tag — small writes the backend has to take one by one
 * (docs/performance.md, "Encrypted PUT").
 */
export class ChunkEncryptor {
  private readonly chunks: number;
  private index = 0;
  private inChunk = 0;
  private seen = 0;
  private cipher: CipherGCM;
  /** the stored chunk being filled: ciphertext so far, then the tag */
  private stored: Buffer;
  private storedAt = 0;

  /** `indexBase`: the first chunk's index (a multipart part's chunks start at partIndexBase(part)). */
  constructor(private readonly dataKey: Buffer, private readonly header: EnvelopeHeader, private readonly indexBase = 0) {
    this.chunks = chunkCount(header.plaintextLength, header.chunkSize);
    this.cipher = this.open(0);
    this.stored = this.storedChunk(0);
  }

  private open(index: number): CipherGCM {
    return chunkCipher(this.dataKey, this.header.nonceBase, this.indexBase + index, index === this.chunks - 1);
  }

  /** A buffer for chunk `index`'s stored bytes (the last chunk may be short). */
  private storedChunk(index: number): Buffer {
    const size = this.header.chunkSize;
    return Buffer.allocUnsafeSlow(Math.min(size, this.header.plaintextLength - index * size) + TAG_BYTES);
  }

  private take(out: Buffer): void {
    this.storedAt += out.copy(this.stored, this.storedAt);
  }

  private seal(emit: (out: Buffer) => void): void {
    this.take(this.cipher.final());
    this.take(this.cipher.getAuthTag());
    emit(this.stored);
    this.index++;
    this.inChunk = 0;
    if (this.index < this.chunks) {
      this.cipher = this.open(this.index);
      this.stored = this.storedChunk(this.index);
      this.storedAt = 0;
    }
  }

  update(data: Buffer, emit: (out: Buffer) => void): void {
    this.seen += data.length;
    if (this.seen > this.header.plaintextLength) throw new Error(`more than the declared ${this.header.plaintextLength} bytes to encrypt`);
    const size = this.header.chunkSize;
    let at = 0;
    while (at < data.length) {
      const take = Math.min(size - this.inChunk, data.length - at);
      this.take(this.cipher.update(data.subarray(at, at + take)));
      at += take;
      this.inChunk += take;
      // The last chunk is sealed by final: it may be short, and an exact multiple must not open a chunk past the end.
      if (this.inChunk === size && this.index < this.chunks - 1) this.seal(emit);
    }
  }

  final(emit: (out: Buffer) => void): void {
    if (this.seen !== this.header.plaintextLength) throw new Error(`${this.seen} of the declared ${this.header.plaintextLength} bytes to encrypt`);
    this.seal(emit);
  }
}

/**
 * The stored form of `source`, pulled: nothing is read from `source` until the result is
 * read, so a consumer that never starts (a backend that refused the connection) leaves the
 * source untouched, and an error of the source is the error of the result.
 */
export async function* encryptChunks(dataKey: Buffer, header: EnvelopeHeader, source: AsyncIterable<Buffer>, indexBase = 0): AsyncGenerator<Buffer> {
  const encryptor = new ChunkEncryptor(dataKey, header, indexBase);
  const out: Buffer[] = [];
  const emit = (chunk: Buffer): void => {
    out.push(chunk);
  };
  for await (const data of source) {
    encryptor.update(data, emit);
    yield* out.splice(0);
  }
  encryptor.final(emit);
  yield* out.splice(0);
}

/**
 * Decrypts the stored bytes of a read plan (planStoredRead: whole chunks of one or more
 * parts) and lets out exactly the plaintext range it was made for. Each chunk is
 * authenticated before any of its bytes are pushed; a chunk that fails, stored bytes that end
 * early or run long, fail the stream with IntegrityError.
 */
export class DecryptStream extends Transform {
  private readonly stride: number;
  private segment = 0;
  private chunk: number;
  /** the chunk being read: its decipher, the stored bytes it has had, its (unreleased) plaintext, its tag so far */
  private decipher: DecipherGCM | null = null;
  private chunkStored = 0;
  private chunkBytes = 0;
  private plain: Buffer[] = [];
  private tag: Buffer[] = [];
  private toSkip: number;
  private toSend: number;

  constructor(private readonly dataKey: Buffer, private readonly header: EnvelopeHeader, readonly plan: StoredReadPlan) {
    super();
    this.stride = header.chunkSize + TAG_BYTES;
    const first = plan.segments[0]!;
    this.chunk = first.span.firstChunk;
    this.toSkip = first.span.skip;
    this.toSend = first.span.length;
  }

  private get current(): ReadSegment | undefined {
    return this.plan.segments[this.segment];
  }

  /** Stored bytes of the chunk being read (a part's last may be short). */
  private storedChunkBytes(seg: ReadSegment): number {
    return Math.min(this.stride, storedLength(seg.plaintextLength, this.header.chunkSize) - this.chunk * this.stride);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    try {
      while (at < data.length) {
        const seg = this.current;
        if (!seg) throw new IntegrityError('stored object is longer than its header says');
        if (this.decipher === null) this.openChunk(seg);
        // Ciphertext is deciphered as it arrives (no copy of the stored chunk); its plaintext
        // is held, never pushed, until the chunk's tag has checked.
        const bodyLeft = this.chunkBytes - TAG_BYTES - this.chunkStored;
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, data.length - at);
          const out = this.decipher!.update(data.subarray(at, at + take));
          if (out.length > 0) this.plain.push(out);
          this.chunkStored += take;
          at += take;
          continue;
        }
        const take = Math.min(this.chunkBytes - this.chunkStored, data.length - at);
        this.tag.push(data.subarray(at, at + take));
        this.chunkStored += take;
        at += take;
        if (this.chunkStored === this.chunkBytes) this.closeChunk(seg);
      }
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  private openChunk(seg: ReadSegment): void {
    const last = this.chunk === chunkCount(seg.plaintextLength, this.header.chunkSize) - 1;
    this.decipher = chunkDecipher(this.dataKey, this.header.nonceBase, seg.indexBase + this.chunk, last);
    this.chunkBytes = this.storedChunkBytes(seg);
    this.chunkStored = 0;
  }

  private closeChunk(seg: ReadSegment): void {
    const decipher = this.decipher!;
    const index = seg.indexBase + this.chunk;
    try {
      decipher.setAuthTag(this.tag.length === 1 ? this.tag[0]! : Buffer.concat(this.tag));
      const tail = decipher.final();
      if (tail.length > 0) this.plain.push(tail);
    } catch {
      throw new IntegrityError(`chunk ${index} failed authentication`);
    }
    const plain = this.plain;
    this.decipher = null;
    this.plain = [];
    this.tag = [];
    // Authenticated: let out the part of the range it holds.
    for (const piece of plain) {
      const from = Math.min(this.toSkip, piece.length);
      this.toSkip -= from;
      const out = piece.subarray(from, from + Math.min(this.toSend, piece.length - from));
      this.toSend -= out.length;
      if (out.length > 0) this.push(out);
    }
    this.chunk++;
    if (this.chunk > seg.span.lastChunk) {
      this.segment++;
      const next = this.current;
      if (next) {
        this.chunk = next.span.firstChunk;
        this.toSkip = next.span.skip;
        this.toSend = next.span.length;
      }
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.current) return done(new IntegrityError(`stored object ends early (in chunk ${this.current.indexBase + this.chunk})`));
    done();
  }
}
