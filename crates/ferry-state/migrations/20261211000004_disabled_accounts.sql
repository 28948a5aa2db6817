-- An admin may disable an account (issue 28, section 4): it cannot sign in, its
-- sessions end (the epoch moves on) and its API tokens stop working; its transfers
-- and file requests stay as they are until an admin deletes the account.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
