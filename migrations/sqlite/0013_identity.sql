-- Users, credentials, grants and stored buckets (docs/architecture.md §4 "Identity"). Config
-- credentials are not stored here: they are synthetic users the registry adds from the config
-- file. Every change of these tables appends `identity.changed` in its own transaction, and
-- each process rebuilds its in-memory registry from them.
CREATE TABLE users (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
) STRICT;

-- A secret is stored sealed (the SecretSealer of @s3o/identity): `plain:` + the secret while no
-- encryption master key exists, so until then the database's own access control is what
-- protects it. A revoked credential keeps its row (who had which key, and when).
CREATE TABLE credentials (
  access_key_id TEXT    NOT NULL PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id),
  secret_sealed TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
) STRICT;
CREATE INDEX credentials_user ON credentials (user_id);

-- One grant per (user, resource): `permissions` is the comma-separated, sorted list of names.
-- resource_name `*` is every resource of the kind; a named grant overrides it.
CREATE TABLE grants (
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  resource_kind TEXT    NOT NULL CHECK (resource_kind IN ('bucket', 'backend', 'orchestrator')),
  resource_name TEXT    NOT NULL,
  permissions   TEXT    NOT NULL,
  PRIMARY KEY (user_id, resource_kind, resource_name)
) STRICT;
CREATE INDEX grants_resource ON grants (resource_kind, resource_name);

-- Buckets made at run time (admin API, S3 CreateBucket); config buckets are not stored.
CREATE TABLE buckets (
  name       TEXT    NOT NULL PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT;
