-- Applied by `ferry migrate` after apalis' own migrations (it replaces apalis' function).
-- apalis' insert trigger (`notify_workers`, one call per inserted row) names each job in
-- its notification (id, run_at), so no two payloads are equal and Postgres cannot fold
-- them: one INSERT of 20,000 jobs queued 20,000 notifications, which every listening
-- worker process then read, parsed and woke on while it ran those jobs. Ferry's
-- listener reads only the queue's name (`queue.rs`), so the payload names only that,
-- and Postgres folds one transaction's notifications into one per queue. apalis' own
-- listener, which read the id, is not used by Ferry.
SELECT pg_advisory_xact_lock(hashtext('ferry_announce_inserted'));

CREATE OR REPLACE FUNCTION apalis.notify_new_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.run_at <= now() THEN
        PERFORM pg_notify('apalis::job::insert', json_build_object('job_type', NEW.job_type)::text);
    END IF;
    RETURN NEW;
END;
$$;
