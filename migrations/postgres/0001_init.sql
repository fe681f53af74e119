-- s3-orchestrator ledger, PostgreSQL dialect (docs/architecture.md §4): the same tables as
-- migrations/sqlite/0001_init.sql. Times are epoch milliseconds and sizes are bytes, both
-- BIGINT (the adapter turns them into exact JS numbers and refuses anything beyond 2^53).
--
-- Keys, ids and backend names are `COLLATE "C"`: ORDER BY and range filters then follow the
-- byte order of their UTF-8 encoding, as S3 listings do, whatever the database's locale, and
-- their b-tree indexes serve those range scans.
--
-- Foreign keys use the default NO ACTION: a key's objects row cannot be deleted while copies
-- remain, and an upload cannot be deleted while parts remain, so no code path can drop bytes
-- from the ledger without turning them into a debt first.

-- One row per backend: its quota and the bytes charged to it. Claims lock this row
-- (SELECT … FOR UPDATE), which serialises every claim on one backend.
CREATE TABLE backend_quotas (
  backend_name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  bytes_limit   BIGINT NOT NULL DEFAULT 0 CHECK (bytes_limit >= 0),  -- 0 = unlimited
  bytes_used    BIGINT NOT NULL DEFAULT 0,  -- bytes of committed copies
  orphan_bytes  BIGINT NOT NULL DEFAULT 0,  -- bytes owed to cleanup_queue, not yet deleted
  updated_at    BIGINT NOT NULL
);

-- One row per live internal key: the identity HEAD and LIST answer from. Every transaction
-- that changes a key's copies locks this row first (the per-key lock).
CREATE TABLE objects (
  object_key          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  write_id            TEXT COLLATE "C" NOT NULL,  -- intent id / upload id of the write that made it
  size                BIGINT NOT NULL CHECK (size >= 0),
  etag                TEXT   NOT NULL,
  content_type        TEXT   NOT NULL,
  user_metadata       JSONB  NOT NULL DEFAULT '{}',
  cache_control       TEXT,
  content_disposition TEXT,
  content_encoding    TEXT,
  content_language    TEXT,
  expires             TEXT,
  content_hash        TEXT,
  created_at          BIGINT NOT NULL
);

-- One row per copy. One copy of a key per backend.
CREATE TABLE object_locations (
  object_key    TEXT COLLATE "C" NOT NULL REFERENCES objects (object_key),
  backend_name  TEXT COLLATE "C" NOT NULL,
  storage_key   TEXT COLLATE "C" NOT NULL,
  write_id      TEXT COLLATE "C" NOT NULL,
  size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
  created_at    BIGINT NOT NULL,
  state         TEXT   NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'missing')),
  PRIMARY KEY (object_key, backend_name)  -- also serves lookups by object_key
);
CREATE INDEX object_locations_backend ON object_locations (backend_name);

-- One row per intent: bytes being written that are not committed yet.
CREATE TABLE pending_objects (
  intent_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  kind          TEXT   NOT NULL CHECK (kind IN ('write', 'replica', 'move')),
  object_key    TEXT COLLATE "C" NOT NULL,
  backend_name  TEXT COLLATE "C" NOT NULL,
  storage_key   TEXT COLLATE "C" NOT NULL,
  size_bytes    BIGINT NOT NULL CHECK (size_bytes >= 0),
  identity      JSONB,  -- ObjectIdentity, for `write` intents (the reaper promotes from it)
  created_at    BIGINT NOT NULL,
  heartbeat_at  BIGINT NOT NULL
);
CREATE INDEX pending_objects_backend ON pending_objects (backend_name);
CREATE INDEX pending_objects_heartbeat ON pending_objects (heartbeat_at);
CREATE INDEX pending_objects_key ON pending_objects (object_key);

-- One row per open multipart upload, pinned to one backend.
CREATE TABLE multipart_uploads (
  upload_id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  object_key          TEXT COLLATE "C" NOT NULL,
  backend_name        TEXT COLLATE "C" NOT NULL,
  backend_upload_id   TEXT   NOT NULL,
  storage_key         TEXT COLLATE "C" NOT NULL,
  content_type        TEXT   NOT NULL,
  user_metadata       JSONB  NOT NULL DEFAULT '{}',
  cache_control       TEXT,
  content_disposition TEXT,
  content_encoding    TEXT,
  content_language    TEXT,
  expires             TEXT,
  content_hash        TEXT,
  created_at          BIGINT NOT NULL
);
CREATE INDEX multipart_uploads_key ON multipart_uploads (object_key, upload_id);
CREATE INDEX multipart_uploads_backend ON multipart_uploads (backend_name);
CREATE INDEX multipart_uploads_created ON multipart_uploads (created_at);

-- One row per part, reserved (etag NULL) while it uploads, recorded once its bytes landed.
CREATE TABLE multipart_parts (
  upload_id     TEXT COLLATE "C" NOT NULL REFERENCES multipart_uploads (upload_id),
  part_number   INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  etag          TEXT,   -- MD5 hex of the client's bytes
  backend_etag  TEXT,   -- the backend's ETag, sent back in its Complete
  size_bytes    BIGINT  NOT NULL CHECK (size_bytes >= 0),
  created_at    BIGINT  NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);

-- One row per backend and month.
CREATE TABLE backend_usage (
  backend_name   TEXT COLLATE "C" NOT NULL,
  period         TEXT   NOT NULL,  -- YYYY-MM
  api_requests   BIGINT NOT NULL DEFAULT 0,
  egress_bytes   BIGINT NOT NULL DEFAULT 0,
  ingress_bytes  BIGINT NOT NULL DEFAULT 0,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (backend_name, period)
);

-- One row per byte deletion owed: the single source of truth for debts. Workers lease rows
-- (claimed_until) with FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint rows.
CREATE TABLE cleanup_queue (
  id                 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  kind               TEXT   NOT NULL CHECK (kind IN ('object', 'multipart_upload')),
  backend_name       TEXT COLLATE "C" NOT NULL,
  storage_key        TEXT COLLATE "C" NOT NULL,
  backend_upload_id  TEXT,
  object_key         TEXT COLLATE "C",
  reason             TEXT   NOT NULL,
  size_bytes         BIGINT NOT NULL CHECK (size_bytes >= 0),  -- charged to orphan_bytes
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_retry         BIGINT NOT NULL,
  last_error         TEXT,
  claimed_until      BIGINT,  -- lease of the worker that claimed the row
  created_at         BIGINT NOT NULL
);
CREATE INDEX cleanup_queue_next_retry ON cleanup_queue (next_retry, id);
CREATE INDEX cleanup_queue_backend ON cleanup_queue (backend_name);

-- Debts the cleanup service gave up on (their bytes stay charged as orphan).
CREATE TABLE cleanup_dlq (
  id                 BIGINT NOT NULL PRIMARY KEY,  -- the cleanup_queue id
  kind               TEXT   NOT NULL CHECK (kind IN ('object', 'multipart_upload')),
  backend_name       TEXT COLLATE "C" NOT NULL,
  storage_key        TEXT COLLATE "C" NOT NULL,
  backend_upload_id  TEXT,
  object_key         TEXT COLLATE "C",
  reason             TEXT   NOT NULL,
  size_bytes         BIGINT NOT NULL,
  attempts           INTEGER NOT NULL,
  last_error         TEXT,
  created_at         BIGINT NOT NULL,
  moved_at           BIGINT NOT NULL
);
CREATE INDEX cleanup_dlq_backend ON cleanup_dlq (backend_name);

-- The transactional outbox. `seq` values come from event_log_seq, reserved before the insert
-- (a commit's sequencer must be known before its events are built); a sequence never hands
-- out a value twice, even after every row was pruned. Commit order is not seq order on
-- Postgres, which is why only the relay (FOR UPDATE SKIP LOCKED) reads unpublished rows.
-- `data` is JSON, not JSONB: the envelope is published exactly as it was appended.
CREATE TABLE event_log (
  seq           BIGINT NOT NULL PRIMARY KEY,
  id            TEXT COLLATE "C" NOT NULL UNIQUE,
  type          TEXT   NOT NULL,
  resource      TEXT   NOT NULL,
  source        TEXT   NOT NULL,
  traceparent   TEXT,
  data          JSON   NOT NULL,
  created_at    BIGINT NOT NULL,
  published_at  BIGINT
);
CREATE SEQUENCE event_log_seq AS BIGINT MINVALUE 1 OWNED BY event_log.seq;
CREATE INDEX event_log_unpublished ON event_log (seq) WHERE published_at IS NULL;
CREATE INDEX event_log_created ON event_log (created_at);

-- Position of each in-process consumer in event_log.
CREATE TABLE consumer_offsets (
  consumer    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  last_seq    BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- Events a consumer has applied, written in the transaction of the effect.
CREATE TABLE processed_events (
  consumer  TEXT COLLATE "C" NOT NULL,
  event_id  TEXT COLLATE "C" NOT NULL,
  at        BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_events_at ON processed_events (at);

-- Events a consumer gave up on.
CREATE TABLE dead_events (
  consumer    TEXT COLLATE "C" NOT NULL,
  event_id    TEXT COLLATE "C" NOT NULL,
  attempts    INTEGER NOT NULL,
  last_error  TEXT    NOT NULL,
  at          BIGINT  NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

-- One row per delivery of an event to one notification endpoint. `payload` is JSON so the
-- bytes that are signed and sent are the bytes that were stored.
CREATE TABLE notification_outbox (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  event_id    TEXT COLLATE "C" NOT NULL,
  endpoint    TEXT COLLATE "C" NOT NULL,
  object_key  TEXT COLLATE "C",
  payload     JSON    NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_retry  BIGINT  NOT NULL,
  last_error  TEXT,
  created_at  BIGINT  NOT NULL,
  UNIQUE (event_id, endpoint)
);
CREATE INDEX notification_outbox_due ON notification_outbox (state, next_retry);

-- One row per drain of a backend.
CREATE TABLE backend_drains (
  id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  backend_name    TEXT COLLATE "C" NOT NULL,
  state           TEXT   NOT NULL CHECK (state IN ('draining', 'drained', 'failed', 'cancelled')),
  objects_total   BIGINT NOT NULL DEFAULT 0,
  objects_moved   BIGINT NOT NULL DEFAULT 0,
  bytes_moved     BIGINT NOT NULL DEFAULT 0,
  last_error      TEXT,
  started_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  finished_at     BIGINT
);
CREATE INDEX backend_drains_backend ON backend_drains (backend_name, state);
-- At most one drain in progress per backend.
CREATE UNIQUE INDEX backend_drains_active ON backend_drains (backend_name) WHERE state = 'draining';
