// Keys of our own form: every write the orchestrator makes lands at `…!<write id>` (docs/architecture.md
// §4 "Every write gets its own storage path"), the id a ULID (shared/store/src/ids.ts).
// Such a key that no ledger record accounts for is a leftover of an interrupted write —
// never an object to import.
import type { Config } from '@s3o/config';
import { idTime } from '@s3o/store';

const OWN_KEY = /!([0-9A-HJKMNP-TV-Z]{26})$/;

const HOUR = 3_600_000;

/** The write id a storage key of our form ends with; null for any other key. */
export function ownWriteId(storageKey: string): string | null {
  return OWN_KEY.exec(storageKey)?.[1] ?? null;
}

/** When the write that made `writeId` started (epoch ms). */
export function writeStartedAt(writeId: string): number {
  return idTime(writeId);
}

/**
 * How old an unaccounted key of our form must be before reconcile owes its deletion:
 * max(write_path.pending_pattern.min_age, 1 h). A write records its intent before sending
 * bytes and the reaper resolves stale intents after min_age, so anything younger may still
 * be recorded by a commit, a promotion or a debt; the hour keeps a margin for slow uploads
 * and clocks that disagree between processes.
 */
export function leftoverGraceMs(config: Config): number {
  return Math.max(config.writePath.pendingPattern.minAgeMs, HOUR);
}
