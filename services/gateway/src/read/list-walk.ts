// Walks a bucket's keys in byte order for the list operations: prefix filtering by key
// range (never LIKE), delimiter grouping into common prefixes that count against
// max-keys, and skipping a whole common prefix with one range query instead of reading
// every key under it.
import type { ListEntry, ReadLedger } from '@s3o/store';

/** Greater (in UTF-8 byte order) than every string that starts with `s`, for practical keys. */
export function pastPrefix(s: string): string {
  return s + '\u{10FFFF}';
}

export interface WalkRequest {
  bucket: string;
  prefix: string;
  delimiter: string;
  /** resume strictly after this key or common prefix (relative to the bucket); '' = from the start */
  after: string;
  maxKeys: number;
}

export interface WalkResult {
  contents: Array<ListEntry & { key: string }>;
  commonPrefixes: string[];
  truncated: boolean;
  /** the last key or common prefix returned, to resume from */
  last: string | null;
}

export async function walkKeys(ledger: ReadLedger, r: WalkRequest): Promise<WalkResult> {
  const base = `${r.bucket}/`;
  const result: WalkResult = { contents: [], commonPrefixes: [], truncated: false, last: null };
  if (r.maxKeys <= 0) return result;

  const upper = pastPrefix(base + r.prefix);
  let from = base + r.prefix;
  if (r.after !== '' && Buffer.compare(Buffer.from(r.after), Buffer.from(r.prefix)) >= 0) {
    const afterIsPrefix = r.delimiter !== '' && r.after.indexOf(r.delimiter, r.prefix.length) !== -1 &&
      r.after.endsWith(r.delimiter);
    from = afterIsPrefix ? pastPrefix(base + r.after) : base + r.after + '\u0000';
  }

  let count = 0;
  const batch = Math.min(r.maxKeys + 1, 1001);
  for (;;) {
    const rows = await ledger.listRange({ from, to: upper, limit: batch });
    let jumped = false;
    for (const row of rows) {
      const key = row.objectKey.slice(base.length);
      let prefix: string | null = null;
      if (r.delimiter !== '') {
        const at = key.indexOf(r.delimiter, r.prefix.length);
        if (at !== -1) prefix = key.slice(0, at + r.delimiter.length);
      }
      if (count === r.maxKeys) {
        result.truncated = true;
        return result;
      }
      count++;
      if (prefix !== null) {
        result.commonPrefixes.push(prefix);
        result.last = prefix;
        from = pastPrefix(base + prefix);
        jumped = true;
        break;
      }
      result.contents.push({ ...row, key });
      result.last = key;
    }
    if (!jumped) {
      if (rows.length < batch) return result;
      const lastRow = rows[rows.length - 1];
      if (lastRow === undefined) return result;
      from = lastRow.objectKey + '\u0000';
    }
  }
}
