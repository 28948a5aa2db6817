-- File requests (issue 27, section 1): a link through which others upload to a
-- signed-in user.
--
-- The limits hold across web processes by one conditional UPDATE: an upload into a
-- request is admitted only if `files_used + 1 <= max_files` and `bytes_used + its
-- declared length <= max_bytes` in the statement that counts it (and only while the
-- request is open), in the transaction that creates its upload row. An upload that
-- never completes gives its file and bytes back when its row is removed (terminated,
-- or swept once idle); one that became a transfer keeps them.
CREATE TABLE file_requests (
    id              UUID        PRIMARY KEY,
    -- In the link (`/r/{token}`): 128 random bits.
    token           TEXT        NOT NULL UNIQUE,
    owner_id        UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           TEXT        NOT NULL,
    message         TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- No upload starts past it; the request is deleted a while after (the purge).
    expires_at      TIMESTAMPTZ NOT NULL,
    -- Set when the owner closes it: no upload starts or continues.
    closed_at       TIMESTAMPTZ,
    max_files       INTEGER     NOT NULL CHECK (max_files > 0),
    max_bytes       BIGINT      NOT NULL CHECK (max_bytes > 0),
    files_used      INTEGER     NOT NULL DEFAULT 0 CHECK (files_used >= 0 AND files_used <= max_files),
    bytes_used      BIGINT      NOT NULL DEFAULT 0 CHECK (bytes_used >= 0 AND bytes_used <= max_bytes),
    -- argon2id hash of the password uploaders must give first, if any.
    password_hash   TEXT,
    -- The owner's language when they made it: their upload notices are written in it.
    locale          TEXT        NOT NULL DEFAULT 'en',
    -- The rules of the transfers the uploads become (the owner's own).
    transfer_days          INTEGER NOT NULL CHECK (transfer_days > 0),
    transfer_max_downloads INTEGER CHECK (transfer_max_downloads > 0)
);
CREATE INDEX file_requests_owner ON file_requests (owner_id, created_at DESC);
CREATE INDEX file_requests_expiry ON file_requests (expires_at);

-- An upload into a request: the bytes it reserved (its declared length).
ALTER TABLE uploads
    ADD COLUMN file_request_id UUID REFERENCES file_requests (id) ON DELETE SET NULL,
    ADD COLUMN request_bytes   BIGINT;
CREATE INDEX uploads_file_request ON uploads (file_request_id) WHERE file_request_id IS NOT NULL;

-- A transfer that arrived through a request (shown so on the owner's page).
ALTER TABLE transfers
    ADD COLUMN file_request_id UUID REFERENCES file_requests (id) ON DELETE SET NULL;
