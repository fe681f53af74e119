-- Object tags (docs/architecture.md §4): one set per key, a JSON object of key → value, part of
-- the identity a write stores — replaced by an overwrite, removed with the object. An open
-- multipart upload keeps the set its Create named until Complete.
ALTER TABLE objects ADD COLUMN tags JSONB NOT NULL DEFAULT '{}';
ALTER TABLE multipart_uploads ADD COLUMN tags JSONB NOT NULL DEFAULT '{}';
