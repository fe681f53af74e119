// The S3 "additional checksums" (x-amz-checksum-*): incremental hashers over body
// bytes, plus the header/value conventions around them. CRC32 and the SHAs run in
// native code. CRC32C has no Node implementation, so it is table-driven JS, sliced 8
// bytes at a time to keep the per-byte work small, reading the body as aligned 32-bit
// words (two loads per 8 bytes instead of eight byte loads and their shifts). CRC64NVME,
// the default checksum of every PUT (docs/architecture.md "Checksums"), runs in
// WebAssembly (crc64nvme.ts).
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Crc64Nvme } from './crc64nvme.js';
import { s3Error, type S3Error } from './errors.js';

export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'];

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

export interface Checksum {
  update(data: Uint8Array): void;
  digest(): Buffer;
  digestBase64(): string;
}

// ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----

/** 8 tables of 256: table k gives the CRC of a byte followed by k zero bytes. */
function sliceTables32(poly: number): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
}

const C32 = sliceTables32(0x82f63b78);

/** Word reads give the bytes in little-endian order only on a little-endian machine. */
const WORD_READS = endianness() === 'LE';

/**
 * Where `data` splits for word reads: bytes before `start` (up to 3, to reach a 4-byte
 * boundary of the underlying memory) and from `end` on go byte by byte; `words` are the
 * 32-bit words of the 8-byte blocks between, as a view (no copy). No words on a big-endian machine.
 */
function wordSpan(data: Uint8Array): { start: number; words: Uint32Array | null; end: number } {
  const start = Math.min(data.length, (4 - (data.byteOffset & 3)) & 3);
  const blocks = (data.length - start) >>> 3;
  if (!WORD_READS || blocks === 0) return { start: 0, words: null, end: 0 };
  return { start, words: new Uint32Array(data.buffer, data.byteOffset + start, blocks * 2), end: start + blocks * 8 };
}

/** Continues a CRC32C; `crc` is the finished value of the bytes before (0 to start). */
export function crc32c(data: Uint8Array, crc = 0): number {
  const t = C32;
  let c = ~crc >>> 0;
  const { start, words, end } = wordSpan(data);
  for (let i = 0; i < start; i++) c = (c >>> 8) ^ t[(c ^ data[i]!) & 0xff]!;
  if (words) {
    for (let k = 0; k < words.length; k += 2) {
      const a = c ^ words[k]!;
      const b = words[k + 1]!;
      c =
        t[1792 + (a & 0xff)]! ^
        t[1536 + ((a >>> 8) & 0xff)]! ^
        t[1280 + ((a >>> 16) & 0xff)]! ^
        t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^
        t[512 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
  }
  for (let i = end; i < data.length; i++) c = (c >>> 8) ^ t[(c ^ data[i]!) & 0xff]!;
  return ~c >>> 0;
}

class Crc32Family implements Checksum {
  private value = 0;
  constructor(private readonly fn: (data: Uint8Array, prev: number) => number) {}

  update(data: Uint8Array): void {
    this.value = this.fn(data, this.value);
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.value >>> 0, 0);
    return out;
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

class CryptoChecksum implements Checksum {
  private readonly hash: Hash;
  constructor(name: 'sha1' | 'sha256') {
    this.hash = createHash(name);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  digest(): Buffer {
    return this.hash.digest();
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

/** An incremental hasher; `digest()`/`digestBase64()` may be called once, at the end. */
export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'crc32':
      return new Crc32Family(zlibCrc32);
    case 'crc32c':
      return new Crc32Family(crc32c);
    case 'crc64nvme':
      return new Crc64Nvme();
    case 'sha1':
    case 'sha256':
      return new CryptoChecksum(algorithm);
  }
}

// ---- header conventions ----

/** `x-amz-checksum-crc32` etc. */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

/** The algorithm a (lower-case) `x-amz-checksum-*` header name stands for, if any. */
export function checksumAlgorithmOfHeader(headerName: string): ChecksumAlgorithm | undefined {
  if (!headerName.startsWith('x-amz-checksum-')) return undefined;
  const alg = headerName.slice('x-amz-checksum-'.length);
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(alg) ? (alg as ChecksumAlgorithm) : undefined;
}

/** The algorithm named in `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm` (`CRC32`, `SHA256`, …). */
export function checksumAlgorithmFromName(name: string): ChecksumAlgorithm | undefined {
  const alg = name.trim().toLowerCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(alg) ? (alg as ChecksumAlgorithm) : undefined;
}

/** AWS's spelling in messages and XML: CRC32, CRC32C, CRC64NVME, SHA1, SHA256. */
export function checksumDisplayName(algorithm: ChecksumAlgorithm): string {
  return algorithm.toUpperCase();
}

/** Strict base64 of exactly the algorithm's digest size (Buffer's decoder alone is lenient). */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === DIGEST_BYTES[algorithm] && bytes.toString('base64') === value;
}

export function invalidChecksumValueError(algorithm: ChecksumAlgorithm): S3Error {
  return s3Error('InvalidRequest', { message: `Value for ${checksumHeaderName(algorithm)} header is invalid.` });
}

export function checksumMismatchError(algorithm: ChecksumAlgorithm): S3Error {
  return s3Error('BadDigest', {
    message: `The ${checksumDisplayName(algorithm)} you specified did not match the calculated checksum.`,
  });
}
