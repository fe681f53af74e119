-- Encryption at rest (docs/architecture.md, "Encryption at rest").
-- stored_size: the bytes each copy holds when they differ from the plaintext size (an
-- encrypted object: one GCM tag per chunk); NULL = the same as size. Quotas, copies and
-- replication count these. encryption: the envelope header (key id, wrapped data key, nonce
-- base, chunk size, plaintext length), NULL for a plaintext object; the same header is in the
-- backend object's metadata, and rotation re-wraps it here without touching the bytes. Uploads
-- keep the header of their data key from Create to Complete.
ALTER TABLE objects ADD COLUMN stored_size INTEGER;
ALTER TABLE objects ADD COLUMN encryption TEXT;
ALTER TABLE multipart_uploads ADD COLUMN stored_size INTEGER;
ALTER TABLE multipart_uploads ADD COLUMN encryption TEXT;

-- One row per master key id that ever wrapped a data key here: a data key wrapped by it, so a
-- process started with other key material under the same id is refused before it writes or
-- serves anything.
CREATE TABLE encryption_keys (
  key_id      TEXT NOT NULL PRIMARY KEY,
  check_value TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
