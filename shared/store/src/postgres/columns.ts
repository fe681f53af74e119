// Column types at the engine edge. slonik parses int8 (BIGINT, COUNT, nextval) as a JS
// bigint; the ledger works in JS numbers, exact up to 2^53 (9 PB), so each int8 column is
// converted here and a value beyond that is refused rather than rounded.
import { sql } from 'slonik';
import { z } from 'zod';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

/** A BIGINT column as an exact JS number. */
export const int8 = z.bigint().transform((value, ctx) => {
  if (value > MAX || value < MIN) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `integer ${value} is beyond what a JS number holds exactly` });
    return z.NEVER;
  }
  return Number(value);
});

/** An INTEGER column (pg parses int4 as a JS number). */
export const int4 = z.number().int();

export type Fragment = ReturnType<typeof sql.fragment>;

/**
 * `column <op> value` for key bounds. Postgres text cannot hold U+0000, so no stored key
 * contains it, while callers may (a listing resumes from `lastKey + "\0"`, the successor of
 * `lastKey` in byte order). Against keys without U+0000, a bound `p + "\0" + rest` compares
 * like `p` with the strictness shifted: `k >= p\0…` and `k > p\0…` ⇔ `k > p`, `k < p\0…`
 * ⇔ `k <= p`, and `k = p\0…` never holds. The bound is rewritten so the query stays exact.
 */
export function keyBound(column: Fragment, op: '>=' | '>' | '<' | '=', value: string): Fragment {
  const nul = value.indexOf('\u0000');
  if (nul !== -1) {
    const prefix = value.slice(0, nul);
    if (op === '=') return sql.fragment`FALSE`;
    return op === '<' ? sql.fragment`${column} <= ${prefix}` : sql.fragment`${column} > ${prefix}`;
  }
  switch (op) {
    case '>=':
      return sql.fragment`${column} >= ${value}`;
    case '>':
      return sql.fragment`${column} > ${value}`;
    case '<':
      return sql.fragment`${column} < ${value}`;
    case '=':
      return sql.fragment`${column} = ${value}`;
  }
}

/** A JSON parameter for a `json`/`jsonb` column. */
export function jsonParam(value: unknown, type: 'json' | 'jsonb'): Fragment {
  const text = JSON.stringify(value);
  return type === 'json' ? sql.fragment`${text}::json` : sql.fragment`${text}::jsonb`;
}
