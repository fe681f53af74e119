// Placement statements (see placement-statements.ts): sweeps over objects by their count of
// copies, and the single-copy changes replication and its repairs make.
import { sql } from 'slonik';
import { z } from 'zod';
import type { PlacementReads, PlacementWrites } from '../../placement-statements.js';
import type { ReplicationCandidate, ReplicationPage, ScrubCandidate } from '../../placement-types.js';
import { int8, keyBound, type Fragment } from '../columns.js';
import type { Queries } from '../queries.js';
import { LOCATION_COLUMNS, locationRow } from './objects.js';

const scrubRow = z
  .object({
    object_key: z.string(), backend_name: z.string(), storage_key: z.string(), write_id: z.string(), size_bytes: int8, created_at: int8,
    state: z.enum(['ok', 'missing', 'corrupt']), verified_at: int8.nullable(),
  })
  .transform((r): ScrubCandidate => ({
    copy: {
      objectKey: r.object_key, backendName: r.backend_name, storageKey: r.storage_key, writeId: r.write_id, sizeBytes: r.size_bytes,
      createdAt: r.created_at, state: r.state,
    },
    verifiedAt: r.verified_at,
  }));

const verifiedRow = z
  .object({ backend_name: z.string(), verified_at: int8.nullable() })
  .transform((r) => ({ backendName: r.backend_name, verifiedAt: r.verified_at }));

const candidateRow = z
  .object({ object_key: z.string(), write_id: z.string(), size: int8, ok_copies: int8, missing_copies: int8 })
  .transform((r): ReplicationCandidate => ({
    objectKey: r.object_key,
    writeId: r.write_id,
    size: r.size,
    okCopies: r.ok_copies,
    missingCopies: r.missing_copies,
  }));

const examinedRow = z.object({ n: z.number(), last: z.string().nullable() });

/**
 * One page of a sweep: of the next `scan` objects by key after `after`, at most `limit` that
 * pass `having` (over ok_copies and missing_copies) with their copy counts. `counted` decides
 * which ok copies count. The scan bound keeps each statement short when (almost) nothing
 * matches — the normal state — where a LIMIT on the matches alone would read every object.
 * Keys are COLLATE "C", so the order and the resume are byte order.
 */
async function candidatePage(db: Queries, after: string | null, limit: number, scan: number, counted: Fragment, having: Fragment): Promise<ReplicationPage> {
  const resume = after === null ? sql.fragment`TRUE` : keyBound(sql.fragment`object_key`, '>', after);
  const range = sql.fragment`SELECT object_key FROM objects WHERE ${resume} ORDER BY object_key LIMIT ${scan}`;
  const candidates = [
    ...(await db.any(sql.type(candidateRow)`
      SELECT object_key, write_id, size, ok_copies, missing_copies FROM (
        SELECT o.object_key, o.write_id, o.size,
               COUNT(l.object_key) FILTER (WHERE l.state = 'ok' AND ${counted}) AS ok_copies,
               COUNT(l.object_key) FILTER (WHERE l.state <> 'ok') AS missing_copies
          FROM objects o LEFT JOIN object_locations l ON l.object_key = o.object_key
         WHERE o.object_key IN (${range})
         GROUP BY o.object_key
      ) t
      WHERE ${having}
      ORDER BY object_key LIMIT ${limit}`)),
  ];
  if (candidates.length === limit) return { candidates, next: candidates.at(-1)!.objectKey };
  const examined = await db.one(sql.type(examinedRow)`SELECT COUNT(*)::int AS n, MAX(object_key) AS last FROM (${range}) r`);
  return { candidates, next: examined.n === scan ? examined.last : null };
}

export function placementReads(db: Queries): PlacementReads {
  return {
    async listUnderReplicated(after, limit, scan, factor, uncounted) {
      return candidatePage(
        db, after, limit, scan,
        sql.fragment`l.backend_name <> ALL(${sql.array(uncounted, 'text')})`,
        sql.fragment`ok_copies < ${factor} OR missing_copies > 0`,
      );
    },

    async listOverReplicated(after, limit, scan, factor) {
      return candidatePage(db, after, limit, scan, sql.fragment`TRUE`, sql.fragment`ok_copies > ${factor}`);
    },

    async listScrubCandidates(verifiedBefore, limit, backendName) {
      const onBackend = backendName === null ? sql.fragment`` : sql.fragment`AND backend_name = ${backendName}`;
      const rows = await db.any(sql.type(scrubRow)`
        SELECT ${LOCATION_COLUMNS}, verified_at FROM object_locations
         WHERE state = 'ok' AND (verified_at IS NULL OR verified_at < ${verifiedBefore}) ${onBackend}
         ORDER BY verified_at ASC NULLS FIRST, object_key, backend_name LIMIT ${limit}`);
      return [...rows];
    },

    async selectVerifiedTimes(objectKey) {
      const rows = await db.any(sql.type(verifiedRow)`
        SELECT backend_name, verified_at FROM object_locations WHERE object_key = ${objectKey} ORDER BY backend_name`);
      return [...rows];
    },
  };
}

export function placementWrites(db: Queries): PlacementWrites {
  return {
    async deleteLocation(objectKey, backendName) {
      return db.maybeOne(sql.type(locationRow)`
        DELETE FROM object_locations WHERE object_key = ${objectKey} AND backend_name = ${backendName}
        RETURNING ${LOCATION_COLUMNS}`);
    },

    async setLocationVerified(objectKey, backendName, storageKey, at) {
      const result = await db.query(sql.unsafe`
        UPDATE object_locations SET verified_at = ${at}
         WHERE object_key = ${objectKey} AND backend_name = ${backendName} AND storage_key = ${storageKey} AND state = 'ok'`);
      return result.rowCount === 1;
    },

    async markLocationUnusable(objectKey, backendName, storageKey, state) {
      const result = await db.query(sql.unsafe`
        UPDATE object_locations SET state = ${state}
         WHERE object_key = ${objectKey} AND backend_name = ${backendName} AND storage_key = ${storageKey} AND state = 'ok'`);
      return result.rowCount === 1;
    },
  };
}
