// Placement statements (see placement-statements.ts): sweeps over objects by their count of
// copies, and the single-copy changes replication and its repairs make.
import type { PlacementReads, PlacementWrites } from '../../placement-statements.js';
import type { ReplicationCandidate, ReplicationPage } from '../../placement-types.js';
import { int, type SqliteConnection } from '../connection.js';
import { locationFromRow, type RawLocation } from './objects.js';

interface RawCandidate {
  object_key: string;
  write_id: string;
  size: bigint;
  ok_copies: bigint;
  missing_copies: bigint;
}

function candidateFromRow(r: RawCandidate): ReplicationCandidate {
  return {
    objectKey: r.object_key,
    writeId: r.write_id,
    size: int(r.size),
    okCopies: int(r.ok_copies),
    missingCopies: int(r.missing_copies),
  };
}

/**
 * One page of a sweep: of the next `scan` objects by key after `after`, at most `limit` that
 * pass `having` (over ok_copies and missing_copies) with their copy counts. `counted` decides
 * which ok copies count. The scan bound keeps each statement short when (almost) nothing
 * matches — the normal state — where a LIMIT on the matches alone would read every object
 * in one synchronous statement (seconds at 1M objects, on the event loop requests need).
 */
function candidatePage(c: SqliteConnection, counted: string, having: string, params: Record<string, unknown>): ReplicationPage {
  const range = `SELECT object_key FROM objects WHERE (@after IS NULL OR object_key > @after) ORDER BY object_key LIMIT @scan`;
  const candidates = c.all<RawCandidate>(
    `SELECT o.object_key, o.write_id, o.size,
            COALESCE(SUM(CASE WHEN l.state = 'ok' AND ${counted} THEN 1 ELSE 0 END), 0) AS ok_copies,
            COALESCE(SUM(CASE WHEN l.state <> 'ok' THEN 1 ELSE 0 END), 0) AS missing_copies
       FROM objects o LEFT JOIN object_locations l ON l.object_key = o.object_key
      WHERE o.object_key IN (${range})
      GROUP BY o.object_key
     HAVING ${having}
      ORDER BY o.object_key LIMIT @limit`,
    params,
  ).map(candidateFromRow);
  if (candidates.length === params.limit) return { candidates, next: candidates.at(-1)!.objectKey };
  const examined = c.get<{ n: bigint; last: string | null }>(`SELECT COUNT(*) AS n, MAX(object_key) AS last FROM (${range})`, params)!;
  return { candidates, next: int(examined.n) === params.scan ? examined.last : null };
}

export function placementReads(c: SqliteConnection): PlacementReads {
  return {
    // The backend list travels as one JSON array parameter.
    async listUnderReplicated(after, limit, scan, factor, uncounted) {
      return candidatePage(
        c,
        'l.backend_name NOT IN (SELECT value FROM json_each(@uncounted))',
        'ok_copies < @factor OR missing_copies > 0',
        { after, limit, scan, factor, uncounted: JSON.stringify(uncounted) },
      );
    },

    async listOverReplicated(after, limit, scan, factor) {
      return candidatePage(c, '1 = 1', 'ok_copies > @factor', { after, limit, scan, factor });
    },

    async listScrubCandidates(verifiedBefore, limit, backendName) {
      // NULLs sort first: never-verified copies before all others.
      return c
        .all<RawLocation & { verified_at: bigint | null }>(
          `SELECT object_key, backend_name, storage_key, write_id, size_bytes, created_at, state, verified_at FROM object_locations
            WHERE state = 'ok' AND (verified_at IS NULL OR verified_at < @verifiedBefore) AND (@backendName IS NULL OR backend_name = @backendName)
            ORDER BY verified_at, object_key, backend_name LIMIT @limit`,
          { verifiedBefore, limit, backendName },
        )
        .map((r) => ({ copy: locationFromRow(r), verifiedAt: r.verified_at === null ? null : int(r.verified_at) }));
    },

    async selectVerifiedTimes(objectKey) {
      return c
        .all<{ backend_name: string; verified_at: bigint | null }>(
          `SELECT backend_name, verified_at FROM object_locations WHERE object_key = @objectKey ORDER BY backend_name`,
          { objectKey },
        )
        .map((r) => ({ backendName: r.backend_name, verifiedAt: r.verified_at === null ? null : int(r.verified_at) }));
    },
  };
}

export function placementWrites(c: SqliteConnection): PlacementWrites {
  return {
    async deleteLocation(objectKey, backendName) {
      const r = c.get<RawLocation>(
        `DELETE FROM object_locations WHERE object_key = @objectKey AND backend_name = @backendName RETURNING *`,
        { objectKey, backendName },
      );
      return r ? locationFromRow(r) : null;
    },

    async setLocationVerified(objectKey, backendName, storageKey, at) {
      return (
        c.run(
          `UPDATE object_locations SET verified_at = @at
            WHERE object_key = @objectKey AND backend_name = @backendName AND storage_key = @storageKey AND state = 'ok'`,
          { objectKey, backendName, storageKey, at },
        ) === 1
      );
    },

    async markLocationUnusable(objectKey, backendName, storageKey, state) {
      return (
        c.run(
          `UPDATE object_locations SET state = @state
            WHERE object_key = @objectKey AND backend_name = @backendName AND storage_key = @storageKey AND state = 'ok'`,
          { objectKey, backendName, storageKey, state },
        ) === 1
      );
    },
  };
}
