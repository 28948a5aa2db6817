-- Personal API tokens (issue 28, section 3) and uploads that belong to an account.
--
-- A token is 256 random bits shown once to its owner; only its SHA-256 is stored (a
-- slow hash buys nothing against a secret that cannot be guessed, and every API
-- request looks the token up). A revoked token's row is deleted, so the next request
-- on any web process finds nothing: there is no cache to wait out.
CREATE TABLE api_tokens (
    id            UUID        PRIMARY KEY,
    user_id       UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    -- SHA-256 of the whole token.
    secret_hash   BYTEA       NOT NULL UNIQUE,
    -- The token's first characters, shown in the list so an owner can tell them apart.
    prefix        TEXT        NOT NULL,
    -- What it may do: `upload`, `read` (own transfers), `requests` (own file requests).
    scopes        TEXT[]      NOT NULL CHECK (cardinality(scopes) > 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Refreshed at most once a minute (a write per API request would be a write too many).
    last_used_at  TIMESTAMPTZ,
    expires_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);

-- The account a resumable upload belongs to (an API token's or a session's owner): the
-- transfer it becomes is theirs, with their lifetimes. Anonymous uploads have none.
ALTER TABLE uploads
    ADD COLUMN owner_id UUID REFERENCES users (id) ON DELETE CASCADE;
