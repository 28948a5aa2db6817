-- Accounts, password-protected and owned transfers, background finishing of files,
-- stored archives, drafts, usage statistics.

CREATE TABLE users (
    id             UUID        PRIMARY KEY,
    email          TEXT        NOT NULL UNIQUE,   -- stored lower-cased
    password_hash  TEXT        NOT NULL,          -- argon2id PHC string
    is_admin       BOOLEAN     NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE transfers
    ADD COLUMN password_hash  TEXT,
    ADD COLUMN owner_id       UUID REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN deleted_at     TIMESTAMPTZ,
    ADD COLUMN bundle_blob_id UUID REFERENCES blobs (id);
CREATE INDEX transfers_owner ON transfers (owner_id, created_at DESC) WHERE owner_id IS NOT NULL;

ALTER TABLE files
    ADD COLUMN ready              BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN verified_at        TIMESTAMPTZ,
    ADD COLUMN thumbnail_blob_id  UUID REFERENCES blobs (id);

-- Uploads made for a draft (the web UI's cart) do not become a transfer on their own.
ALTER TABLE uploads ADD COLUMN draft BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX uploads_expires_all ON uploads (expires_at);

CREATE TABLE usage_hourly (
    hour         TIMESTAMPTZ PRIMARY KEY,
    transfers    INTEGER     NOT NULL,
    files        INTEGER     NOT NULL,
    bytes        BIGINT      NOT NULL,
    computed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
