-- Integrity (docs/architecture.md, "Integrity"):
-- 1. A copy whose bytes failed their check (SHA-256, a GCM tag, its stored length) is marked
--    `corrupt`: like `missing` it is neither read nor counted, and replication replaces it
--    (its storage key becomes a debt).
-- 2. `verified_at`: when the scrubber last read the copy and found it good (NULL: never);
--    the scrubber reads the copies verified longest ago first, never-verified ones before all.
-- SQLite cannot change a CHECK in place, so the table is rebuilt (nothing references it).
CREATE TABLE object_locations_new (
  object_key    TEXT    NOT NULL REFERENCES objects (object_key),
  backend_name  TEXT    NOT NULL,
  storage_key   TEXT    NOT NULL,
  write_id      TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  created_at    INTEGER NOT NULL,
  state         TEXT    NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'missing', 'corrupt')),
  verified_at   INTEGER,
  PRIMARY KEY (object_key, backend_name)  -- also serves lookups by object_key
) STRICT, WITHOUT ROWID;
INSERT INTO object_locations_new (object_key, backend_name, storage_key, write_id, size_bytes, created_at, state)
SELECT object_key, backend_name, storage_key, write_id, size_bytes, created_at, state FROM object_locations;
DROP TABLE object_locations;
ALTER TABLE object_locations_new RENAME TO object_locations;
CREATE INDEX object_locations_backend_storage ON object_locations (backend_name, storage_key);
CREATE INDEX object_locations_missing_key ON object_locations (object_key) WHERE state = 'missing';
CREATE INDEX object_locations_corrupt_key ON object_locations (object_key) WHERE state = 'corrupt';
CREATE INDEX object_locations_verified_at ON object_locations (verified_at, object_key, backend_name) WHERE state = 'ok';
