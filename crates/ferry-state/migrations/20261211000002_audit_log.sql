-- The audit log (issue 28, section 4): every admin action, from the web or the admin
-- CLI — who, what, on what, when. Kept for AUDIT_RETENTION (the retention sweep).
CREATE TABLE audit_log (
    id      BIGSERIAL   PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The admin's e-mail address, or `cli:` and the operating-system user.
    actor   TEXT        NOT NULL,
    -- What was done: `users.make_admin`, `transfers.take_down`, `jobs.retry`, …
    action  TEXT        NOT NULL,
    -- What it was done to: an e-mail address, a transfer token, a job id.
    target  TEXT        NOT NULL,
    details JSONB       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
