-- Integrity (docs/architecture.md, "Integrity"):
-- 1. A copy whose bytes failed their check (SHA-256, a GCM tag, its stored length) is marked
--    `corrupt`: like `missing` it is neither read nor counted, and replication replaces it
--    (its storage key becomes a debt).
-- 2. `verified_at`: when the scrubber last read the copy and found it good (NULL: never);
--    the scrubber reads the copies verified longest ago first, never-verified ones before all.
ALTER TABLE object_locations DROP CONSTRAINT object_locations_state_check;
ALTER TABLE object_locations ADD CONSTRAINT object_locations_state_check CHECK (state IN ('ok', 'missing', 'corrupt'));
ALTER TABLE object_locations ADD COLUMN verified_at BIGINT;
CREATE INDEX object_locations_verified_at ON object_locations (verified_at ASC NULLS FIRST, object_key, backend_name) WHERE state = 'ok';
CREATE INDEX object_locations_corrupt_key ON object_locations (object_key) WHERE state = 'corrupt';
