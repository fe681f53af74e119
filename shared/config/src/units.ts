// Text → number for the two unit-bearing kinds of setting. Both return a
// problem description rather than throwing, so the schema can report every bad
// value in the file at once.

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

// The units defaults are written in: durations in milliseconds, sizes in bytes.
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const KiB = 2 ** 10;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

const DURATION_HINT = 'expected a duration like "30s", "5m" or "250ms"';
const SIZE_HINT = 'expected a size like "5GB" or a number of bytes';

const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

// One `<number><unit>` term; `ms` is listed before `m` so it wins the alternation.
const DURATION_TERM = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/y;

/**
 * Go `time.ParseDuration` syntax (what upstream configs contain): one or more
 * terms such as `"1h30m"`, `"1.5s"`, `"250ms"`, or the bare `"0"`. The result
 * is in milliseconds and must be a whole number of them. A bare number other
 * than 0 is refused: "30" could mean seconds or milliseconds, and guessing
 * wrong turns a 30 s timeout into 30 ms.
 */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '0') return { ok: true, value: 0 };
  if (trimmed.startsWith('-')) return { ok: false, problem: 'must not be negative' };
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return { ok: false, problem: 'expected a duration with a unit, like "30s" (a bare number is ambiguous)' };
  }
  if (trimmed === '') return { ok: false, problem: DURATION_HINT };
  let totalMs = 0;
  DURATION_TERM.lastIndex = 0;
  while (DURATION_TERM.lastIndex < trimmed.length) {
    const term = DURATION_TERM.exec(trimmed);
    if (term === null) return { ok: false, problem: DURATION_HINT };
    const scaled = scaleDecimal(term[1]!, MS_PER_UNIT[term[2]!]!);
    if (scaled === null) {
      return { ok: false, problem: `${JSON.stringify(trimmed)} is finer than a millisecond` };
    }
    totalMs += scaled;
  }
  if (!Number.isSafeInteger(totalMs)) return { ok: false, problem: `${JSON.stringify(trimmed)} is too long` };
  return { ok: true, value: totalMs };
}

// Decimal units are powers of 1000, binary (`i`) units powers of 1024, as in
// every storage provider's price list.
const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

/**
 * A byte count: plain digits (`"1048576"`) or a number with a unit (`"256MB"`,
 * `"5GiB"`, `"1.5 GB"`; units are case-insensitive). Fractions are allowed when
 * they come out as whole bytes.
 */
export function parseSize(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) return { ok: false, problem: 'must not be negative' };
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(trimmed);
  if (match === null) return { ok: false, problem: SIZE_HINT };
  const unit = match[2]!.toLowerCase();
  const bytesPerUnit = unit === '' ? 1 : BYTES_PER_UNIT[unit];
  if (bytesPerUnit === undefined) return { ok: false, problem: SIZE_HINT };
  const bytes = scaleDecimal(match[1]!, bytesPerUnit);
  if (bytes === null) return { ok: false, problem: `${JSON.stringify(trimmed)} is not a whole number of bytes` };
  if (!Number.isSafeInteger(bytes)) return { ok: false, problem: `${JSON.stringify(trimmed)} is too large` };
  return { ok: true, value: bytes };
}

/**
 * `decimal × factor`, computed on the digits so that `"1.1"` × 1000 is exactly
 * 1100 (float multiplication gives 1100.0000000000002). Null when the result
 * has a fractional part.
 */
function scaleDecimal(decimal: string, factor: number): number | null {
  const [whole = '', fraction = ''] = decimal.split('.');
  const wholePart = (whole === '' ? 0 : Number(whole)) * factor;
  if (fraction === '') return wholePart;
  const scaledFraction = Number(fraction) * factor;
  const divisor = 10 ** fraction.length;
  if (scaledFraction % divisor !== 0) return null;
  return wholePart + scaledFraction / divisor;
}
