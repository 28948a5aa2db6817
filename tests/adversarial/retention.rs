//! Item 7: nothing Ferry writes for its own bookkeeping grows without bound, and blobs
//! orphaned by a killed upload are freed — without breaking exactly-once ticks or
//! touching a byte that a live transfer, a resumable upload or a running upload needs.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::harness::{
    Kind, Process, TestApp, count, count_eventually, counts_eventually, eventually,
};
use crate::harness::{curl, tus};

/// Every retention age at 3 s: a minute of test shows what a year does.
const SHORT_RETENTION: [(&str, &str); 5] = [
    ("RETAIN_DONE_JOBS", "3s"),
    ("RETAIN_DEAD_JOBS", "3s"),
    ("RETAIN_WORKERS", "3s"),
    ("RETAIN_CRON_SLOTS", "3s"),
    ("RETAIN_JOB_EFFECTS", "3s"),
];

/// Blobs no row points at (the orphan sweep's own definition, restated).
const ORPHANS: &str = "SELECT count(*) FROM blobs b
     WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id OR f.thumbnail_blob_id = b.id)
       AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.bundle_blob_id = b.id)
       AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.blob_id = b.id)";

/// `(schedule, slot)` of every "slot enqueued" line in a clock's log.
fn enqueued_slots(clock: &Process) -> Vec<(String, String)> {
    clock
        .log()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["message"] == "slot enqueued")
        .map(|line| {
            (
                line["schedule"].as_str().unwrap_or_default().to_owned(),
                line["slot"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    jobs: i64,
    workers: i64,
    cron_slots: i64,
    job_effects: i64,
}

async fn counts(app: &TestApp) -> Counts {
    Counts {
        jobs: count(app, "SELECT count(*) FROM apalis.jobs").await,
        workers: count(app, "SELECT count(*) FROM apalis.workers").await,
        cron_slots: count(app, "SELECT count(*) FROM cron_slots").await,
        job_effects: count(app, "SELECT count(*) FROM job_effects").await,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn row_counts_stay_flat_while_two_clocks_tick_every_second_and_workers_keep_restarting() {
    let mut app = TestApp::new("adv_retention_flat").await;
    // Three busy schedules plus the sweep, all every second, from two racing clocks.
    let schedules = [(
        "CLOCK_SCHEDULES",
        "purge-expired=* * * * * *;abort-idle-uploads=* * * * * *;stats-rollup=* * * * * *;retention-sweep=* * * * * *",
    )];
    let clocks = [
        app.start(Kind::Clock, &schedules).await,
        app.start(Kind::Clock, &schedules).await,
    ];
    let mut worker = app.start(Kind::Worker, &SHORT_RETENTION).await;
    let started = Instant::now();
    let mut samples: Vec<(Duration, Counts)> = Vec::new();
    let mut generations = 1;
    // 60 s, a new worker process every 6 s (killed or stopped in turn): 10 worker
    // starts, 5 `apalis.workers` rows each, ~240 ticks — each a job, a slot row and an
    // effect row.
    while started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push((started.elapsed(), counts(&app).await));
        if started.elapsed() >= Duration::from_secs(6 * generations) {
            if generations % 2 == 0 {
                worker.kill();
            } else {
                worker.terminate();
                worker.wait_exit(Duration::from_secs(15)).await;
            }
            worker = app.start(Kind::Worker, &SHORT_RETENTION).await;
            generations += 1;
        }
    }

    let mut all: Vec<(String, String)> = Vec::new();
    for clock in &clocks {
        all.extend(enqueued_slots(clock));
    }
    let unique: HashSet<&(String, String)> = all.iter().collect();
    assert_eq!(
        unique.len(),
        all.len(),
        "a slot was enqueued twice while its rows were being trimmed"
    );
    let ticks = all.len() as i64;
    let worker_starts = generations as i64;
    let settled: Vec<&Counts> = samples
        .iter()
        .filter(|(at, _)| *at > Duration::from_secs(15))
        .map(|(_, c)| c)
        .collect();
    let peak = |f: fn(&Counts) -> i64| settled.iter().map(|c| f(c)).max().unwrap_or(0);
    let (jobs, workers, slots, effects) = (
        peak(|c| c.jobs),
        peak(|c| c.workers),
        peak(|c| c.cron_slots),
        peak(|c| c.job_effects),
    );
    println!(
        "{ticks} ticks and {worker_starts} worker starts in {:?}; peak rows after 15 s: \
         jobs {jobs}, workers {workers}, cron_slots {slots}, job_effects {effects}; last: {:?}",
        started.elapsed(),
        samples.last().map(|(_, c)| c)
    );
    // Without the sweep every table would hold a row per tick (or 5 per worker start)
    // ever made. With it, each holds about 4 s of rows: 4 ticks a second × 3 s retention
    // + the sweep's own 1 s period + the wait for a restarting worker.
    assert!(ticks >= 150, "the clocks ticked ({ticks})");
    for (table, peak, limit) in [
        ("apalis.jobs", jobs, 60),
        ("cron_slots", slots, 40),
        ("job_effects", effects, 40),
    ] {
        assert!(
            peak <= limit,
            "{table} grew to {peak} rows over {ticks} ticks"
        );
    }
    assert!(
        workers <= 20,
        "apalis.workers grew to {workers} rows over {worker_starts} worker starts"
    );
}

/// A year of two default schedules' bookkeeping, written as a clock and workers would
/// have, plus a third schedule run daily (`abort-idle-uploads` at 03:00) whose newest
/// job's slot row was never written (its clock died between the two inserts) and a year
/// of dead jobs held by a year of workers.
const A_YEAR: &str = r#"
WITH schedules(name, step) AS (VALUES ('purge-expired', interval '1 minute'),
                                      ('stats-rollup', interval '1 hour')),
slots AS (
    SELECT s.name, g AS slot_at, to_char(g AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS stamp
    FROM schedules s,
         generate_series(date_trunc('hour', now()) - interval '365 days',
                         date_trunc('minute', now()) - interval '1 minute', s.step) AS g),
c AS (INSERT INTO cron_slots (schedule, slot_at, job_id, enqueued_by, enqueued_at)
      SELECT name, slot_at, 'SYN-' || name || stamp, 'clock-synthetic', slot_at FROM slots),
j AS (INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at,
                               done_at, idempotency_key, last_result)
      SELECT convert_to(json_build_object('schedule', name, 'slot', slot_at)::text, 'UTF8'),
             'SYN-' || name || stamp, 'ferry.cron', 'Done', 1, 5, slot_at,
             slot_at + interval '1 second', 'cron:' || name || ':' || stamp, '{"Ok": null}'::jsonb
      FROM slots)
INSERT INTO job_effects (job_key, queue, runs, last_worker, first_done, last_done)
SELECT name || '@' || stamp, 'ferry.cron', 1, 'worker-synthetic', slot_at, slot_at FROM slots;

INSERT INTO apalis.workers (id, worker_type, storage_name, last_seen)
SELECT 'synthetic-' || d || '/' || q || '#0', q, 'synthetic', now() - d * interval '1 day'
FROM generate_series(1, 365) AS d,
     unnest(ARRAY['ferry.demo', 'ferry.cron', 'ferry.finish', 'ferry.bundle', 'ferry.purge']) AS q;

INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at, done_at,
                         lock_by, idempotency_key, last_result)
SELECT convert_to('{"file_id":"00000000-0000-0000-0000-000000000000"}', 'UTF8'),
       'SYN-dead-' || d, 'ferry.finish', 'Failed', 5, 5, now() - d * interval '1 day',
       now() - d * interval '1 day', 'synthetic-' || d || '/ferry.finish#0', 'dead-' || d,
       '{"Err": "synthetic"}'::jsonb
FROM generate_series(1, 365) AS d;

WITH days AS (SELECT date_trunc('day', now() - interval '3 hours') + interval '3 hours'
                     - k * interval '1 day' AS slot_at
              FROM generate_series(9, 365) AS k),
stamped AS (SELECT slot_at, to_char(slot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS stamp FROM days),
c AS (INSERT INTO cron_slots (schedule, slot_at, job_id, enqueued_by, enqueued_at)
      SELECT 'abort-idle-uploads', slot_at, 'SYN-digest-' || stamp, 'clock-synthetic', slot_at
      FROM stamped WHERE slot_at < (SELECT max(slot_at) FROM stamped))
INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at, done_at,
                         idempotency_key, last_result)
SELECT convert_to(json_build_object('schedule', 'abort-idle-uploads', 'slot', slot_at)::text, 'UTF8'),
       'SYN-digest-' || stamp, 'ferry.cron', 'Done', 1, 5, slot_at, slot_at + interval '1 second',
       'cron:abort-idle-uploads:' || stamp, '{"Ok": null}'::jsonb
FROM stamped;
"#;

/// Counts rows of `sql` (with `$1` the given time).
async fn count_at(app: &TestApp, sql: &str, at: chrono::DateTime<chrono::Utc>) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(at)
        .fetch_one(&app.pg)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_sweep_trims_a_year_of_bookkeeping_to_the_retained_windows_and_no_slot_runs_twice() {
    let mut app = TestApp::new("adv_retention_year").await;
    let written = Instant::now();
    sqlx::raw_sql(A_YEAR).execute(&app.pg).await.unwrap();
    let before = counts(&app).await;
    println!(
        "a year of rows written in {:?}: {before:?}",
        written.elapsed()
    );
    assert!(before.cron_slots > 530_000 && before.jobs > 530_000 && before.job_effects > 530_000);
    let t0: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    // Everything comfortably inside its window must survive.
    const RECENT_SLOTS: &str = "SELECT count(*) FROM cron_slots
        WHERE schedule <> 'retention-sweep' AND slot_at > $1 - interval '29 days'";
    const RECENT_DONE: &str = "SELECT count(*) FROM apalis.jobs
        WHERE id LIKE 'SYN-%' AND status = 'Done' AND done_at > $1 - interval '6 days'";
    const RECENT_DEAD: &str = "SELECT count(*) FROM apalis.jobs
        WHERE status = 'Failed' AND done_at > $1 - interval '29 days'";
    const RECENT_EFFECTS: &str = "SELECT count(*) FROM job_effects
        WHERE last_worker = 'worker-synthetic' AND last_done > $1 - interval '6 days'";
    let recent = [
        count_at(&app, RECENT_SLOTS, t0).await,
        count_at(&app, RECENT_DONE, t0).await,
        count_at(&app, RECENT_DEAD, t0).await,
        count_at(&app, RECENT_EFFECTS, t0).await,
    ];
    // The daily tick whose slot row was never written: done 9 days ago, older than
    // RETAIN_DONE_JOBS, and still the key that stops a returning clock running it again.
    let unrecorded: String = sqlx::query_scalar(
        "SELECT id FROM apalis.jobs WHERE id LIKE 'SYN-digest-%' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.pg)
    .await
    .unwrap();

    // Default retention ages; only the sweep's schedule is sped up.
    let mut worker = app.start(Kind::Worker, &[]).await;
    let mut sweeper = app.start_clock("retention-sweep=* * * * * *").await;
    let swept = Instant::now();
    let beyond = format!(
        "SELECT (SELECT count(*) FROM cron_slots WHERE slot_at < now() - interval '30 days 1 minute')
              + (SELECT count(*) FROM apalis.jobs WHERE status = 'Done'
                     AND done_at < now() - interval '7 days 1 minute' AND id <> '{unrecorded}')
              + (SELECT count(*) FROM apalis.jobs WHERE status = 'Failed'
                     AND done_at < now() - interval '30 days 1 minute')
              + (SELECT count(*) FROM job_effects WHERE last_done < now() - interval '7 days 1 minute')
              + (SELECT count(*) FROM apalis.workers w WHERE last_seen < now() - interval '1 day 1 minute'
                     AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id))"
    );
    // A generous bound that only a stuck sweep breaks (it took ~35 s on a loaded
    // 2-core machine).
    eventually(
        "the sweep to trim a year of rows to the retained windows",
        Duration::from_secs(300),
        || async { (count(&app, &beyond).await == 0).then_some(()) },
    )
    .await;
    let after = counts(&app).await;
    println!("trimmed in {:?}: {after:?}", swept.elapsed());
    assert_eq!(
        [
            count_at(&app, RECENT_SLOTS, t0).await,
            count_at(&app, RECENT_DONE, t0).await,
            count_at(&app, RECENT_DEAD, t0).await,
            count_at(&app, RECENT_EFFECTS, t0).await,
        ],
        recent,
        "rows inside their windows survive (slots, done jobs, dead jobs, effects)"
    );
    // 30 days of slots, 7 of jobs and effects (+ the sweep's own, + a month of dead jobs).
    assert!(after.cron_slots < 49_000, "{after:?}");
    assert!(
        after.jobs < 11_400 && after.job_effects < 11_400,
        "{after:?}"
    );
    // Workers older than a day remain only while a kept dead job names them.
    let old_workers = count(
        &app,
        "SELECT count(*) FROM apalis.workers WHERE last_seen < now() - interval '1 day 1 minute'",
    )
    .await;
    assert!(
        (1..=31).contains(&old_workers),
        "{old_workers} old worker rows"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM apalis.jobs WHERE id = '{unrecorded}'")
        )
        .await,
        1,
        "the tick whose slot was never recorded keeps its key"
    );

    // Now the clock of that schedule comes back after its downtime: it catches up the
    // last 10 slots (CLOCK_CATCHUP_LIMIT), which include the unrecorded one. (Sweeps
    // stop first, so the old job is still there to show which one holds the key.)
    sweeper.terminate();
    sweeper.wait_exit(Duration::from_secs(15)).await;
    worker.terminate();
    worker.wait_exit(Duration::from_secs(30)).await;
    let digest = app.start_clock("abort-idle-uploads=0 0 3 * * *").await;
    count_eventually(
        &app,
        "the returning clock to catch up its schedule",
        Duration::from_secs(60),
        "SELECT count(*) FROM cron_slots WHERE schedule = 'abort-idle-uploads'
           AND slot_at > now() - interval '1 day'",
        |newest| newest == 1,
    )
    .await;
    let key: String = sqlx::query_scalar("SELECT idempotency_key FROM apalis.jobs WHERE id = $1")
        .bind(&unrecorded)
        .fetch_one(&app.pg)
        .await
        .expect("the unrecorded tick's job is still the one holding its key");
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM apalis.jobs WHERE idempotency_key = '{key}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM apalis.jobs WHERE idempotency_key LIKE 'cron:abort-idle-uploads:%'
               AND id NOT LIKE 'SYN-%'"
        )
        .await,
        9,
        "the returning clock enqueued the 9 slots nobody had, and not the 10th"
    );
    assert_eq!(enqueued_slots(&digest).len(), 9);
}

/// Sends the head of a `PUT` declaring `declared` bytes, then `sent` bytes of body.
async fn partial_put(web: &Process, name: &str, declared: usize, sent: usize) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", web.port)).await.unwrap();
    let head =
        format!("PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {declared}\r\n\r\n");
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&vec![7u8; sent]).await.unwrap();
    socket.flush().await.unwrap();
    socket
}

#[tokio::test(flavor = "multi_thread")]
async fn a_put_killed_mid_body_leaves_an_orphan_the_sweep_frees_while_live_bytes_stay() {
    let mut app = TestApp::new("adv_retention_orphans").await;
    let mut doomed_web = app.start(Kind::Web, &[]).await;
    // A live transfer, and a resumable upload 2 MB into 5 MB.
    let live = vec![1u8; 3_000_000];
    let put = curl::put(&app.http, &doomed_web, "live.bin", live.clone(), &[]).await;
    assert_eq!(put.status(), StatusCode::OK);
    let share = put.text().await.unwrap().trim().to_owned();
    let tus = tus::create_stalled(&app.http, &doomed_web.url("")).await;
    assert_eq!(tus.status(), StatusCode::CREATED);
    let tus_url = tus.headers()["location"].to_str().unwrap().to_owned();
    let live_chunks = count(&app, "SELECT count(*) FROM blob_chunks").await;

    // The attack (or the crash): 2.5 MiB of a declared 8 MiB, then SIGKILL.
    let _socket = partial_put(&doomed_web, "big.bin", 8 << 20, 5 << 19).await;
    eventually(
        "the partial body's chunks to be committed",
        Duration::from_secs(20),
        || async {
            let chunks = count(&app, "SELECT count(*) FROM blob_chunks").await;
            (chunks >= live_chunks + 2).then_some(())
        },
    )
    .await;
    doomed_web.kill();
    let orphan: String = sqlx::query_scalar(sqlx::AssertSqlSafe(
        ORPHANS.replace("count(*)", "b.id::text"),
    ))
    .fetch_one(&app.pg)
    .await
    .expect("the killed PUT left exactly one orphan blob");
    let orphan_chunks = format!("SELECT count(*) FROM blob_chunks WHERE blob_id = '{orphan}'");
    assert!(count(&app, &orphan_chunks).await >= 2, "with its chunks");

    // The sweep every second, orphans after 4 s without progress.
    let web = app.start(Kind::Web, &[]).await;
    let sweep = [("ORPHAN_BLOB_AGE", "4s")];
    let _worker = app.start(Kind::Worker, &sweep).await;
    let _clock = app.start_clock("retention-sweep=* * * * * *").await;

    // Meanwhile a slow but live PUT: 1 MiB a second for 10 s, longer than the orphan
    // age; it commits a chunk each second, so it is never taken for an orphan.
    let slow = {
        let web_port = web.port;
        tokio::spawn(async move {
            let mut socket = TcpStream::connect(("127.0.0.1", web_port)).await.unwrap();
            let total = 10 << 20;
            socket
                .write_all(
                    format!(
                        "PUT /slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await
                .unwrap();
            let mut hash = Sha256::new();
            for i in 0..10u8 {
                let piece = vec![i; 1 << 20];
                hash.update(&piece);
                socket.write_all(&piece).await.unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let mut answer = String::new();
            socket.read_to_string(&mut answer).await.unwrap();
            (answer, hex::encode(hash.finalize()))
        })
    };

    let orphan_blob = format!("SELECT count(*) FROM blobs WHERE id = '{orphan}'");
    counts_eventually(
        &app,
        "the orphan blob and its chunks to be freed",
        Duration::from_secs(60),
        [&orphan_blob, &orphan_chunks],
        |[blob, chunks]| blob == 0 && chunks == 0,
    )
    .await;
    let (answer, sha) = slow.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "slow upload: {answer}");
    assert_eq!(
        count(&app, ORPHANS).await,
        0,
        "no orphan (nor condemned tombstone) left"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM blob_chunks").await,
        live_chunks + 10,
        "only the chunks of the live transfer, the resumable upload and the slow PUT remain"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM files WHERE encode(sha256, 'hex') = '{sha}'")
        )
        .await,
        1,
        "the slow upload stored every byte"
    );

    // The live transfer and the resumable upload are intact.
    let path = url::Url::parse(&share).unwrap().path().to_owned();
    let body = app.get(web.url(&path)).await;
    assert_eq!(body.status(), StatusCode::OK);
    assert!(
        body.bytes().await.unwrap() == live,
        "live transfer byte-identical"
    );
    let tus_path = url::Url::parse(&tus_url)
        .map(|u| u.path().to_owned())
        .unwrap_or(tus_url);
    let head = tus::head(&app.http, web.url(&tus_path)).await;
    assert_eq!(head.headers()["upload-offset"], "2000000");
    let resumed = tus::patch(
        &app.http,
        web.url(&tus_path),
        "2000000",
        vec![3u8; 3_000_000],
    )
    .await;
    assert_eq!(
        resumed.status(),
        StatusCode::NO_CONTENT,
        "the upload resumes"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_column_that_references_a_blob_is_known_to_the_orphan_sweep() {
    let app = TestApp::new("adv_retention_refs").await;
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname::text
         FROM pg_constraint c JOIN pg_attribute a
           ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
         WHERE c.contype = 'f' AND c.confrelid = 'blobs'::regclass
         ORDER BY 1, 2",
    )
    .fetch_all(&app.pg)
    .await
    .unwrap();
    let references: Vec<(&str, &str)> = references
        .iter()
        .map(|(t, c)| (t.as_str(), c.as_str()))
        .collect();
    // If this fails, a new column points at blobs: teach the orphan sweep (the view
    // `unreferenced_blobs`, crates/ferry-state/migrations/*_repository_rules.sql) about
    // it, or it will free blobs that column still needs. `blob_chunks` and
    // `blob_parts` are a blob's own bytes (Postgres chunks, S3 parts), not references.
    assert_eq!(
        references,
        [
            ("blob_chunks", "blob_id"),
            ("blob_parts", "blob_id"),
            ("files", "blob_id"),
            ("files", "thumbnail_blob_id"),
            ("transfers", "bundle_blob_id"),
            ("uploads", "blob_id"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_bundle_leaves_an_orphan_the_sweep_frees_and_the_bundle_is_rebuilt() {
    use rand::RngCore;
    let (mut app, web) = TestApp::with_web("adv_retention_bundle", &[]).await;
    // Two incompressible 24 MiB files: the stored zip takes ~48 chunk writes.
    let mut form = reqwest::multipart::Form::new();
    for name in ["one.bin", "two.bin"] {
        let mut bytes = vec![0u8; 24 << 20];
        rand::rng().fill_bytes(&mut bytes);
        form = form.part(
            "filedata",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
    }
    let answer = curl::post_files(&app.http, &web, form, &[]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let token = curl::token_of(&answer.text().await.unwrap());
    assert_eq!(count(&app, ORPHANS).await, 0);

    // The worker starts the zip; it is killed as soon as the zip has bytes in Postgres.
    let mut worker = app.start(Kind::Worker, &[]).await;
    let partial = "SELECT count(*) FROM blob_chunks c WHERE c.blob_id IN (SELECT b.id FROM blobs b
         WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.blob_id = b.id))";
    eventually(
        "the worker to write part of the zip",
        Duration::from_secs(60),
        || async { (count(&app, partial).await > 0).then_some(()) },
    )
    .await;
    worker.kill();
    let attached = count(
        &app,
        "SELECT count(*) FROM transfers WHERE bundle_blob_id IS NOT NULL",
    )
    .await;
    assert_eq!(attached, 0, "killed before the zip was attached");
    assert_eq!(
        count(&app, ORPHANS).await,
        1,
        "the half-written zip is an orphan"
    );

    // A new worker re-runs the bundle job (its holder is dead) and the sweep frees the
    // half-written zip.
    let _worker = app.start(Kind::Worker, &[("ORPHAN_BLOB_AGE", "4s")]).await;
    let _clock = app.start_clock("retention-sweep=* * * * * *").await;
    counts_eventually(
        &app,
        "the zip to be rebuilt and the half-written one freed",
        Duration::from_secs(90),
        [
            "SELECT count(*) FROM transfers WHERE bundle_blob_id IS NOT NULL",
            ORPHANS,
        ],
        |[attached, orphans]| attached == 1 && orphans == 0,
    )
    .await;
    let zip = app.get(web.url(&format!("/{token}.zip"))).await;
    assert_eq!(zip.status(), StatusCode::OK);
    assert!(zip.bytes().await.unwrap().len() > 48 << 20);
    assert_eq!(
        count(&app, "SELECT count(*) FROM blobs").await,
        3,
        "two files and one zip: nothing else is stored"
    );
}
