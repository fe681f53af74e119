// Where the bytes of an encrypted object are (docs/architecture.md, "Encryption at rest"):
// the plaintext is cut into chunks of `chunkSize` bytes, each stored as its ciphertext
// followed by its 16-byte GCM tag. An object always has at least one chunk (an empty object
// is one empty chunk with its tag), so cutting the stored bytes down to nothing is detected
// like any other truncation. Everything here is arithmetic: a plaintext range maps to the
// one contiguous span of stored bytes that covers it, fetched with one ranged GET.

/** Bytes of the GCM authentication tag after every chunk. */
export const TAG_BYTES = 16;

/** Number of chunks of an object of `plaintextLength` bytes (at least one). */
export function chunkCount(plaintextLength: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / chunkSize));
}

/** Bytes stored for `plaintextLength` bytes of plaintext: the plaintext plus one tag per chunk. */
export function storedLength(plaintextLength: number, chunkSize: number): number {
  return plaintextLength + chunkCount(plaintextLength, chunkSize) * TAG_BYTES;
}

/** The stored bytes (inclusive) and chunks that cover a plaintext range, and where the range starts in the first chunk. */
export interface StoredSpan {
  firstChunk: number;
  lastChunk: number;
  /** first stored byte to fetch */
  start: number;
  /** last stored byte to fetch (inclusive) */
  end: number;
  /** plaintext bytes of the first chunk to drop before the range starts */
  skip: number;
  /** plaintext bytes the range holds */
  length: number;
}

/**
 * The chunks covering plaintext bytes `start`–`end` (inclusive) of an object of
 * `plaintextLength` bytes. A range of an empty object (only a whole read has one) is its one
 * empty chunk.
 */
export function storedSpan(plaintextLength: number, chunkSize: number, start: number, end: number): StoredSpan {
  const stride = chunkSize + TAG_BYTES;
  const total = storedLength(plaintextLength, chunkSize);
  if (plaintextLength === 0) return { firstChunk: 0, lastChunk: 0, start: 0, end: total - 1, skip: 0, length: 0 };
  if (start < 0 || end < start || end >= plaintextLength) throw new RangeError(`range ${start}-${end} outside 0-${plaintextLength - 1}`);
  const firstChunk = Math.floor(start / chunkSize);
  const lastChunk = Math.floor(end / chunkSize);
  return {
    firstChunk,
    lastChunk,
    start: firstChunk * stride,
    end: Math.min((lastChunk + 1) * stride, total) - 1,
    skip: start - firstChunk * chunkSize,
    length: end - start + 1,
  };
}
