// Counts for monitoring (the ledger gauges of /metrics), read at scrape time.
import type { ReadStatements } from '../../tx-adapter.js';
import { int, type SqliteConnection } from '../connection.js';

export function statsReads(c: SqliteConnection): Pick<ReadStatements, 'countCopiesByBackend' | 'countOperatorFigures'> {
  return {
    async countCopiesByBackend() {
      return c
        .all<{ backend_name: string; n: bigint }>(
          `SELECT backend_name, COUNT(*) AS n FROM object_locations WHERE state = 'ok' GROUP BY backend_name ORDER BY backend_name`,
        )
        .map((r) => ({ backendName: r.backend_name, copies: int(r.n) }));
    },

    async countOperatorFigures(factor) {
      // One pass over the objects for both counts of copies against the factor.
      const r = c.get<{ objects: bigint; under: bigint; over: bigint; intents: bigint; uploads: bigint }>(
        `WITH copies AS (SELECT (SELECT COUNT(*) FROM object_locations l WHERE l.object_key = o.object_key AND l.state = 'ok') AS n FROM objects o)
         SELECT (SELECT COUNT(*) FROM objects) AS objects,
                (SELECT COUNT(*) FROM copies WHERE n < @factor) AS under,
                (SELECT COUNT(*) FROM copies WHERE n > @factor) AS over,
                (SELECT COUNT(*) FROM pending_objects) AS intents,
                (SELECT COUNT(*) FROM multipart_uploads) AS uploads`,
        { factor },
      )!;
      return { objects: int(r.objects), underReplicated: int(r.under), overReplicated: int(r.over), openIntents: int(r.intents), openUploads: int(r.uploads) };
    },
  };
}
