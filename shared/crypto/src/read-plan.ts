// Which stored bytes a plaintext range needs (docs/architecture.md, "Encryption at rest"). A
// single object is one chunk sequence; a multipart object is one per part, stored one after
// the other, each part's chunks numbered from partIndexBase(part number) so that no two chunks
// of the upload's data key share a nonce and no part can stand in for another. Either way the
// covering chunks are one contiguous span of the stored object: one ranged GET.
import type { EnvelopeHeader } from './envelope.js';
import { storedLength, storedSpan, type StoredSpan } from './layout.js';

/** Chunk indices of part `n` start here (parts ≤ 10,000, chunks per part < 2^32). */
export function partIndexBase(partNumber: number): number {
  return partNumber * 2 ** 32;
}

/** One chunk sequence's share of a read. */
export interface ReadSegment {
  /** index of the sequence's first chunk (0, or partIndexBase) */
  indexBase: number;
  /** plaintext bytes of the whole sequence */
  plaintextLength: number;
  /** the chunks of it to read, and the plaintext of them wanted */
  span: StoredSpan;
}

export interface StoredReadPlan {
  /** first and last stored byte to fetch (inclusive) */
  start: number;
  end: number;
  segments: ReadSegment[];
}

/** The stored bytes covering plaintext `start`–`end` (the whole object when absent). */
export function planStoredRead(header: EnvelopeHeader, range?: { start: number; end: number }): StoredReadPlan {
  const total = header.plaintextLength;
  const { start, end } = range ?? { start: 0, end: Math.max(0, total - 1) };
  const sequences = header.parts ?? [{ number: 0, length: total }];
  if (header.parts && header.parts.length === 0) throw new RangeError('the part layout of this multipart object is not known');
  const segments: ReadSegment[] = [];
  let plainAt = 0;
  let storedAt = 0;
  let first = -1;
  let last = -1;
  for (const part of sequences) {
    const partStored = storedLength(part.length, header.chunkSize);
    const partEnd = plainAt + part.length - 1;
    // An empty part inside the range is still stored (one empty chunk) between its neighbours.
    const overlaps = total === 0 || (part.length > 0 ? plainAt <= end && partEnd >= start : first >= 0 && plainAt <= end);
    if (overlaps) {
      const span = storedSpan(part.length, header.chunkSize, Math.max(start, plainAt) - plainAt, Math.min(end, partEnd) - plainAt);
      if (first < 0) first = storedAt + span.start;
      last = storedAt + span.end;
      segments.push({ indexBase: header.parts ? partIndexBase(part.number) : 0, plaintextLength: part.length, span });
      if (total === 0) break;
    }
    plainAt += part.length;
    storedAt += partStored;
  }
  if (segments.length === 0) throw new RangeError(`range ${start}-${end} outside 0-${total - 1}`);
  return { start: first, end: last, segments };
}
