-- The part sizes of an object completed from a multipart upload (a JSON array, part 1
-- first; NULL for an object written whole), so GetObject/HeadObject ?partNumber=N answer
-- a part's byte range from the ledger (docs/architecture.md §6, "GET and HEAD"). An identity
-- column, so multipart_uploads carries it too (always NULL there).
ALTER TABLE objects ADD COLUMN part_sizes TEXT;
ALTER TABLE multipart_uploads ADD COLUMN part_sizes TEXT;
