-- tus `creation-defer-length`: a stream of unknown size starts without a length and
-- learns it on a later PATCH. Until then its writes are bounded by MAX_UPLOAD_SIZE.
ALTER TABLE uploads ALTER COLUMN length DROP NOT NULL;

-- tus `concatenation`: 'partial' for a piece of a parallel upload (it never becomes a
-- transfer on its own), or the `Upload-Concat` value of a final upload
-- ('final;/files/a /files/b'), echoed back on HEAD.
ALTER TABLE uploads ADD COLUMN concat TEXT
    CHECK (concat IS NULL OR concat = 'partial' OR concat LIKE 'final;%');
