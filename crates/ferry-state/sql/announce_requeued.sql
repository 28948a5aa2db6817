-- Applied by `ferry migrate` after apalis' own migrations (it needs `apalis.jobs`).
-- apalis' insert trigger announces new jobs on `apalis::job::insert`; this announces,
-- on the same channel, a job that becomes runnable again by an UPDATE: handed back at
-- shutdown, re-queued from a dead worker (by Ferry's sweep or apalis' own), retried
-- by an admin. Idle workers then take it at once instead of at their next heartbeat.
-- The payload names only the queue, so Postgres folds a mass re-queue into one
-- notification per queue and transaction.
CREATE OR REPLACE FUNCTION public.ferry_announce_requeued() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('apalis::job::insert', json_build_object('job_type', NEW.job_type)::text);
    RETURN NULL;
END;
$$;

DO $$
BEGIN
    -- Two migrates at once must not both create the trigger.
    PERFORM pg_advisory_xact_lock(hashtext('ferry_announce_requeued'));
    IF NOT EXISTS (
        SELECT 1 FROM pg_trigger
        WHERE tgname = 'ferry_announce_requeued' AND tgrelid = 'apalis.jobs'::regclass
    ) THEN
        CREATE TRIGGER ferry_announce_requeued
        AFTER UPDATE OF status ON apalis.jobs
        FOR EACH ROW
        WHEN (NEW.status = 'Pending' AND OLD.status IS DISTINCT FROM 'Pending'
              AND NEW.run_at <= now())
        EXECUTE FUNCTION public.ferry_announce_requeued();
    END IF;
END;
$$;
