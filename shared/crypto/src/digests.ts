// Checking an unencrypted object's bytes against the SHA-256 digests recorded at write
// (docs/architecture.md, "Integrity"): the whole object's hash, or — for an object completed
// from parts — each part's, so a whole read is checked part by part and a read of exactly one
// part (`?partNumber=N`) or a run of whole parts is checked too. Used by the gateway's reads
// and the scrubber alike.
//
// The newest chunk is always held back, so when a digest does not match the bytes after the
// last good boundary are never all sent: the response is cut short (its Content-Length is not
// reached) and the client sees a broken transfer, never a clean answer with wrong bytes. A
// body small enough to hold whole (`holdAll`) is held until every digest is checked, so a bad
// copy is found before the first byte goes out and the read can fail over to another.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A run of bytes and the hex SHA-256 it must hash to. */
export interface DigestSegment {
  size: number;
  sha256: string;
}

/** The digest fields of an object row (@s3o/store ObjectIdentity). */
export interface RecordedDigests {
  size: number;
  /** a whole-object hex SHA-256, or a composite `hex-N` (then `partHashes` are what can be checked) */
  contentHash?: string | null;
  partSizes?: number[];
  partHashes?: string[];
}

export class DigestMismatchError extends Error {
  /** `short`: the bytes ended before the recorded segments did (a length problem, not a hash one) */
  constructor(readonly segment: number, readonly expected: string, readonly actual: string, readonly short = false) {
    super(`stored bytes of segment ${segment + 1} hash to ${actual}, ${expected} was recorded at write`);
    this.name = 'DigestMismatchError';
  }
}

/**
 * The digests that bytes [start, end] of the object must match, or null when none can be
 * checked: no hash recorded, a composite without part hashes, or a range that does not begin
 * and end on recorded boundaries (a hash covers its whole part or object only).
 */
export function expectedDigests(object: RecordedDigests, range: { start: number; end: number } | null): DigestSegment[] | null {
  if (object.size === 0) return null;
  const start = range?.start ?? 0;
  const end = range?.end ?? object.size - 1;
  const { partSizes, partHashes } = object;
  if (partSizes && partHashes && partSizes.length === partHashes.length) {
    const segments: DigestSegment[] = [];
    let offset = 0;
    for (let i = 0; i < partSizes.length && offset <= end; i++) {
      const size = partSizes[i]!;
      if (offset >= start && size > 0) segments.push({ size, sha256: partHashes[i]! });
      else if (offset < start && offset + size > start) return null; // the range starts inside this part
      offset += size;
      if (offset - 1 === end) return segments.length > 0 ? segments : null;
    }
    return null; // the range ends inside a part
  }
  const hash = object.contentHash;
  if (!hash || hash.includes('-')) return null;
  return start === 0 && end === object.size - 1 ? [{ size: object.size, sha256: hash }] : null;
}

export class VerifyDigests extends Transform {
  private hash: Hash = createHash('sha256');
  private index = 0;
  private done = 0;
  private held: Buffer[] = [];

  constructor(private readonly segments: readonly DigestSegment[], private readonly holdAll = false) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      const segment = this.segments[this.index];
      if (!segment) return callback(new DigestMismatchError(this.index, 'no more bytes', 'more bytes'));
      const take = Math.min(segment.size - this.done, chunk.length - offset);
      this.hash.update(chunk.subarray(offset, offset + take));
      this.done += take;
      offset += take;
      if (this.done === segment.size) {
        const failed = this.closeSegment(segment);
        if (failed) return callback(failed);
      }
    }
    if (!this.holdAll) for (const older of this.held.splice(0)) this.push(older);
    this.held.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.index < this.segments.length) {
      return callback(new DigestMismatchError(this.index, this.segments[this.index]!.sha256, `only ${this.done} of ${this.segments[this.index]!.size} bytes`, true));
    }
    for (const chunk of this.held.splice(0)) this.push(chunk);
    callback();
  }

  private closeSegment(segment: DigestSegment): DigestMismatchError | null {
    const actual = this.hash.digest('hex');
    if (actual !== segment.sha256) return new DigestMismatchError(this.index, segment.sha256, actual);
    this.index += 1;
    this.done = 0;
    this.hash = createHash('sha256');
    return null;
  }
}
