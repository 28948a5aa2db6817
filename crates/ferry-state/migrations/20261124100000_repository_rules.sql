-- The rules the repositories (crates/ferry-state/src) share, each defined once, here.
--
-- Before, each rule was a string spliced into several statements with format!, so no
-- statement could be checked at compile time. Now every statement is a sqlx macro
-- checked against the schema (offline data in crates/ferry-state/.sqlx), and names
-- the rule it applies.
--
-- How each is planned:
-- - transfer_is_open / transfer_is_used_up / transfer_is_live are `LANGUAGE sql
--   STABLE`, one expression without a subquery, not STRICT: Postgres inlines them
--   into the calling statement, so `WHERE token = $1 AND transfer_is_live(transfers)`
--   is planned exactly like the expression written out (an index scan on
--   transfers_token_key with the rule as its filter; EXPLAIN in the commit message).
-- - resume_granted and transfer_is_purgeable contain a subquery, which Postgres never
--   inlines: they run as a function call per row tested. Each is applied to one row
--   at a time (or, for the purge list, costs about 2 µs per transfer scanned), and
--   being evaluated on the row itself is what the purge needs: an UPDATE that waited
--   for a concurrent resume re-checks the rule against the row the resume wrote.
-- - unreferenced_blobs is a view, expanded into the calling statement before
--   planning, so its NOT EXISTS become anti-joins or index probes as if written out.
--
-- Changing a rule: a new migration with CREATE OR REPLACE, then `cargo sqlx prepare`
-- (docs/development.md).

-- Neither deleted nor expired: may still be downloaded, or resumed, even used up.
CREATE FUNCTION transfer_is_open(t transfers) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.deleted_at IS NULL AND t.expires_at > now()
$$;

-- All its downloads are used.
CREATE FUNCTION transfer_is_used_up(t transfers) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.max_downloads IS NOT NULL AND t.downloads >= t.max_downloads
$$;

-- Served to anyone with its token: open and not used up.
CREATE FUNCTION transfer_is_live(t transfers) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT transfer_is_open(t) AND NOT transfer_is_used_up(t)
$$;

-- A live grant lets `client` (by address, or by the resume secret it was given)
-- resume its download of `file_name` of `transfer_id` without using another download:
-- one definition for admitting a resume and for answering HEAD.
CREATE FUNCTION resume_granted(transfer_id uuid, file_name text, client text, secret text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM download_grants g
        WHERE g.transfer_id = resume_granted.transfer_id
          AND g.file_name = resume_granted.file_name
          AND (g.client = resume_granted.client OR g.secret = resume_granted.secret)
          AND g.expires_at > now())
$$;

-- The transfer's bytes may go: a deleted one at once; an expired or used-up one once
-- `grace_secs` have passed since a download last started and — unless expired — no
-- client may still resume one (a resume promised is kept).
CREATE FUNCTION transfer_is_purgeable(t transfers, grace_secs float8) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.deleted_at IS NOT NULL
        OR ((t.expires_at <= now() OR transfer_is_used_up(t))
            AND (t.last_download_at IS NULL
                 OR t.last_download_at <= now() - grace_secs * interval '1 second')
            AND (t.expires_at <= now() OR NOT EXISTS (
                SELECT 1 FROM download_grants g
                WHERE g.transfer_id = t.id AND g.expires_at > now())))
$$;

-- Blobs no row points at. Every column that references `blobs` must be listed here,
-- or the orphan sweep frees blobs that column still needs (the adversarial test
-- `every_column_that_references_a_blob_is_known_to_the_orphan_sweep` compares the
-- schema's foreign keys with this list). A view, not a function: the rewriter expands
-- it into the calling statement, where the planner turns each NOT EXISTS into an
-- anti-join or an index probe of the column's index, as if written out.
CREATE VIEW unreferenced_blobs AS
    SELECT b.* FROM blobs b
    WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM files f WHERE f.thumbnail_blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.bundle_blob_id = b.id)
      AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.blob_id = b.id);
