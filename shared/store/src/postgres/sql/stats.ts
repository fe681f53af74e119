// Counts for monitoring (the ledger gauges of /metrics), read at scrape time.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements } from '../../tx-adapter.js';
import { int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const copiesRow = z
  .object({ backend_name: z.string(), n: int8 })
  .transform((r) => ({ backendName: r.backend_name, copies: r.n }));

export function statsReads(db: Queries): Pick<ReadStatements, 'countCopiesByBackend'> {
  return {
    async countCopiesByBackend() {
      return [
        ...(await db.any(sql.type(copiesRow)`
          SELECT backend_name, COUNT(*) AS n FROM object_locations WHERE state = 'ok' GROUP BY backend_name ORDER BY backend_name`)),
      ];
    },
  };
}
