// Online backup and offline restore of a SQLite ledger (docs/architecture.md §4 "Backup and
// restore"). Backup runs beside a live orchestrator: SQLite's online backup API copies every
// page in ONE step, and one step reads inside one read transaction, so the copy is the ledger
// as of a single commit; in WAL mode that read never blocks the orchestrator's writers (a
// many-step backup would restart whenever another process commits between steps, and under a
// steady write load might never finish). Restore refuses while any process has the ledger open.
import { randomBytes } from 'node:crypto';
import { access, copyFile, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** sqlite3_backup_step's page count for "everything that is left". */
const ALL_PAGES = 0x7fffffff;

export interface SqliteBackupResult {
  /** bytes of the backup file */
  bytes: number;
  /** objects the backup holds (a sanity figure for the operator) */
  objects: number;
  /** the newest migration applied in the backup */
  schemaVersion: number;
}

export class LedgerInUseError extends Error {}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Copies the ledger at `ledgerPath` into a new self-contained file `outPath` (rollback journal,
 * no -wal beside it), checked with `PRAGMA quick_check`. The copy is written under a temporary
 * name and renamed into place, so `outPath` is either absent or a complete backup.
 */
export async function backupSqliteLedger(ledgerPath: string, outPath: string): Promise<SqliteBackupResult> {
  if (!(await exists(ledgerPath))) throw new Error(`${ledgerPath}: no ledger there`);
  if (await exists(outPath)) throw new Error(`${outPath} exists; name a new file`);
  const partial = `${outPath}.partial-${randomBytes(4).toString('hex')}`;
  // Read-write, as the orchestrator's connections are: a read-only connection cannot rebuild
  // the WAL index (-shm) when the orchestrator is not running.
  const source = new Database(ledgerPath, { fileMustExist: true, timeout: 5_000 });
  try {
    await source.backup(partial, { progress: () => ALL_PAGES });
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
  try {
    const summary = checkLedgerFile(partial, { selfContained: true });
    await fsyncFile(partial);
    await rename(partial, outPath);
    await fsyncDir(dirname(outPath));
    return { bytes: (await stat(outPath)).size, ...summary };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/**
 * Puts the backup `backupPath` in place of the ledger at `ledgerPath`. Refuses (LedgerInUseError)
 * while any process has the ledger open; the ledger it replaces is kept as
 * `<ledger>.before-restore-<time>` (with its -wal, if one was left), never deleted.
 * Returns where the previous ledger went (null when there was none).
 */
export async function restoreSqliteLedger(backupPath: string, ledgerPath: string, now: Date = new Date()): Promise<{ previous: string | null; objects: number }> {
  const { objects } = checkLedgerFile(backupPath, { selfContained: false });
  const staged = `${ledgerPath}.restoring-${randomBytes(4).toString('hex')}`;
  await copyFile(backupPath, staged);
  try {
    await fsyncFile(staged);
    let previous: string | null = null;
    if (await exists(ledgerPath)) {
      checkpointIfUnused(ledgerPath);
      previous = `${ledgerPath}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      await rename(ledgerPath, previous);
      // A -wal left beside the new file would be replayed into it: it belongs to the old one.
      for (const suffix of ['-wal', '-shm']) {
        if (await exists(ledgerPath + suffix)) await rename(ledgerPath + suffix, previous + suffix);
      }
    }
    await rename(staged, ledgerPath);
    await fsyncDir(dirname(ledgerPath));
    return { previous, objects };
  } catch (err) {
    await rm(staged, { force: true });
    throw err;
  }
}

/**
 * Takes the ledger's exclusive lock without waiting: in WAL mode every open connection holds a
 * shared lock on the WAL index, so this fails while any orchestrator process has the file
 * open, busy or idle. Then folds the WAL into the file so nothing of it is left behind.
 */
function checkpointIfUnused(ledgerPath: string): void {
  const db = new Database(ledgerPath, { fileMustExist: true, timeout: 0 });
  try {
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('COMMIT');
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new LedgerInUseError(`${ledgerPath} is open in another process; stop the orchestrator (every process on this ledger) first`);
      }
      throw err;
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The file is an intact SQLite database holding an s3-orchestrator ledger. */
function checkLedgerFile(path: string, options: { selfContained: boolean }): { objects: number; schemaVersion: number } {
  const db = new Database(path, { fileMustExist: true, readonly: !options.selfContained });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`${path}: the database is damaged (quick_check: ${String(check)})`);
    const hasLedger = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'objects')").get() as { n: number };
    if (hasLedger.n !== 2) throw new Error(`${path}: not an s3-orchestrator ledger`);
    // The backup stands alone: no -wal beside it is needed to read it.
    if (options.selfContained) db.pragma('journal_mode = DELETE');
    const { objects } = db.prepare('SELECT count(*) AS objects FROM objects').get() as { objects: number };
    const { version } = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number };
    return { objects: Number(objects), schemaVersion: Number(version) };
  } finally {
    db.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
