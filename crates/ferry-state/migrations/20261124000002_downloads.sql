-- Downloads that keep their promise (issue 9, item 12).
--
-- `last_download_at`: when a download of the transfer last started (counted or
-- resumed). The purge job leaves an expired or used-up transfer alone until a grace
-- period has passed since then, so the last allowed download can finish streaming.
ALTER TABLE transfers ADD COLUMN last_download_at TIMESTAMPTZ;

-- One row per counted download of a file of a limited transfer: the client that made
-- it may resume it (a Range request for the same file) until `expires_at` without
-- using another download. The client is recognised by its address, or by `secret`
-- (a random 128-bit value sent once in a cookie with the counted download), for a
-- client whose address changed: a phone between networks, a browser switching
-- between IPv6 and IPv4. Bounded by `max_downloads` per transfer; expired rows are
-- pruned on every counted download and go with the transfer.
CREATE TABLE download_grants (
    transfer_id UUID        NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
    file_name   TEXT        NOT NULL,
    client      TEXT        NOT NULL,
    secret      TEXT        NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (transfer_id, file_name, client)
);
