-- Two changes for the cleanup service and the admin API's verify.
--
-- 1. Verify lists every storage key the ledger accounts for on one backend — copies,
--    intents, debts, dead letters, open uploads — page by page in storage-key order. These
--    indexes serve those pages (and point lookups of one storage key); they replace the
--    backend-only indexes, whose lookups the leading column still serves.
DROP INDEX object_locations_backend;
CREATE INDEX object_locations_backend_storage ON object_locations (backend_name, storage_key);
DROP INDEX pending_objects_backend;
CREATE INDEX pending_objects_backend_storage ON pending_objects (backend_name, storage_key);
DROP INDEX multipart_uploads_backend;
CREATE INDEX multipart_uploads_backend_storage ON multipart_uploads (backend_name, storage_key);
DROP INDEX cleanup_dlq_backend;
CREATE INDEX cleanup_dlq_backend_storage ON cleanup_dlq (backend_name, storage_key, id);

-- 2. cleanup_queue ids must never be reused: a dead letter keeps its queue id (the DLQ's
--    primary key) and goes back to the queue under it when requeued. A plain INTEGER
--    PRIMARY KEY hands out MAX(id) + 1, so the id of a dead-lettered last row came round
--    again and the next dead letter with it collided. AUTOINCREMENT never reuses an id;
--    SQLite cannot add it in place, so the table is rebuilt.
CREATE TABLE cleanup_queue_new (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  kind               TEXT    NOT NULL CHECK (kind IN ('object', 'multipart_upload')),
  backend_name       TEXT    NOT NULL,
  storage_key        TEXT    NOT NULL,
  backend_upload_id  TEXT,
  object_key         TEXT,
  reason             TEXT    NOT NULL,
  size_bytes         INTEGER NOT NULL CHECK (size_bytes >= 0),  -- charged to orphan_bytes
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_retry         INTEGER NOT NULL,
  last_error         TEXT,
  claimed_until      INTEGER,  -- lease of the worker that claimed the row
  created_at         INTEGER NOT NULL
) STRICT;
INSERT INTO cleanup_queue_new
  (id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry,
   last_error, claimed_until, created_at)
SELECT id, kind, backend_name, storage_key, backend_upload_id, object_key, reason, size_bytes, attempts, next_retry,
       last_error, claimed_until, created_at
  FROM cleanup_queue;
DROP TABLE cleanup_queue;
ALTER TABLE cleanup_queue_new RENAME TO cleanup_queue;
CREATE INDEX cleanup_queue_next_retry ON cleanup_queue (next_retry);
CREATE INDEX cleanup_queue_backend_storage ON cleanup_queue (backend_name, storage_key, id);
-- New ids start above every id in use, including those that only the DLQ still holds.
DELETE FROM sqlite_sequence WHERE name = 'cleanup_queue';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'cleanup_queue', MAX(COALESCE((SELECT MAX(id) FROM cleanup_queue), 0), COALESCE((SELECT MAX(id) FROM cleanup_dlq), 0));
