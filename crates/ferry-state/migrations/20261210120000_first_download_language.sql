-- The language of the owner's first-download notice (issue 27 §5): the notice is
-- queued by a download — a request in the downloader's language, not the owner's —
-- so the sender's language is kept when they ask for it (`en`, `de`, `fr`, `es`,
-- `ar`; NULL for English, as before languages existed).
ALTER TABLE transfers ADD COLUMN notify_locale TEXT;
