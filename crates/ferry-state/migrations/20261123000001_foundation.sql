-- Ferry foundation schema. apalis keeps its own tables in the `apalis` schema
-- (applied by `ferry migrate` right after these migrations).

-- One row per (schedule, slot time) a clock enqueued. The primary key is the
-- bookkeeping twin of the unique idempotency key on the job itself: together they
-- make "each slot enqueued exactly once however many clocks run" a database fact.
CREATE TABLE cron_slots (
    schedule    TEXT        NOT NULL,
    slot_at     TIMESTAMPTZ NOT NULL,
    job_id      TEXT,
    enqueued_by TEXT        NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, slot_at)
);

-- Side effects of the demonstration jobs: one row per logical job, with the number
-- of times a handler completed it. At-least-once delivery means `runs` can exceed 1;
-- a handler that is idempotent makes that harmless.
CREATE TABLE job_effects (
    job_key      TEXT        PRIMARY KEY,
    queue        TEXT        NOT NULL,
    runs         INTEGER     NOT NULL DEFAULT 1,
    last_worker  TEXT        NOT NULL,
    first_done   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_done    TIMESTAMPTZ NOT NULL DEFAULT now()
);
