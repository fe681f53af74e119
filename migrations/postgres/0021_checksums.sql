-- The additional checksums (x-amz-checksum-*, docs/architecture.md §6): an object's checksum
-- ({algorithm, type, value}), an open upload's chosen algorithm and type (the same, no value;
-- an identity column, so both tables carry it) and each part's base64 checksum in its
-- upload's algorithm. NULL = none.
ALTER TABLE objects ADD COLUMN checksum JSONB;
ALTER TABLE multipart_uploads ADD COLUMN checksum JSONB;
ALTER TABLE multipart_parts ADD COLUMN checksum TEXT;
