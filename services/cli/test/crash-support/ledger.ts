// Read-only look into the SQLite ledger of a running orchestrator, for the numbers a crash
// test checks: open intents, owed deletions, quota counters.
import Database from 'better-sqlite3';

export interface LedgerSnapshot {
  intents: number;
  cleanupQueue: number;
  cleanupDlq: number;
  /** Failed deletion attempts summed over the queue, and the latest error seen. */
  cleanupAttempts: number;
  lastCleanupError: string | null;
  quotas: Array<{ backend_name: string; bytes_used: number; orphan_bytes: number }>;
  /** Sum of live copy sizes per backend. */
  liveBytes: Map<string, number>;
}

export function readLedger(dbPath: string): LedgerSnapshot {
  // A fresh read-only connection each time: it sees the latest committed state and never
  // holds a lock the orchestrator's writer could wait on.
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const quotas = db
      .prepare('SELECT backend_name, bytes_used, orphan_bytes FROM backend_quotas ORDER BY backend_name')
      .all() as LedgerSnapshot['quotas'];
    const live = db
      .prepare("SELECT backend_name, sum(size_bytes) AS bytes FROM object_locations GROUP BY backend_name")
      .all() as Array<{ backend_name: string; bytes: number }>;
    const attempts = db
      .prepare('SELECT coalesce(sum(attempts), 0) AS n, max(last_error) AS last_error FROM cleanup_queue')
      .get() as { n: number; last_error: string | null };
    return {
      cleanupAttempts: attempts.n,
      lastCleanupError: attempts.last_error,
      intents: count('pending_objects'),
      cleanupQueue: count('cleanup_queue'),
      cleanupDlq: count('cleanup_dlq'),
      quotas,
      liveBytes: new Map(live.map((r) => [r.backend_name, r.bytes])),
    };
  } finally {
    db.close();
  }
}
