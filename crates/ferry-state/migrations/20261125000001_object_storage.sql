-- Object storage: a blob's bytes live either in Postgres (`blob_chunks`) or in an
-- S3-compatible bucket. Metadata — the committed size, the resumable hash state, the
-- seal — stays in `blobs` for both, so every rule that reads it (uploads, orphans,
-- retention) is written once. How the S3 adapter lays a blob out: `s3.rs`.

ALTER TABLE blobs
    -- Where the bytes are. A blob moves between stores only when sealed
    -- (`ferry admin blobs migrate`).
    ADD COLUMN store TEXT NOT NULL DEFAULT 'postgres' CHECK (store IN ('postgres', 's3')),
    -- S3: every object of this copy of the blob has a key under this prefix.
    ADD COLUMN s3_prefix TEXT,
    -- S3: the multipart upload the committed parts belong to, while being written.
    ADD COLUMN s3_upload_id TEXT,
    -- S3: bytes [0, s3_parts_size) are in committed parts (`blob_parts`), and bytes
    -- [s3_parts_size, size) in the tail object `s3_tail`.
    ADD COLUMN s3_parts_size BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN s3_tail TEXT,
    -- S3: the object holding the whole sealed blob.
    ADD COLUMN s3_object TEXT,
    -- Tombstones (size = -1): their bytes may be deleted from this time on. A blob
    -- moved to another store leaves its old copy as a tombstone with a grace period,
    -- so downloads already reading it finish.
    ADD COLUMN condemned_after TIMESTAMPTZ;

-- Committed parts of a blob's S3 multipart upload, in part-number order.
CREATE TABLE blob_parts (
    blob_id     UUID    NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size        BIGINT  NOT NULL,
    etag        TEXT    NOT NULL,
    PRIMARY KEY (blob_id, part_number)
);

-- Tombstones are found by their state, not scanned for.
CREATE INDEX blobs_tombstones ON blobs (condemned_after) WHERE size < 0;
