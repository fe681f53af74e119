// Counts for monitoring (the ledger gauges of /metrics), read at scrape time.
import type { ReadStatements } from '../../tx-adapter.js';
import { int, type SqliteConnection } from '../connection.js';

export function statsReads(c: SqliteConnection): Pick<ReadStatements, 'countCopiesByBackend'> {
  return {
    async countCopiesByBackend() {
      return c
        .all<{ backend_name: string; n: bigint }>(
          `SELECT backend_name, COUNT(*) AS n FROM object_locations WHERE state = 'ok' GROUP BY backend_name ORDER BY backend_name`,
        )
        .map((r) => ({ backendName: r.backend_name, copies: int(r.n) }));
    },
  };
}
