// Streaming encryption and decryption of one object's chunks, memory bounded by one chunk.
// Encryption feeds the cipher as bytes arrive; decryption holds one stored chunk until its tag
// checks and only then lets its plaintext out, so no unauthenticated byte ever reaches a
// client (docs/architecture.md, "Encryption at rest").
import { Transform, type TransformCallback } from 'node:stream';
import type { CipherGCM } from 'node:crypto';
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
 * more or fewer is an error. The output of each piece is handed to `emit` at once (GCM is a
 * stream cipher), so nothing but the cipher state is held.
 */
export class ChunkEncryptor {
  private readonly chunks: number;
  private index = 0;
  private inChunk = 0;
  private seen = 0;
  private cipher: CipherGCM;

  /** `indexBase`: the first chunk's index (a multipart part's chunks start at partIndexBase(part)). */
  constructor(private readonly dataKey: Buffer, private readonly header: EnvelopeHeader, private readonly indexBase = 0) {
    this.chunks = chunkCount(header.plaintextLength, header.chunkSize);
    this.cipher = this.open(0);
  }

  private open(index: number): CipherGCM {
    return chunkCipher(this.dataKey, this.header.nonceBase, this.indexBase + index, index === this.chunks - 1);
  }

  private seal(emit: (out: Buffer) => void): void {
    this.cipher.final();
    emit(this.cipher.getAuthTag());
    this.index++;
    this.inChunk = 0;
    if (this.index < this.chunks) this.cipher = this.open(this.index);
  }

  update(data: Buffer, emit: (out: Buffer) => void): void {
    this.seen += data.length;
    if (this.seen > this.header.plaintextLength) throw new Error(`more than the declared ${this.header.plaintextLength} bytes to encrypt`);
    const size = this.header.chunkSize;
    let at = 0;
    while (at < data.length) {
      const take = Math.min(size - this.inChunk, data.length - at);
      emit(this.cipher.update(data.subarray(at, at + take)));
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
  const emit = (b: Buffer): void => {
    if (b.length > 0) out.push(b);
  };
  // One buffer per piece read: a chunk's 16-byte tag would otherwise be a write of its own.
  const drain = (): Buffer => (out.length === 1 ? out.pop()! : Buffer.concat(out.splice(0)));
  for await (const data of source) {
    encryptor.update(data, emit);
    if (out.length > 0) yield drain();
  }
  encryptor.final(emit);
  if (out.length > 0) yield drain();
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
  private held: Buffer[] = [];
  private heldBytes = 0;
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
        const need = this.storedChunkBytes(seg) - this.heldBytes;
        const take = Math.min(need, data.length - at);
        this.held.push(data.subarray(at, at + take));
        this.heldBytes += take;
        at += take;
        if (take === need) this.openChunk(seg);
      }
    } catch (err) {
      return done(err as Error);
    }
    done();
  }

  private openChunk(seg: ReadSegment): void {
    const stored = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    const body = stored.subarray(0, stored.length - TAG_BYTES);
    const last = this.chunk === chunkCount(seg.plaintextLength, this.header.chunkSize) - 1;
    const index = seg.indexBase + this.chunk;
    const decipher = chunkDecipher(this.dataKey, this.header.nonceBase, index, last, stored.subarray(stored.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new IntegrityError(`chunk ${index} failed authentication`);
    }
    const from = Math.min(this.toSkip, plain.length);
    this.toSkip -= from;
    const out = plain.subarray(from, from + Math.min(this.toSend, plain.length - from));
    this.toSend -= out.length;
    if (out.length > 0) this.push(out);
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
