// Counts for monitoring (the ledger gauges of /metrics), read at scrape time.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements } from '../../tx-adapter.js';
import { int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const copiesRow = z
  .object({ backend_name: z.string(), n: int8 })
  .transform((r) => ({ backendName: r.backend_name, copies: r.n }));

const figuresRow = z
  .object({ objects: int8, under: int8, over: int8, intents: int8, uploads: int8 })
  .transform((r) => ({ objects: r.objects, underReplicated: r.under, overReplicated: r.over, openIntents: r.intents, openUploads: r.uploads }));

export function statsReads(db: Queries): Pick<ReadStatements, 'countCopiesByBackend' | 'countOperatorFigures'> {
  return {
    async countCopiesByBackend() {
      return [
        ...(await db.any(sql.type(copiesRow)`
          SELECT backend_name, COUNT(*) AS n FROM object_locations WHERE state = 'ok' GROUP BY backend_name ORDER BY backend_name`)),
      ];
    },

    async countOperatorFigures(factor) {
      // One pass over the objects for both counts of copies against the factor.
      return db.one(sql.type(figuresRow)`
        WITH copies AS (SELECT (SELECT COUNT(*) FROM object_locations l WHERE l.object_key = o.object_key AND l.state = 'ok') AS n FROM objects o)
        SELECT (SELECT COUNT(*) FROM objects) AS objects,
               (SELECT COUNT(*) FROM copies WHERE n < ${factor}) AS under,
               (SELECT COUNT(*) FROM copies WHERE n > ${factor}) AS over,
               (SELECT COUNT(*) FROM pending_objects) AS intents,
               (SELECT COUNT(*) FROM multipart_uploads) AS uploads`);
    },
  };
}
