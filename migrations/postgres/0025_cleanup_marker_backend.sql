-- The backend holding the delete marker of a deleted object's copy (docs/architecture.md §4
-- "Deletes do not come back"): cleanup deletes that marker after the copy's bytes. NULL for
-- debts of any other kind — and for debts recorded before this column, whose reason says it
-- (`deleted`: beside the bytes; `deleted (marker on B)`: on B). Kept when a debt is
-- dead-lettered, so a requeued one still removes its marker.
ALTER TABLE cleanup_queue ADD COLUMN marker_backend TEXT;
ALTER TABLE cleanup_dlq ADD COLUMN marker_backend TEXT;
