-- Integrity of multipart objects (docs/architecture.md, "Integrity"): the SHA-256 of each
-- unencrypted part's plaintext, recorded at UploadPart / UploadPartCopy (multipart_parts.sha256,
-- hex; NULL when integrity is off, the part is encrypted, or it was uploaded before this), and
-- on the completed object the hashes of the parts its Complete named, part 1 first
-- (objects.part_hashes, a JSON array; its content_hash is then the composite: the SHA-256 of
-- the parts' binary digests, `-N`). An identity column, so multipart_uploads carries it too
-- (always NULL there). NULL on an object = no part hashes (written whole, or before this).
ALTER TABLE objects ADD COLUMN part_hashes JSONB;
ALTER TABLE multipart_uploads ADD COLUMN part_hashes JSONB;
ALTER TABLE multipart_parts ADD COLUMN sha256 TEXT;
-- What an operator asked a pass run now with (POST /admin/api/jobs/{job}/run?key=…&backend=…,
-- docs/architecture.md §9): a JSON object of strings handed to that one pass — the scrubber's
-- key and backend. NULL = nothing.
ALTER TABLE job_runs ADD COLUMN params JSONB;
