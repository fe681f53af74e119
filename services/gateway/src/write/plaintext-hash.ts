// The SHA-256 of a new object's plaintext (docs/architecture.md, "Integrity"), taken as the
// bytes stream to the backend: pulled, so a backend that never starts reading leaves the
// client's stream untouched (the write path's failover depends on it).
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';

export class PlaintextHash {
  private readonly hash: Hash = createHash('sha256');

  /** `source` as it passes through the hash. */
  through(source: Readable): Readable {
    const hash = this.hash;
    async function* pull(): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        hash.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
    return Readable.from(pull(), { objectMode: false });
  }

  /** Hex digest; once the whole body went through. */
  hex(): string {
    return this.hash.digest('hex');
  }
}

/** The hex SHA-256 of a body held in memory. */
export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
