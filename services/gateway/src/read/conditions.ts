// Conditional requests (RFC 7232 as S3 applies them) and byte ranges, evaluated against
// the ledger's identity of the object so no backend is asked when the answer is 304/412/416.
import { S3Error } from '@s3o/s3';

function etagList(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '')).filter((t) => t !== '');
}

function etagMatches(header: string, etag: string): boolean {
  const tags = etagList(header);
  return tags.includes('*') || tags.includes(etag);
}

function parseHttpDate(v: string | undefined): number | null {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/**
 * Throws PreconditionFailed (412) or NotModified (304) when a condition says so. A 304 carries
 * the object's ETag and Last-Modified (RFC 9110 §15.4.5), as AWS's does.
 */
export function checkConditions(c: Conditions, etag: string, lastModifiedMs: number): void {
  const lastModified = Math.floor(lastModifiedMs / 1000);
  const notModified = () => new S3Error('NotModified', { headers: { etag: `"${etag}"`, 'last-modified': new Date(lastModifiedMs).toUTCString() } });
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) throw new S3Error('PreconditionFailed', { extra: { Condition: 'If-Match' } });
  } else {
    const since = parseHttpDate(c.ifUnmodifiedSince);
    if (since !== null && lastModified > since) throw new S3Error('PreconditionFailed', { extra: { Condition: 'If-Unmodified-Since' } });
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) throw notModified();
  } else {
    const since = parseHttpDate(c.ifModifiedSince);
    if (since !== null && lastModified <= since) throw notModified();
  }
}

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

/**
 * Parses a single `bytes=` range against the object's size. Returns null when the header
 * is absent, malformed or names several ranges (S3 then serves the whole object); throws
 * InvalidRange (416) when it is well-formed but unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  const unsatisfiable = (): never => {
    throw new S3Error('InvalidRange', { extra: { RangeRequested: header, ActualObjectSize: String(size) } });
  };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (b !== '' && Number(b) < start) return null;
  if (start >= size) unsatisfiable();
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return { start, end };
}

/** If-Range: the range applies only while the object is still the one the client saw. */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModifiedMs: number): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return etagList(v).includes(etag);
  const date = parseHttpDate(v);
  return date !== null && Math.floor(lastModifiedMs / 1000) <= date;
}
