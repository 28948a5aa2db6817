-- Files live in Postgres as chunks; see src/blob.rs for why.

CREATE TABLE blobs (
    id          UUID        PRIMARY KEY,
    -- Durable length: the bytes [0, size) are committed. Chunks at or past `size` are
    -- leftovers of an interrupted write and are never read.
    size        BIGINT      NOT NULL DEFAULT 0,
    -- Serialized SHA-256 state over [0, size), so a hash survives resumable uploads
    -- that continue on another process.
    hash_state  BYTEA,
    sha256      BYTEA,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    blob_id  UUID    NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    "offset" BIGINT  NOT NULL,
    len      INTEGER NOT NULL,
    data     BYTEA   NOT NULL,
    PRIMARY KEY (blob_id, "offset")
);
-- Uploaded files are mostly compressed already: store chunks out of line, without
-- pglz, so writes cost no CPU and substring() reads only the pages it needs.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE transfers (
    id              UUID        PRIMARY KEY,
    token           TEXT        NOT NULL UNIQUE,
    deletion_token  TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    max_downloads   INTEGER,
    downloads       INTEGER     NOT NULL DEFAULT 0,
    CHECK (max_downloads IS NULL OR max_downloads > 0)
);
CREATE INDEX transfers_expires_at ON transfers (expires_at);

CREATE TABLE files (
    id            UUID        PRIMARY KEY,
    transfer_id   UUID        NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    content_type  TEXT        NOT NULL,
    blob_id       UUID        NOT NULL REFERENCES blobs (id),
    size          BIGINT      NOT NULL,
    sha256        BYTEA       NOT NULL,
    position      INTEGER     NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (transfer_id, name)
);
CREATE INDEX files_blob_id ON files (blob_id);

-- tus resumable uploads in progress (and, once complete, the transfer they became).
CREATE TABLE uploads (
    id             TEXT        PRIMARY KEY,
    blob_id        UUID        NOT NULL REFERENCES blobs (id),
    length         BIGINT      NOT NULL,
    metadata       TEXT,
    filename       TEXT        NOT NULL,
    content_type   TEXT        NOT NULL,
    max_downloads  INTEGER,
    max_days       INTEGER     NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    transfer_id    UUID        REFERENCES transfers (id) ON DELETE SET NULL,
    completed_at   TIMESTAMPTZ
);
CREATE INDEX uploads_expires_at ON uploads (expires_at) WHERE completed_at IS NULL;
