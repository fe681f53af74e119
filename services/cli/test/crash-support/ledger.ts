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

export interface KeyRecords {
  /** open intents of the key (any kind), with their claim and last heartbeat (epoch ms) */
  intents: Array<{ createdAt: number; heartbeatAt: number }>;
  /** the key has a live object */
  live: boolean;
}

/** What the ledger holds for each of `objectKeys` (internal keys, `bucket/key`). */
export function readKeyRecords(dbPath: string, objectKeys: string[]): Map<string, KeyRecords> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const intents = db.prepare('SELECT created_at AS createdAt, heartbeat_at AS heartbeatAt FROM pending_objects WHERE object_key = ?');
    const object = db.prepare('SELECT 1 AS one FROM objects WHERE object_key = ?');
    return new Map(objectKeys.map((key) => [key, {
      intents: intents.all(key) as KeyRecords['intents'],
      live: object.get(key) !== undefined,
    }]));
  } finally {
    db.close();
  }
}

/** Every storage key the ledger accounts for (intents, copies, debts), as `<backend>:<storage key>`. */
export function readStorageKeys(dbPath: string): Set<string> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(
      `SELECT backend_name, storage_key FROM pending_objects UNION SELECT backend_name, storage_key FROM object_locations
       UNION SELECT backend_name, storage_key FROM cleanup_queue UNION SELECT backend_name, storage_key FROM cleanup_dlq`,
    ).all() as Array<{ backend_name: string; storage_key: string }>;
    return new Set(rows.map((r) => `${r.backend_name}:${r.storage_key}`));
  } finally {
    db.close();
  }
}
