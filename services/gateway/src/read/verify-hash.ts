// Checking a full read of an unencrypted object against the SHA-256 recorded at write
// (docs/architecture.md, "Integrity"). The newest chunk is always held back, so when the hash
// does not match at the end the last bytes are never sent: the response is cut short (its
// Content-Length is not reached) and the client sees a broken transfer, never a clean answer
// with wrong bytes. A body small enough to hold whole (`holdAll`) is held until it is checked,
// so a bad copy is found before the first byte goes out and the read can fail over to another.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`stored bytes hash to ${actual}, ${expected} was recorded at write`);
    this.name = 'HashMismatchError';
  }
}

export class VerifySha256 extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private held: Buffer[] = [];

  constructor(private readonly expected: string, private readonly holdAll = false) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    if (!this.holdAll) for (const older of this.held.splice(0)) this.push(older);
    this.held.push(chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected) return done(new HashMismatchError(this.expected, actual));
    for (const chunk of this.held.splice(0)) this.push(chunk);
    done();
  }
}
