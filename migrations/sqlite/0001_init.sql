-- s3-orchestrator ledger, SQLite dialect (docs/architecture.md §4). Times are epoch milliseconds, sizes
-- are bytes. Text columns use BINARY collation, so ORDER BY / range filters on keys follow
-- byte order of the UTF-8 encoding, as S3 listings do. STRICT tables refuse values of the
-- wrong type instead of storing them silently.
--
-- Foreign keys use the default RESTRICT: a key's objects row cannot be deleted while copies
-- remain, and an upload cannot be deleted while parts remain, so no code path can drop
-- bytes from the ledger without turning them into a debt first.

-- One row per backend: its quota and the bytes charged to it.
CREATE TABLE backend_quotas (
  backend_name  TEXT    NOT NULL PRIMARY KEY,
  bytes_limit   INTEGER NOT NULL DEFAULT 0 CHECK (bytes_limit >= 0), -- 0 = unlimited
  bytes_used    INTEGER NOT NULL DEFAULT 0,  -- bytes of committed copies
  orphan_bytes  INTEGER NOT NULL DEFAULT 0,  -- bytes owed to cleanup_queue, not yet deleted
  updated_at    INTEGER NOT NULL
) STRICT;

-- One row per live internal key: the identity HEAD and LIST answer from.
CREATE TABLE objects (
  object_key          TEXT    NOT NULL PRIMARY KEY,
  write_id            TEXT    NOT NULL,  -- intent id / upload id of the write that made it
  size                INTEGER NOT NULL CHECK (size >= 0),
  etag                TEXT    NOT NULL,
  content_type        TEXT    NOT NULL,
  user_metadata       TEXT    NOT NULL DEFAULT '{}',  -- JSON object
  cache_control       TEXT,
  content_disposition TEXT,
  content_encoding    TEXT,
  content_language    TEXT,
  expires             TEXT,
  content_hash        TEXT,
  created_at          INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per copy. One copy of a key per backend.
CREATE TABLE object_locations (
  object_key    TEXT    NOT NULL REFERENCES objects (object_key),
  backend_name  TEXT    NOT NULL,
  storage_key   TEXT    NOT NULL,
  write_id      TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  created_at    INTEGER NOT NULL,
  state         TEXT    NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'missing')),
  PRIMARY KEY (object_key, backend_name)  -- also serves lookups by object_key
) STRICT, WITHOUT ROWID;
CREATE INDEX object_locations_backend ON object_locations (backend_name);

-- One row per intent: bytes being written that are not committed yet.
CREATE TABLE pending_objects (
  intent_id     TEXT    NOT NULL PRIMARY KEY,
  kind          TEXT    NOT NULL CHECK (kind IN ('write', 'replica', 'move')),
  object_key    TEXT    NOT NULL,
  backend_name  TEXT    NOT NULL,
  storage_key   TEXT    NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  identity      TEXT,   -- JSON ObjectIdentity, for `write` intents (the reaper promotes from it)
  created_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_objects_backend ON pending_objects (backend_name);
CREATE INDEX pending_objects_heartbeat ON pending_objects (heartbeat_at);
CREATE INDEX pending_objects_key ON pending_objects (object_key);

-- One row per open multipart upload, pinned to one backend.
CREATE TABLE multipart_uploads (
  upload_id           TEXT    NOT NULL PRIMARY KEY,
  object_key          TEXT    NOT NULL,
  backend_name        TEXT    NOT NULL,
  backend_upload_id   TEXT    NOT NULL,
  storage_key         TEXT    NOT NULL,
  content_type        TEXT    NOT NULL,
  user_metadata       TEXT    NOT NULL DEFAULT '{}',
  cache_control       TEXT,
  content_disposition TEXT,
  content_encoding    TEXT,
  content_language    TEXT,
  expires             TEXT,
  content_hash        TEXT,
  created_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX multipart_uploads_key ON multipart_uploads (object_key, upload_id);
CREATE INDEX multipart_uploads_backend ON multipart_uploads (backend_name);
CREATE INDEX multipart_uploads_created ON multipart_uploads (created_at);

-- One row per part, reserved (etag NULL) while it uploads, recorded once its bytes landed.
CREATE TABLE multipart_parts (
  upload_id     TEXT    NOT NULL REFERENCES multipart_uploads (upload_id),
  part_number   INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  etag          TEXT,   -- MD5 hex of the client's bytes
  backend_etag  TEXT,   -- the backend's ETag, sent back in its Complete
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) STRICT, WITHOUT ROWID;

-- One row per backend and month.
CREATE TABLE backend_usage (
  backend_name   TEXT    NOT NULL,
  period         TEXT    NOT NULL,  -- YYYY-MM
  api_requests   INTEGER NOT NULL DEFAULT 0,
  egress_bytes   INTEGER NOT NULL DEFAULT 0,
  ingress_bytes  INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (backend_name, period)
) STRICT, WITHOUT ROWID;

-- One row per byte deletion owed: the single source of truth for debts.
CREATE TABLE cleanup_queue (
  id                 INTEGER PRIMARY KEY,
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
CREATE INDEX cleanup_queue_next_retry ON cleanup_queue (next_retry);
CREATE INDEX cleanup_queue_backend ON cleanup_queue (backend_name);

-- Debts the cleanup service gave up on (their bytes stay charged as orphan).
CREATE TABLE cleanup_dlq (
  id                 INTEGER NOT NULL PRIMARY KEY,  -- the cleanup_queue id
  kind               TEXT    NOT NULL CHECK (kind IN ('object', 'multipart_upload')),
  backend_name       TEXT    NOT NULL,
  storage_key        TEXT    NOT NULL,
  backend_upload_id  TEXT,
  object_key         TEXT,
  reason             TEXT    NOT NULL,
  size_bytes         INTEGER NOT NULL,
  attempts           INTEGER NOT NULL,
  last_error         TEXT,
  created_at         INTEGER NOT NULL,
  moved_at           INTEGER NOT NULL
) STRICT;
CREATE INDEX cleanup_dlq_backend ON cleanup_dlq (backend_name);

-- The transactional outbox. seq values are reserved through sqlite_sequence (see below), so
-- they are never reused, even after every row was pruned.
CREATE TABLE event_log (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT    NOT NULL UNIQUE,
  type          TEXT    NOT NULL,
  resource      TEXT    NOT NULL,
  source        TEXT    NOT NULL,
  traceparent   TEXT,
  data          TEXT    NOT NULL,  -- JSON
  created_at    INTEGER NOT NULL,
  published_at  INTEGER
) STRICT;
CREATE INDEX event_log_unpublished ON event_log (seq) WHERE published_at IS NULL;
CREATE INDEX event_log_created ON event_log (created_at);
-- The counter the store reserves seq values from before inserting (the commit's sequencer
-- must be known before its events are built). SQLite creates this row on the first insert;
-- creating it now lets every reservation be a plain UPDATE.
INSERT INTO sqlite_sequence (name, seq) VALUES ('event_log', 0);

-- Position of each in-process consumer in event_log.
CREATE TABLE consumer_offsets (
  consumer    TEXT    NOT NULL PRIMARY KEY,
  last_seq    INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- Events a consumer has applied, written in the transaction of the effect.
CREATE TABLE processed_events (
  consumer  TEXT    NOT NULL,
  event_id  TEXT    NOT NULL,
  at        INTEGER NOT NULL,
  PRIMARY KEY (consumer, event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX processed_events_at ON processed_events (at);

-- Events a consumer gave up on.
CREATE TABLE dead_events (
  consumer    TEXT    NOT NULL,
  event_id    TEXT    NOT NULL,
  attempts    INTEGER NOT NULL,
  last_error  TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  PRIMARY KEY (consumer, event_id)
) STRICT, WITHOUT ROWID;

-- One row per delivery of an event to one notification endpoint.
CREATE TABLE notification_outbox (
  id          INTEGER PRIMARY KEY,
  event_id    TEXT    NOT NULL,
  endpoint    TEXT    NOT NULL,
  object_key  TEXT,
  payload     TEXT    NOT NULL,  -- JSON
  state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_retry  INTEGER NOT NULL,
  last_error  TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (event_id, endpoint)
) STRICT;
CREATE INDEX notification_outbox_due ON notification_outbox (state, next_retry);

-- One row per drain of a backend.
CREATE TABLE backend_drains (
  id              INTEGER PRIMARY KEY,
  backend_name    TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('draining', 'drained', 'failed', 'cancelled')),
  objects_total   INTEGER NOT NULL DEFAULT 0,
  objects_moved   INTEGER NOT NULL DEFAULT 0,
  bytes_moved     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  started_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  finished_at     INTEGER
) STRICT;
CREATE INDEX backend_drains_backend ON backend_drains (backend_name, state);
-- At most one drain in progress per backend.
CREATE UNIQUE INDEX backend_drains_active ON backend_drains (backend_name) WHERE state = 'draining';
