-- A resume fetches only what the counted download has not delivered (issue 26,
-- item 2). Each grant now records:
-- - `delivered`: the high-water mark — the end of the bytes any download under this
--   grant has been cleared to send. A stream claims its next bytes here before it
--   sends them, so the mark is never behind what went out;
-- - `generation`: bumped by the counted download and by every resume; a stream only
--   claims while its generation is the grant's, so a newer resume stops an older
--   stream and two streams never send the rest of the file twice;
-- - `resumes`: resumes used (at most `DOWNLOAD_RESUMES`);
-- - `overlap`: bytes re-sent so far by resumes that started before the mark (what the
--   network lost in flight), at most a small allowance per grant.
-- Together: one counted download serves at most one copy of the file plus the
-- allowance, however many resumes, addresses or cookies take part.
ALTER TABLE download_grants
    ADD COLUMN delivered  BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN generation INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN resumes    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN overlap    BIGINT  NOT NULL DEFAULT 0;
