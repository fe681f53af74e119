// GetObject/HeadObject `?partNumber=N`: the byte range of part N of an object completed from
// a multipart upload, from the part sizes the ledger kept at Complete (an object written
// whole is one part). Newer SDK transfer managers download parts in parallel this way.
import { S3Error } from '@s3o/s3';
import type { ObjectRow } from '@s3o/store';
import type { ByteRange } from './conditions.js';

const MAX_PART_NUMBER = 10_000;

export interface PartRead {
  range: ByteRange;
  /** `x-amz-mp-parts-count`: only an object made by a multipart upload has parts to count */
  partsCount: number | null;
}

/** Null without `partNumber`; otherwise part N's range, or AWS's error. */
export function partRead(query: URLSearchParams, rangeHeader: string | undefined, object: ObjectRow): PartRead | null {
  const raw = query.get('partNumber');
  if (raw === null) return null;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', { message: 'Part number must be an integer between 1 and 10000, inclusive', extra: { ArgumentName: 'partNumber', ArgumentValue: raw } });
  }
  if (rangeHeader !== undefined) throw new S3Error('InvalidRequest', { message: 'Cannot specify both Range header and partNumber query parameter' });
  const sizes = object.partSizes ?? [object.size];
  if (n > sizes.length) throw new S3Error('InvalidPartNumber', { extra: { PartNumberRequested: raw, ActualPartCount: String(sizes.length) } });
  const start = sizes.slice(0, n - 1).reduce((sum, s) => sum + s, 0);
  const size = sizes[n - 1]!;
  // An empty object's one part is empty: no range to name (the caller answers it whole).
  return { range: { start, end: start + size - 1 }, partsCount: object.partSizes ? sizes.length : null };
}
