-- The additional checksums (x-amz-checksum-*, docs/architecture.md §6): an object's checksum
-- (JSON {algorithm, type, value}), an open upload's chosen algorithm and type (the same JSON,
-- no value; an identity column, so both tables carry it) and each part's base64 checksum in
-- its upload's algorithm. NULL = none.
ALTER TABLE objects ADD COLUMN checksum TEXT;
ALTER TABLE multipart_uploads ADD COLUMN checksum TEXT;
ALTER TABLE multipart_parts ADD COLUMN checksum TEXT;
