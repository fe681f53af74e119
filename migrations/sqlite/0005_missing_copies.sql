-- Lost objects (reconcile, GET /admin/api/lost-objects, s3o_objects_lost): copies marked
-- missing are few, so a partial index on them finds the objects that may have no ok copy
-- left without scanning every object.
CREATE INDEX object_locations_missing_key ON object_locations (object_key) WHERE state = 'missing';
