// The scale benchmark's bulk path: N objects into a ledger in seconds, not the hours that
// N × (claim + commitWrite) would take at 1M. One object (the template) is written through the
// ledger's public API, so its rows are exactly what a PUT leaves; its `objects` and
// `object_locations` rows are then cloned in SQL, in transactions of BATCH rows, with only the
// per-object columns changed (key, write id, storage key), and the backend's quota row charged
// for the clones. Columns are read from the database, so a migration that adds one is cloned
// too. Nothing else a PUT writes stays behind (its intent is deleted at commit; seeding appends
// no events), so the ledger is what N PUTs of the template would leave.
import type { Ledger } from '@s3o/store';
import { seedListing } from '../modes/seed-ledger.js';
import type { Column, RawLedger } from './raw-ledger.js';

/** Rows per INSERT … SELECT and per transaction. */
const BATCH = 50_000;
/** Decimal digits of the object number in a key: keys sort in numeric order up to 10^7. */
const KEY_DIGITS = 7;
/** A ULID is 26 characters; the clones keep the template's first 16 and number the rest. */
const WRITE_ID_PREFIX = 16;

export interface ScaleSeedTarget {
  bucket: string;
  backendName: string;
  objectBytes: number;
}

/** Key of object `i` in the scale bucket (as the client sees it). */
export function scaleKey(i: number): string {
  return `listed/${String(i).padStart(KEY_DIGITS, '0')}.bin`;
}

/** Object 0, through the ledger's API: what every clone copies. */
export async function seedTemplate(ledger: Ledger, target: ScaleSeedTarget): Promise<void> {
  await seedListing(ledger, { bucket: target.bucket, count: 1, backendName: target.backendName, objectBytes: target.objectBytes });
}

/** Objects `from` … `to - 1` as clones of object 0 (which must exist). Resolves to the seconds it took. */
export async function bulkSeed(raw: RawLedger, target: ScaleSeedTarget, from: number, to: number): Promise<number> {
  if (from < 1 || to > 10 ** KEY_DIGITS) throw new RangeError(`cannot seed objects ${from}…${to - 1}`);
  const start = performance.now();
  const templateKey = `${target.bucket}/${scaleKey(0)}`;
  const [template] = await raw.query<Record<string, unknown>>('SELECT * FROM objects WHERE object_key = $1', [templateKey]);
  const [location] = await raw.query<Record<string, unknown>>(
    'SELECT * FROM object_locations WHERE object_key = $1', [templateKey],
  );
  if (!template || !location) throw new Error(`the template object ${templateKey} is not in the ledger`);
  const writeIdPrefix = String(template['write_id']).slice(0, WRITE_ID_PREFIX);
  const keyPrefix = `${target.bucket}/listed/`;

  const objects = cloneStatement(raw, 'objects', await raw.columns('objects'), template, { keyPrefix, writeIdPrefix });
  const locations = cloneStatement(raw, 'object_locations', await raw.columns('object_locations'), location, { keyPrefix, writeIdPrefix });
  for (let lo = from; lo < to; lo += BATCH) {
    const hi = Math.min(to, lo + BATCH) - 1;
    // Objects before their locations (the foreign key); each batch one transaction per table.
    await raw.run(objects.sql, [lo, hi, ...objects.params]);
    await raw.run(locations.sql, [lo, hi, ...locations.params]);
  }
  // Postgres keeps a backend's used bytes in its quota stripes (migration 0023; their sum is the
  // figure), SQLite in the one quota row.
  const added = (to - from) * target.objectBytes;
  if (raw.engine === 'postgres') {
    await raw.run(
      `INSERT INTO backend_quota_stripes (backend_name, stripe, bytes_used, orphan_bytes, updated_at) VALUES ($2, 0, $1, 0, $3)
       ON CONFLICT (backend_name, stripe) DO UPDATE SET bytes_used = backend_quota_stripes.bytes_used + EXCLUDED.bytes_used`,
      [added, target.backendName, Date.now()],
    );
  } else {
    await raw.run('UPDATE backend_quotas SET bytes_used = bytes_used + $1 WHERE backend_name = $2', [added, target.backendName]);
  }
  return (performance.now() - start) / 1000;
}

/**
 * `INSERT INTO table (…) SELECT <per-object expressions or the template's values> FROM <i in lo..hi>`,
 * bound as [lo, hi, …template values]. The series is the engine's own (a recursive CTE in
 * SQLite, generate_series in Postgres), so a batch is one statement, not BATCH round trips.
 */
function cloneStatement(
  raw: RawLedger,
  table: string,
  columns: Column[],
  template: Record<string, unknown>,
  ids: { keyPrefix: string; writeIdPrefix: string },
): { sql: string; params: unknown[] } {
  const pgsql = raw.engine === 'postgres';
  const params: unknown[] = [ids.keyPrefix, ids.writeIdPrefix];
  const p = (n: number) => `$${n + 2}`; // after lo, hi
  const pad = (width: number) => (pgsql ? `lpad(i::text, ${width}, '0')` : `printf('%0${width}d', i)`);
  const key = `${p(1)} || ${pad(KEY_DIGITS)} || '.bin'`;
  const writeId = `${p(2)} || ${pad(26 - WRITE_ID_PREFIX)}`;
  const exprs = columns.map((c) => {
    switch (c.name) {
      case 'object_key': return key;
      case 'write_id': return writeId;
      case 'storage_key': return `${key} || '!' || ${writeId}`;
      default: {
        let value = template[c.name];
        // pg parses json columns into objects, and would send a JS array back as a Postgres array.
        if (pgsql && /^jsonb?$/.test(c.type) && value !== null && value !== undefined) value = JSON.stringify(value);
        params.push(value ?? null);
        return pgsql ? `${p(params.length)}::${c.type}` : p(params.length);
      }
    }
  });
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const sql = pgsql
    ? `INSERT INTO ${table} (${names}) SELECT ${exprs.join(', ')} FROM generate_series($1::int, $2::int) AS s(i)`
    : `WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i < $2)
       INSERT INTO ${table} (${names}) SELECT ${exprs.join(', ')} FROM s`;
  return { sql, params };
}
