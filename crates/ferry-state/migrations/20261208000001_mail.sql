-- E-mail (issue 27, section 2).
--
-- `mail_outbox`: one row per message the worker is to send. The job that sends it
-- carries only the row's id; the worker skips a row whose `sent_at` is set and sets
-- it as soon as the SMTP server accepted the message, so a retried or duplicated job
-- does not send twice (the window left: the server accepted, the worker died before
-- the UPDATE — docs/operations.md). `kind` and `params` say what to compose; nothing
-- secret is stored here: a reset or verification link's token is minted by the
-- worker when it sends, and only its hash is kept.
CREATE TABLE mail_outbox (
    id          UUID        PRIMARY KEY,
    kind        TEXT        NOT NULL,
    recipient   TEXT        NOT NULL,
    params      JSONB       NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the SMTP server accepted it.
    sent_at     TIMESTAMPTZ,
    -- When the worker decided not to send it (a reset for an address with no account).
    skipped_at  TIMESTAMPTZ
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- A password reset: at most one live token per account (a newer one replaces it),
-- stored as a SHA-256 of 256 random bits, deleted when used.
CREATE TABLE password_resets (
    user_id     UUID        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BYTEA       NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- The same for confirming an account's address.
CREATE TABLE address_verifications (
    user_id     UUID        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BYTEA       NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- `email_verified_at`: when the owner proved the address is theirs (NULL: not yet).
-- `session_epoch`: a sign-in remembers the epoch it began in; a password reset bumps
-- it, so every session of the account, on every web process, ends at its next request.
ALTER TABLE users
    ADD COLUMN email_verified_at TIMESTAMPTZ,
    ADD COLUMN session_epoch     INTEGER NOT NULL DEFAULT 0;

-- The owner asked to be told of the first counted download; `first_download_noticed`
-- is set once, by the download that enqueues the notice.
ALTER TABLE transfers
    ADD COLUMN notify_first_download  BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN first_download_noticed BOOLEAN NOT NULL DEFAULT false;
