// The advisory-lock keys the ledger uses. Postgres advisory locks share one key space per
// database with every other application on it; the two-int form (space, key) with spaces of
// our own keeps the migration lock and the leader locks apart from each other and from
// anyone else's single-bigint locks.

/** 'S3O\x01': held by the migration runner for the length of its run. */
export const MIGRATION_LOCK_SPACE = 0x53334f01;
/** The one key in MIGRATION_LOCK_SPACE. */
export const MIGRATION_LOCK_KEY = 0;
/** 'S3O\x02': leader locks, keyed by hashtext(name). */
export const LEADER_LOCK_SPACE = 0x53334f02;
