-- Encrypted multipart uploads (docs/architecture.md, "Encryption at rest"): each part is its
-- own chunk sequence, so the backend holds more than the client sent. size_bytes stays what
-- the part holds on the backend (claimed and charged); plaintext_size is what the client sent
-- (ListParts, the minimum part size, the object's size and its part layout); NULL = size_bytes.
ALTER TABLE multipart_parts ADD COLUMN plaintext_size BIGINT;
