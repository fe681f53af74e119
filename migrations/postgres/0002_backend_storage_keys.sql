-- Verify (admin API) lists every storage key the ledger accounts for on one backend —
-- copies, intents, debts, dead letters, open uploads — page by page in storage-key order.
-- These indexes serve those pages (and point lookups of one storage key); they replace the
-- backend-only indexes, whose lookups the leading column still serves.
-- (cleanup_queue ids come from an identity sequence, which never reuses a value, so a dead
-- letter can keep its queue id and go back to the queue under it.)
DROP INDEX object_locations_backend;
CREATE INDEX object_locations_backend_storage ON object_locations (backend_name, storage_key);
DROP INDEX pending_objects_backend;
CREATE INDEX pending_objects_backend_storage ON pending_objects (backend_name, storage_key);
DROP INDEX multipart_uploads_backend;
CREATE INDEX multipart_uploads_backend_storage ON multipart_uploads (backend_name, storage_key);
DROP INDEX cleanup_queue_backend;
CREATE INDEX cleanup_queue_backend_storage ON cleanup_queue (backend_name, storage_key, id);
DROP INDEX cleanup_dlq_backend;
CREATE INDEX cleanup_dlq_backend_storage ON cleanup_dlq (backend_name, storage_key, id);
