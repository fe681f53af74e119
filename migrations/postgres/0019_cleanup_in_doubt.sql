-- A debt for bytes of a request whose outcome is unknown (an abandoned intent: a write, replica
-- or move its writer gave up on or died during) is "in doubt": the backend may still store those
-- bytes after cleanup's first DELETE (a backend that was frozen or partitioned works off the
-- requests it held in no set order), so it is settled only by a second DELETE
-- cleanup_queue.confirm_delay after the first (docs/architecture.md, "Crash anywhere is recoverable").
ALTER TABLE cleanup_queue ADD COLUMN in_doubt BOOLEAN NOT NULL DEFAULT false;
