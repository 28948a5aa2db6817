-- Download limits count per file, as transfer.sh does: `Max-Downloads: 1` on a
-- multipart upload of three files lets each file be downloaded once (before, the
-- first file's download used up the whole transfer). An archive of the transfer
-- (`.zip`, `.tar.gz`) is one download of every file in it, and only while each has
-- one left. `transfers.downloads` stays the total count (every counted GET).

ALTER TABLE files ADD COLUMN downloads INTEGER NOT NULL DEFAULT 0;

-- Transfers counted the old way keep what they had left: each file is charged the
-- transfer's downloads, so a used-up transfer stays used up.
UPDATE files f SET downloads = t.downloads
FROM transfers t WHERE t.id = f.transfer_id AND t.downloads > 0;

-- All its downloads are used: no file has one left. With its subquery the planner no
-- longer inlines this function (the notes in 20261124100000_repository_rules.sql say
-- the rules are inlined; this one is evaluated per row, an index probe of
-- files (transfer_id, name) each time).
CREATE OR REPLACE FUNCTION transfer_is_used_up(t transfers) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.max_downloads IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM files f
                       WHERE f.transfer_id = t.id AND f.downloads < t.max_downloads)
$$;
