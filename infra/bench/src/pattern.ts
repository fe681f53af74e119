// The bytes every benchmark object consists of: byte i of an object is `i % PERIOD`. The
// client uploads them and the sink backend serves them back, so what the sink returns for
// an object (or any range of it) is exactly what was uploaded, without the sink keeping a
// single byte. Slices of one precomputed buffer are handed out, so producing the bytes
// costs neither side any CPU worth measuring.
import { Readable } from 'node:stream';

/** A prime, so the pattern does not line up with power-of-two chunk or part sizes. */
const PERIOD = 251;
/** Largest slice handed out at once. */
export const PATTERN_CHUNK_BYTES = 64 * 1024;

const PATTERN = Buffer.alloc(PERIOD + PATTERN_CHUNK_BYTES);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % PERIOD;

/** Bytes [offset, offset + length) of the pattern; length ≤ PATTERN_CHUNK_BYTES. Shares memory: do not modify. */
export function patternSlice(offset: number, length: number): Buffer {
  if (length > PATTERN_CHUNK_BYTES) throw new RangeError(`pattern slices are at most ${PATTERN_CHUNK_BYTES} bytes`);
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + length);
}

/** The first `length` bytes of the pattern as one buffer of its own (for small bodies). */
export function patternBuffer(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let done = 0; done < length; ) {
    const n = Math.min(PATTERN_CHUNK_BYTES, length - done);
    patternSlice(done, n).copy(out, done);
    done += n;
  }
  return out;
}

/** Bytes [start, start + length) of the pattern as a stream that honours backpressure. */
export function patternStream(length: number, start = 0): Readable {
  let offset = start;
  const end = start + length;
  return new Readable({
    read() {
      if (offset >= end) {
        this.push(null);
        return;
      }
      const n = Math.min(PATTERN_CHUNK_BYTES, end - offset);
      this.push(patternSlice(offset, n));
      offset += n;
    },
  });
}
