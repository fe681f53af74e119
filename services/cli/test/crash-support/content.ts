// Deterministic object bodies, generated as streams so a test never holds a whole object:
// the same key always yields the same bytes, so a reader can check them by sha256.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 64 * 1024;

function* blocks(key: string, size: number): Generator<Buffer> {
  for (let offset = 0, i = 0; offset < size; offset += BLOCK, i++) {
    const seed = createHash('sha256').update(`${key}:${i}`).digest();
    const block = Buffer.alloc(Math.min(BLOCK, size - offset));
    for (let at = 0; at < block.length; at += seed.length) seed.copy(block, at);
    yield block;
  }
}

export function contentStream(key: string, size: number): Readable {
  return Readable.from(blocks(key, size), { objectMode: false });
}

/**
 * The same bytes, but the stream stops after `stallAt` bytes until `resume` settles: a
 * client that sends slowly (or hangs) mid-body.
 */
export function stalledContentStream(key: string, size: number, stallAt: number, resume: Promise<void>): Readable {
  async function* body(): AsyncGenerator<Buffer> {
    let sent = 0;
    for (const block of blocks(key, size)) {
      if (sent + block.length > stallAt && sent <= stallAt) await resume;
      sent += block.length;
      yield block;
    }
  }
  return Readable.from(body(), { objectMode: false });
}

export function contentSha256(key: string, size: number): string {
  const hash = createHash('sha256');
  for (const block of blocks(key, size)) hash.update(block);
  return hash.digest('hex');
}

export async function streamSha256(body: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
