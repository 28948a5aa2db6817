-- Retention: what the sweep needs to find old rows and orphaned blobs cheaply
-- (see src/retention.rs and the orphan sweep in src/blob.rs).

-- When a blob's committed bytes last moved (created, a chunk committed, sealed). An
-- unreferenced blob is only an orphan once this is older than ORPHAN_BLOB_AGE, so an
-- upload that is still making progress is never taken for one, however long it runs.
-- Existing blobs get the migration time: their age starts now.
ALTER TABLE blobs ADD COLUMN touched_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- Every column that references a blob gets an index: the orphan sweep asks "does any
-- row point at this blob?" for each of them, and so does Postgres' foreign-key check
-- whenever a blob row is deleted (purge, abort, the sweep).
CREATE INDEX files_thumbnail_blob_id ON files (thumbnail_blob_id) WHERE thumbnail_blob_id IS NOT NULL;
CREATE INDEX transfers_bundle_blob_id ON transfers (bundle_blob_id) WHERE bundle_blob_id IS NOT NULL;
CREATE INDEX uploads_blob_id ON uploads (blob_id);

-- The sweep trims job effects by age.
CREATE INDEX job_effects_last_done ON job_effects (last_done);
