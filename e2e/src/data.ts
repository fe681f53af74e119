// Deterministic test payloads and their digests. Bodies come from an AES-CTR keystream
// seeded by a name, so a test can stream tens of MiB to the gateway and later compute the
// expected digest by generating the same bytes again — without holding either in memory.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

const CHUNK_BYTES = 64 * 1024;

export const KiB = 1024;
export const MiB = 1024 * 1024;

function keystream(seed: string) {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** `size` pseudo-random bytes named by `seed`, in memory (for bodies up to a few MiB). */
export function patternBytes(size: number, seed: string): Buffer {
  return keystream(seed).update(Buffer.alloc(size));
}

/** The same bytes as `patternBytes(size, seed)`, produced chunk by chunk as a stream. */
export function patternStream(size: number, seed: string): Readable {
  const cipher = keystream(seed);
  let remaining = size;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK_BYTES, remaining);
      remaining -= n;
      this.push(cipher.update(Buffer.alloc(n)));
    },
  });
}

/** Hex SHA-256 and MD5 of `patternBytes(size, seed)`, computed in chunks. */
export async function patternDigests(size: number, seed: string): Promise<{ sha256: string; md5: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of patternStream(size, seed)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

export async function sha256OfStream(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

export function md5Base64(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('base64');
}

/** Base64 of the big-endian CRC32, as in `x-amz-checksum-crc32`. */
export function crc32Base64(data: Uint8Array | string): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
}

/** S3's ETag of a multipart object: MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(partMd5Hex: string[]): string {
  const joined = Buffer.concat(partMd5Hex.map((hex) => Buffer.from(hex, 'hex')));
  return `"${md5Hex(joined)}-${partMd5Hex.length}"`;
}

/** A response body as one Buffer (small bodies only). */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
