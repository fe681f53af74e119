-- Striped quota counters (docs/architecture.md §4 backend_quota_stripes): a commit adds its
-- bytes to one of a few rows per backend instead of the one backend_quotas row, so commits
-- on one backend no longer queue on a single row lock, and no commit waits for a claim.
-- A backend's bytes_used and orphan_bytes are the sums of its stripes; backend_quotas keeps
-- the limit and stays the row that claims lock to serialise among themselves.
CREATE TABLE backend_quota_stripes (
  backend_name  TEXT COLLATE "C" NOT NULL,
  stripe        SMALLINT NOT NULL CHECK (stripe >= 0),
  bytes_used    BIGINT NOT NULL DEFAULT 0,  -- this stripe's share of the bytes of committed copies
  orphan_bytes  BIGINT NOT NULL DEFAULT 0,  -- this stripe's share of the bytes owed to cleanup_queue
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (backend_name, stripe)
);

-- What the single row held becomes stripe 0.
INSERT INTO backend_quota_stripes (backend_name, stripe, bytes_used, orphan_bytes, updated_at)
SELECT backend_name, 0, bytes_used, orphan_bytes, updated_at FROM backend_quotas;

ALTER TABLE backend_quotas DROP COLUMN bytes_used, DROP COLUMN orphan_bytes;
