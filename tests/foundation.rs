//! Black-box tests of the foundation: the real `ferry` binary, real Postgres and Redis.

mod harness;

use harness::http::Exchange;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use harness::{
    Kind, TestApp, count, eventually,
    http::{cookie_pair, header_text},
};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const SECOND: Duration = Duration::from_secs(1);

async fn enqueue_demo(app: &TestApp, web: &harness::Process, body: Value) -> String {
    let response = app
        .http
        .post(web.url("/api/jobs/demo"))
        .json(&body)
        .answer()
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn effect_runs(app: &TestApp, key: &str) -> Option<(i32, String)> {
    sqlx::query_as("SELECT runs, last_worker FROM job_effects WHERE job_key = $1")
        .bind(key)
        .fetch_optional(&app.pg)
        .await
        .unwrap()
}

/// Waits up to `timeout` (`what` names the wait) until the demo job `key` has run: its
/// runs and last worker.
async fn ran(app: &TestApp, key: &str, what: &str, timeout: Duration) -> (i32, String) {
    eventually(what, timeout, || effect_runs(app, key)).await
}

/// Enqueues the demo job `key` through `web` and waits as [`ran`] does for a worker to
/// run it.
async fn demo_job_runs(
    app: &TestApp,
    web: &harness::Process,
    key: &str,
    what: &str,
    timeout: Duration,
) -> (i32, String) {
    enqueue_demo(app, web, json!({ "key": key })).await;
    ran(app, key, what, timeout).await
}

async fn job_row(app: &TestApp, id: &str) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT status, attempts, lock_by FROM apalis.jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pg)
        .await
        .unwrap()
}

/// An app on a Postgres of its own (so that a test can stop and start it), and the
/// directory to remove afterwards.
async fn with_private_postgres(
    name: &str,
) -> (std::path::PathBuf, ferry_dev::services::Server, TestApp) {
    let dir = std::env::temp_dir().join(format!("ferry-test-pg-{}", uuid::Uuid::new_v4()));
    let pg = ferry_dev::services::start_postgres(&dir, ferry_dev::services::free_port())
        .expect("start a private postgres");
    let app = TestApp::with_services(name, Some(pg.url.clone()), None).await;
    (dir, pg, app)
}

/// `POST /api/session` through `web` storing `value` under `key` in a new session:
/// the answer as it came (204 with the session's cookie).
async fn write_session(
    app: &TestApp,
    web: &harness::Process,
    key: &str,
    value: impl Into<Value>,
) -> reqwest::Response {
    let body = json!({ "key": key, "value": value.into() });
    app.http
        .post(web.url("/api/session"))
        .json(&body)
        .answer()
        .await
}

/// The values of the session `cookie` names, as `GET /api/session` through `web`
/// reads them.
async fn session_values(app: &TestApp, web: &harness::Process, cookie: &str) -> Value {
    let read = app
        .http
        .get(web.url("/api/session"))
        .header(header::COOKIE, cookie)
        .answer()
        .await;
    assert_eq!(read.status(), StatusCode::OK, "GET /api/session");
    read.json::<Value>().await.unwrap()["values"].clone()
}

async fn readyz_turns_200(app: &TestApp, web: &harness::Process) {
    eventually("readyz to turn 200", 30 * SECOND, || async {
        let r = app.http.get(web.url("/readyz")).try_answer().await?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_written_through_one_web_process_is_read_through_another_and_survives_a_sigkill()
{
    let (app, [mut a, b]) = TestApp::with_webs("session_across_processes", &[]).await;

    let response = write_session(&app, &a, "colour", "teal").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let set_cookie = header_text(&response, header::SET_COOKIE);
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = cookie_pair(&set_cookie);

    a.kill();
    assert_eq!(session_values(&app, &b, &cookie).await["colour"], "teal");

    // A tampered cookie is not an error: it is a fresh, empty session.
    let mut tampered = cookie.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(session_values(&app, &b, &tampered).await, json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_enqueued_through_web_is_run_by_a_worker_and_retried_until_it_succeeds() {
    let (app, web, _worker) = TestApp::with_web_and_worker("job_runs").await;

    let id = enqueue_demo(&app, &web, json!({ "key": "hello" })).await;
    let flaky = enqueue_demo(&app, &web, json!({ "key": "flaky", "fail_attempts": 2 })).await;

    ran(&app, "hello", "the job to run", 30 * SECOND).await;
    ran(&app, "flaky", "the flaky job to succeed", 30 * SECOND).await;
    for job in [&id, &flaky] {
        eventually("the job to be acknowledged", 30 * SECOND, || async {
            (job_row(&app, job).await.0 == "Done").then_some(())
        })
        .await;
    }
    assert_eq!(
        job_row(&app, &flaky).await.1,
        3,
        "two failures, then success"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_keeps_failing_becomes_dead_and_an_admin_can_retry_it() {
    let (mut app, web) = TestApp::with_web("dead_jobs", &[("JOB_MAX_ATTEMPTS", "3")]).await;
    let _worker = app.start(Kind::Worker, &[("JOB_MAX_ATTEMPTS", "3")]).await;
    let id = enqueue_demo(
        &app,
        &web,
        json!({ "key": "doomed", "fail_attempts": 1000 }),
    )
    .await;

    let dead = eventually("the job to be dead", 30 * SECOND, || async {
        let out = app
            .command(&["admin", "jobs", "dead"], &[])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|v| v["id"] == id.as_str())
    })
    .await;
    assert_eq!(dead["attempts"], 3);
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap()
            .contains("failing on attempt"),
        "{dead}"
    );
    assert!(effect_runs(&app, "doomed").await.is_none());

    app.admin(&["jobs", "retry", &id]);
    let missing = app
        .command(&["admin", "jobs", "retry", "no-such-job"], &[])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    // Retried: it runs (and fails) again, so its attempts start over.
    eventually("the retried job to run again", 30 * SECOND, || async {
        let (status, attempts, _) = job_row(&app, &id).await;
        (status != "Failed" || attempts < 3).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_worker_is_sigkilled_mid_run_is_completed_by_another_worker() {
    let (mut app, web) = TestApp::with_web("orphaned_job", &[]).await;
    let mut first = app.start(Kind::Worker, &[]).await;
    let id = enqueue_demo(&app, &web, json!({ "key": "long", "work_ms": 3000 })).await;

    let holder = eventually("the first worker to start the job", 30 * SECOND, || async {
        let (status, _, lock_by) = job_row(&app, &id).await;
        (status == "Running").then_some(lock_by).flatten()
    })
    .await;
    let _second = app.start(Kind::Worker, &[]).await;
    first.kill();
    let killed_at = std::time::Instant::now();

    let (runs, worker) = eventually("another worker to complete it", 30 * SECOND, || async {
        effect_runs(&app, "long").await
    })
    .await;
    println!(
        "orphaned job completed {:?} after SIGKILL",
        killed_at.elapsed()
    );
    assert_eq!(runs, 1);
    assert_ne!(worker, holder, "completed by a different worker identity");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_clocks_enqueue_each_slot_of_an_every_second_schedule_exactly_once() {
    let mut app = TestApp::new("three_clocks").await;
    let schedule = [("CLOCK_SCHEDULES", "stats-rollup=* * * * * *")];
    let mut clocks = Vec::new();
    for _ in 0..3 {
        clocks.push(app.start(Kind::Clock, &schedule).await);
    }
    // Half-way, SIGKILL whichever clock enqueued the latest slot: the others go on.
    tokio::time::sleep(10 * SECOND).await;
    let latest: String =
        sqlx::query_scalar("SELECT enqueued_by FROM cron_slots ORDER BY slot_at DESC LIMIT 1")
            .fetch_one(&app.pg)
            .await
            .unwrap();
    let victim = clocks
        .iter()
        .position(|c| latest.starts_with(&format!("clock-{}-", c.pid())))
        .expect("the latest slot was enqueued by one of our clocks");
    clocks.remove(victim).kill();
    tokio::time::sleep(10 * SECOND).await;
    for clock in &clocks {
        clock.terminate();
    }
    for clock in &mut clocks {
        let status = clock.wait_exit(15 * SECOND).await.expect("clock exits");
        assert!(status.success());
    }

    let (jobs, distinct, first, last): (
        i64,
        i64,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    ) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT s.slot_at), min(s.slot_at), max(s.slot_at)
             FROM apalis.jobs j JOIN cron_slots s ON s.job_id = j.id
             WHERE j.job_type = 'ferry.cron'",
    )
    .fetch_one(&app.pg)
    .await
    .unwrap();
    let total_jobs = count(
        &app,
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.cron'",
    )
    .await;
    let by_clock: Vec<(String, i64)> = sqlx::query_as(
        "SELECT enqueued_by, count(*) FROM cron_slots GROUP BY enqueued_by ORDER BY 1",
    )
    .fetch_all(&app.pg)
    .await
    .unwrap();
    let duplicated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT idempotency_key FROM apalis.jobs
         WHERE job_type = 'ferry.cron' GROUP BY idempotency_key HAVING count(*) > 1) d",
    )
    .fetch_one(&app.pg)
    .await
    .unwrap();
    assert_eq!(duplicated, 0);
    assert!(
        by_clock.len() >= 2,
        "a surviving clock took over: {by_clock:?}"
    );
    println!("{total_jobs} jobs for slots {first}..{last}; per clock: {by_clock:?}");
    let span = (last - first).num_seconds() + 1;
    assert!(total_jobs >= 18, "about 20 slots in 20 s, got {total_jobs}");
    assert_eq!(total_jobs, jobs, "every job belongs to a recorded slot");
    assert_eq!(jobs, distinct, "no slot enqueued twice");
    assert_eq!(
        distinct, span,
        "no slot missed between the first and the last"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clock_started_after_downtime_catches_up_the_missed_slots_once() {
    let mut app = TestApp::new("clock_catch_up").await;
    let env = [
        ("CLOCK_SCHEDULES", "stats-rollup=* * * * * *"),
        ("CLOCK_CATCHUP_LIMIT", "100"),
    ];
    let mut clock = app.start(Kind::Clock, &env).await;
    tokio::time::sleep(3 * SECOND).await;
    clock.terminate();
    assert!(clock.wait_exit(15 * SECOND).await.unwrap().success());
    tokio::time::sleep(4 * SECOND).await; // downtime: ~4 slots nobody enqueued
    let mut clock = app.start(Kind::Clock, &env).await;
    tokio::time::sleep(3 * SECOND).await;
    clock.terminate();
    assert!(clock.wait_exit(15 * SECOND).await.unwrap().success());

    let slots: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT slot_at FROM cron_slots ORDER BY slot_at")
            .fetch_all(&app.pg)
            .await
            .unwrap();
    let gaps: Vec<_> = slots
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_seconds() != 1)
        .collect();
    assert!(slots.len() >= 9, "{slots:?}");
    assert!(gaps.is_empty(), "missed slots were not caught up: {gaps:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_process_type_exits_zero_on_sigterm_and_web_finishes_an_in_flight_request() {
    let mut app = TestApp::new("graceful_shutdown").await;
    let mut web = app.start(Kind::Web, &[]).await;
    let mut worker = app.start(Kind::Worker, &[]).await;
    let mut clock = app.start(Kind::Clock, &[]).await;

    // A request whose body is still arriving when SIGTERM lands.
    let body = br#"{"key":"in-flight","work_ms":0}"#;
    let mut stream = TcpStream::connect(("127.0.0.1", web.port)).unwrap();
    stream.set_read_timeout(Some(30 * SECOND)).unwrap();
    write!(
        stream,
        "POST /api/jobs/demo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..10]).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    web.terminate();
    worker.terminate();
    clock.terminate();
    tokio::time::sleep(SECOND).await;
    stream.write_all(&body[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 202"),
        "in-flight request answered: {response}"
    );

    for process in [&mut web, &mut worker, &mut clock] {
        let status = process
            .wait_exit(20 * SECOND)
            .await
            .unwrap_or_else(|| panic!("{} did not exit within the timeout", process.name));
        assert_eq!(
            status.code(),
            Some(0),
            "{} exit status; log:\n{}",
            process.name,
            process.log()
        );
    }
    // The job accepted during the drain is durably queued.
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.demo'")
            .fetch_one(&app.pg)
            .await
            .unwrap();
    assert_eq!(queued, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigtermed_worker_hands_its_running_job_back_for_another_worker() {
    let (mut app, web) = TestApp::with_web("worker_hand_back", &[]).await;
    let mut first = app.start(Kind::Worker, &[("SHUTDOWN_TIMEOUT", "1")]).await;
    let id = enqueue_demo(&app, &web, json!({ "key": "slow", "work_ms": 8000 })).await;
    eventually("the job to start", 30 * SECOND, || async {
        (job_row(&app, &id).await.0 == "Running").then_some(())
    })
    .await;
    first.terminate();
    let status = first.wait_exit(20 * SECOND).await.expect("worker exits");
    assert_eq!(status.code(), Some(0));
    let (job_status, _, lock_by) = job_row(&app, &id).await;
    assert_eq!(
        (job_status.as_str(), lock_by),
        ("Pending", None),
        "handed back at shutdown"
    );

    let _second = app.start(Kind::Worker, &[]).await;
    eventually("another worker to finish it", 40 * SECOND, || async {
        effect_runs(&app, "slow").await
    })
    .await;
}

/// An idle worker is woken by Postgres's NOTIFY when a job is inserted, not by its
/// next heartbeat (a minute here), and its listener comes back after Postgres restarts.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_worker_is_woken_by_notify_not_its_heartbeat_even_after_a_postgres_restart() {
    let (dir, mut pg, mut app) = with_private_postgres("notify_wakes").await;
    let one_attempt = [("JOB_MAX_ATTEMPTS", "1")];
    let web = app.start(Kind::Web, &one_attempt).await;
    let slow_heartbeat = [("WORKER_HEARTBEAT", "60s"), ("JOB_MAX_ATTEMPTS", "1")];
    let mut worker = app.start(Kind::Worker, &slow_heartbeat).await;
    eventually("the worker to register", 30 * SECOND, || async {
        (harness::count(&app, "SELECT count(*) FROM apalis.workers").await > 0).then_some(())
    })
    .await;
    // Idle for a while: nothing but a notification can make it look again.
    tokio::time::sleep(2 * SECOND).await;
    enqueue_demo(&app, &web, json!({ "key": "woken" })).await;
    eventually("the idle worker to run it", 15 * SECOND, || async {
        effect_runs(&app, "woken").await
    })
    .await;

    // A job made runnable again by an UPDATE (here an admin's retry of a dead job)
    // is announced too (the trigger `ferry migrate` adds).
    let doomed = enqueue_demo(
        &app,
        &web,
        json!({ "key": "doomed", "fail_attempts": 1000 }),
    )
    .await;
    eventually("the job to die", 15 * SECOND, || async {
        (job_row(&app, &doomed).await.0 == "Failed").then_some(())
    })
    .await;
    tokio::time::sleep(2 * SECOND).await;
    app.admin(&["jobs", "retry", &doomed]);
    eventually(
        "the idle worker to take the retried job",
        15 * SECOND,
        || async { (job_row(&app, &doomed).await.0 != "Pending").then_some(()) },
    )
    .await;

    pg.stop();
    tokio::time::sleep(2 * SECOND).await;
    pg.start().expect("restart postgres");
    readyz_turns_200(&app, &web).await;
    // Give the listener time to find out and reconnect (it backs off up to 5 s).
    tokio::time::sleep(7 * SECOND).await;
    demo_job_runs(
        &app,
        &web,
        "woken-again",
        "the worker to run a job enqueued after the restart, long before its heartbeat",
        20 * SECOND,
    )
    .await;
    assert!(
        worker.wait_exit(Duration::ZERO).await.is_none(),
        "the same worker process did it"
    );
    drop(app);
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bulk insert is announced once per queue, not once per job: the notifications
/// name only the queue, so Postgres folds a transaction's into one per queue (every
/// listening worker process would otherwise read and wake on each of thousands).
/// A job due later is not announced at all (it is found when it is due).
#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_insert_is_announced_once_per_queue() {
    let app = TestApp::new("bulk_notify").await;
    let mut listener = sqlx::postgres::PgListener::connect(&app.database_url)
        .await
        .unwrap();
    listener.listen("apalis::job::insert").await.unwrap();
    let insert = |queue: &'static str, jobs: i32, due_in_secs: f64| {
        let pg = app.pg.clone();
        async move {
            sqlx::query(
                "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, max_attempts, run_at, priority)
                 SELECT left(apalis.generate_ulid(), 10) || upper(lpad(to_hex(i), 16, '0')), $1,
                        convert_to(json_build_object('key', 'k' || i, 'noop', true)::text, 'UTF8'),
                        'Pending', 0, 1, now() + make_interval(secs => $3), 0
                 FROM generate_series(1, $2) AS i",
            )
            .bind(queue)
            .bind(jobs)
            .bind(due_in_secs)
            .execute(&pg)
            .await
            .unwrap();
        }
    };
    insert("bulk.a", 500, 0.0).await;
    insert("bulk.b", 300, 0.0).await;
    insert("bulk.later", 100, 3600.0).await;
    insert("bulk.a", 1, 0.0).await;

    let mut announced: Vec<Value> = Vec::new();
    while let Ok(received) = tokio::time::timeout(2 * SECOND, listener.recv()).await {
        announced.push(serde_json::from_str(received.unwrap().payload()).unwrap());
    }
    assert!(
        announced.len() <= 3,
        "{} notifications for 4 inserts, the first {:?}",
        announced.len(),
        &announced[..2]
    );
    assert_eq!(
        announced,
        vec![
            json!({ "job_type": "bulk.a" }),
            json!({ "job_type": "bulk.b" }),
            json!({ "job_type": "bulk.a" }),
        ],
        "one notification per queue and transaction, none for jobs due later"
    );
}

/// A worker claims only as many jobs as it has free slots, so a second worker gets
/// its share of slow jobs instead of watching the first sit on them.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_claims_no_more_jobs_than_it_has_free_slots() {
    let (mut app, web) = TestApp::with_web("free_slots", &[]).await;
    let two = [("WORKER_CONCURRENCY", "2")];
    let _first = app.start(Kind::Worker, &two).await;
    let _second = app.start(Kind::Worker, &two).await;
    eventually("both workers to register", 30 * SECOND, || async {
        (harness::count(
            &app,
            "SELECT count(DISTINCT split_part(id, '/', 1)) FROM apalis.workers",
        )
        .await
            >= 2)
            .then_some(())
    })
    .await;
    for n in 0..8 {
        enqueue_demo(
            &app,
            &web,
            json!({ "key": format!("slow-{n}"), "work_ms": 1500 }),
        )
        .await;
    }
    let mut most_held = 0;
    let deadline = std::time::Instant::now() + 60 * SECOND;
    loop {
        let held: Option<i64> = sqlx::query_scalar(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM apalis.jobs
             WHERE status IN ('Queued', 'Running') GROUP BY split_part(lock_by, '/', 1)) AS t",
        )
        .fetch_one(&app.pg)
        .await
        .unwrap();
        most_held = most_held.max(held.unwrap_or(0));
        if harness::count(
            &app,
            "SELECT count(*) FROM job_effects WHERE job_key LIKE 'slow-%'",
        )
        .await
            == 8
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "8 jobs of 1.5 s not done in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        most_held <= 2,
        "a worker with 2 slots held {most_held} jobs at once"
    );
    assert_eq!(
        harness::count(
            &app,
            "SELECT count(DISTINCT split_part(last_worker, '/', 1)) FROM job_effects"
        )
        .await,
        2,
        "both workers ran some of the jobs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configuration_exits_2_with_one_line_naming_the_variable() {
    let app = TestApp::new("bad_config").await;
    let exits_2_naming = |args: &[&str], env: &[(&str, &str)], variable: &str| {
        let out = app.command(args, env).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(variable), "names {variable}: {stderr}");
    };
    // (process, variable, malformed value)
    let cases = [
        ("web", "PORT", "eighty"),
        ("web", "SESSION_SECRET", "short"),
        ("worker", "DATABASE_URL", "mysql://nope"),
        ("worker", "WORKER_CONCURRENCY", "0"),
        ("clock", "CLOCK_SCHEDULES", "stats-rollup=61 * * * *"),
        ("clock", "SHUTDOWN_TIMEOUT", "soon"),
        ("web", "LOG_FORMAT", "xml"),
        (
            "web",
            "REDIS_CLUSTER_URLS",
            "redis://127.0.0.1:7000,http://x",
        ),
        // Settings clap accepts but no connection could use, found while the process
        // is built: the same one line and exit 2.
        ("web", "REDIS_CA_CERT", "/nonexistent/ca.pem"),
        (
            "worker",
            "REDIS_CA_CERT",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ),
        ("migrate", "REDIS_URL", "redis://127.0.0.1:99999"),
        (
            "web",
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com/upload",
        ),
    ];
    for (process, variable, value) in cases {
        exits_2_naming(&[process], &[(variable, value)], variable);
    }
    // Both ways to name Redis at once: the cluster's setting is the one named.
    exits_2_naming(
        &["worker"],
        &[
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_CLUSTER_URLS", "redis://127.0.0.1:7000"),
        ],
        "REDIS_CLUSTER_URLS",
    );
    let mut missing = app.command(&["web"], &[]);
    missing
        .env_remove("REDIS_URL")
        .env_remove("REDIS_CLUSTER_URLS");
    let out = missing.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("REDIS_URL is not set"), "{stderr}");
    // Secrets never appear in the message.
    let out = app
        .command(&["web"], &[("SESSION_SECRET", "hunter2")])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stderr).unwrap().contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rediss_urls_reach_a_tls_only_redis_verified_by_the_ca_or_trusted_with_insecure() {
    let redis = harness::tls::TlsRedis::start();
    let ca = redis.ca_cert.to_str().unwrap().to_owned();
    let mut app = TestApp::with_services("rediss", None, Some(redis.url.clone())).await;
    let ready = |app: &TestApp, web: &harness::Process| {
        let (http, url) = (app.http.clone(), web.url("/readyz"));
        async move { http.get(url).answer().await.status() }
    };

    // Verified against the private CA: ready, and sessions live on that server.
    let verified = app.start(Kind::Web, &[("REDIS_CA_CERT", &ca)]).await;
    assert_eq!(ready(&app, &verified).await, StatusCode::OK);
    let written = write_session(&app, &verified, "colour", "teal").await;
    assert_eq!(written.status(), StatusCode::NO_CONTENT);
    let cookie = written.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let keys = redis.cli(&["--scan", "--pattern", &format!("{}*", app.redis_prefix)]);
    assert!(!keys.trim().is_empty(), "no session key on the TLS Redis");

    // `#insecure` (a self-signed server, as on Heroku): no CA needed; the session
    // written above is read back through it.
    let insecure_url = format!("{}#insecure", redis.url);
    let insecure = app.start(Kind::Web, &[("REDIS_URL", &insecure_url)]).await;
    assert_eq!(ready(&app, &insecure).await, StatusCode::OK);
    assert_eq!(
        session_values(&app, &insecure, &cookie).await["colour"],
        "teal"
    );

    // The same without touching the URL (a platform sets and rotates it).
    let flagged = app
        .start(Kind::Web, &[("REDIS_TLS_INSECURE", "true")])
        .await;
    assert_eq!(ready(&app, &flagged).await, StatusCode::OK);

    // Neither: the certificate is checked against the built-in roots and refused, so
    // the process is up but not ready.
    let unverified = app.start(Kind::Web, &[]).await;
    assert_eq!(
        ready(&app, &unverified).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let log = unverified.log();
    assert!(
        log.contains("certificate") || log.contains("UnknownIssuer"),
        "the refusal names the certificate: {log}"
    );

    // A CA for a plain-text URL is a configuration error, not a silent downgrade.
    let out = app
        .command(
            &["web"],
            &[
                ("REDIS_URL", "redis://localhost:6379"),
                ("REDIS_CA_CERT", &ca),
            ],
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rediss://"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redis_cluster_that_speaks_only_tls_is_used_through_redis_ca_cert() {
    let dir = std::env::temp_dir().join(format!("ferry-test-tls-cluster-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    harness::tls::make_certificates(&dir);
    let cluster = harness::cluster::Cluster::start_tls(&dir.join("nodes"), &dir);
    let urls = cluster.urls.join(",");
    let ca = dir.join("ca.pem").to_str().unwrap().to_owned();
    let mut app = TestApp::new("rediss_cluster").await;
    app.unset_env.push("REDIS_URL");
    app.unset_env.push("REDIS_CLUSTER_URLS");
    let tls = [
        ("REDIS_CLUSTER_URLS", urls.as_str()),
        ("REDIS_CA_CERT", &ca),
    ];
    let a = app.start(Kind::Web, &tls).await;
    let b = app.start(Kind::Web, &tls).await;
    let ready = app.get(a.url("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::OK, "{}", a.log());

    // Enough sessions to land on every master (keys spread over the slots), each read
    // back through the other web process.
    for n in 0..12 {
        let written = write_session(&app, &a, "n", n.to_string()).await;
        assert_eq!(written.status(), StatusCode::NO_CONTENT);
        let cookie = written.headers()[header::SET_COOKIE].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        assert_eq!(session_values(&app, &b, &cookie).await["n"], n.to_string());
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(dir);
}

/// The processes `pid` started (direct children), by `pgrep -P`.
fn children_of(pid: u32) -> Vec<u32> {
    let out = std::process::Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("pgrep (apt-get install procps)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn alive(pid: u32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.split(' ').nth(2) == Some("Z"))
}

/// `ferry dev` on `port` with its data in `dir` and nothing else in its environment
/// (so it starts its own Postgres and Redis); waits until it says where Ferry runs.
async fn start_dev(dir: &std::path::Path, port: u16) -> (std::process::Child, std::path::PathBuf) {
    let log = dir.join(format!("dev-{}.log", uuid::Uuid::new_v4()));
    let file = std::fs::File::create(&log).unwrap();
    let child = std::process::Command::new(harness::FERRY)
        .arg("dev")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FERRY_DATA_DIR", dir)
        .env("PORT", port.to_string())
        .env("SHUTDOWN_TIMEOUT", "5")
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let said = eventually(
        "ferry dev to say where Ferry runs",
        120 * SECOND,
        || async {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains(&format!("Ferry is running on http://127.0.0.1:{port}"))
                .then_some(())
        },
    )
    .await;
    let () = said;
    (child, log)
}

/// [`start_dev`], then asserts that Ferry answers `/readyz` with 200 (the log is in
/// the failure's message).
async fn start_dev_ready(dir: &std::path::Path, port: u16) -> std::process::Child {
    let (dev, log) = start_dev(dir, port).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    let log = std::fs::read_to_string(&log).unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "{log}");
    dev
}

/// A checkout under a directory closed to other users (`/root` is 0700): run as root,
/// ferry dev runs Postgres as `postgres`, which cannot get there — it says so, names
/// the directory and what to do, and exits non-zero, instead of Postgres' own
/// "permission denied" in a log. Run as anyone else, Postgres runs as that user and
/// the same layout just works.
#[tokio::test(flavor = "multi_thread")]
async fn ferry_dev_as_root_says_when_postgres_cannot_reach_the_data_dir() {
    use std::os::unix::fs::PermissionsExt;
    let closed = std::env::temp_dir().join(format!("ferry-test-closed-{}", uuid::Uuid::new_v4()));
    let dir = closed.join("checkout/.ferry");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    if nix::unistd::geteuid().is_root() {
        let out = std::process::Command::new(harness::FERRY)
            .arg("dev")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FERRY_DATA_DIR", &dir)
            .env("PORT", ferry_dev::services::free_port().to_string())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains(&format!("cannot enter {}", closed.display()))
                && said.contains("FERRY_DATA_DIR")
                && said.contains(&format!("chmod o+x {}", closed.display())),
            "{said}"
        );
        assert!(
            !dir.join("postgres/PG_VERSION").exists(),
            "nothing was initialised"
        );
    } else {
        let port = ferry_dev::services::free_port();
        let mut dev = start_dev_ready(&dir, port).await;
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(dev.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        dev.wait().unwrap();
    }
    let _ = std::fs::remove_dir_all(&closed);
}

#[tokio::test(flavor = "multi_thread")]
async fn ferry_dev_takes_what_it_started_down_with_it_even_when_sigkilled_and_starts_again() {
    let dir = std::env::temp_dir().join(format!("ferry-test-dev-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = ferry_dev::services::free_port();
    let mut dev = start_dev_ready(&dir, port).await;
    use std::os::unix::fs::PermissionsExt;
    let secret = std::fs::metadata(dir.join("session_secret")).unwrap();
    assert_eq!(
        secret.permissions().mode() & 0o777,
        0o600,
        "the dev secret is owner-only"
    );
    assert!(
        dir.join("redis/appendonlydir").exists(),
        "dev Redis keeps drafts in an append-only file under the data dir"
    );

    // SIGKILL: nothing can run in ferry dev, and still nothing it started survives.
    let started = children_of(dev.id());
    assert!(
        started.len() >= 5,
        "web, worker, clock, Postgres, Redis: {started:?}"
    );
    dev.kill().unwrap();
    dev.wait().unwrap();
    eventually(
        "every process ferry dev started to be gone",
        30 * SECOND,
        || async { started.iter().all(|&pid| !alive(pid)).then_some(()) },
    )
    .await;

    // The same data directory starts again (no stale Postgres in the way), and SIGHUP
    // (the terminal closed) stops it all gracefully.
    let (mut dev, log) = start_dev(&dir, port).await;
    let started = children_of(dev.id());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(dev.id() as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    let status = eventually("ferry dev to stop on SIGHUP", 60 * SECOND, || {
        let status = dev.try_wait().unwrap();
        async move { status }
    })
    .await;
    assert!(
        status.success(),
        "{status}: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    assert!(
        started.iter().all(|&pid| !alive(pid)),
        "all stopped with it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn readyz_turns_503_when_redis_stops_and_200_when_it_returns_without_a_restart() {
    let dir = std::env::temp_dir().join(format!("ferry-test-redis-{}", uuid::Uuid::new_v4()));
    let mut redis = ferry_dev::services::start_redis(&dir, ferry_dev::services::free_port())
        .expect("start a private redis");
    let mut app = TestApp::with_services("readyz_redis", None, Some(redis.url.clone())).await;
    let web = app.start(Kind::Web, &[]).await;
    let ready = |app: &TestApp, url: String| {
        let http = app.http.clone();
        async move { http.get(url).answer().await }
    };
    assert_eq!(
        ready(&app, web.url("/readyz")).await.status(),
        StatusCode::OK
    );

    redis.stop();
    let down = ready(&app, web.url("/readyz")).await;
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(down.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(down.json::<Value>().await.unwrap()["redis"], "unavailable");
    // Liveness is not readiness: the process is alive and says so.
    assert_eq!(
        ready(&app, web.url("/healthz")).await.status(),
        StatusCode::OK
    );

    redis.start().expect("restart redis");
    eventually("readyz to turn 200 again", 30 * SECOND, || {
        let fut = ready(&app, web.url("/readyz"));
        async move { (fut.await.status() == StatusCode::OK).then_some(()) }
    })
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn web_worker_and_clock_ride_out_a_postgres_restart_without_being_restarted() {
    let (dir, mut pg, mut app) = with_private_postgres("postgres_restart").await;
    let web = app.start(Kind::Web, &[]).await;
    let mut worker = app.start(Kind::Worker, &[]).await;
    let mut clock = app.start_clock("stats-rollup=* * * * * *").await;
    demo_job_runs(&app, &web, "before", "the first job", 30 * SECOND).await;

    pg.stop();
    let refused = app
        .http
        .post(web.url("/api/jobs/demo"))
        .json(&json!({ "key": "during" }))
        .answer()
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a clear 503 while Postgres is down"
    );
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "unavailable"
    );
    let ready = app.get(web.url("/readyz")).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    tokio::time::sleep(3 * SECOND).await;
    pg.start().expect("restart postgres");
    let restarted_at = chrono::Utc::now();

    readyz_turns_200(&app, &web).await;
    demo_job_runs(
        &app,
        &web,
        "after",
        "a job enqueued after the restart to run",
        60 * SECOND,
    )
    .await;
    eventually("the clock to enqueue slots again", 30 * SECOND, || async {
        let newest: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT max(slot_at) FROM cron_slots")
                .fetch_one(&app.pg)
                .await
                .ok()?;
        newest.filter(|t| *t > restarted_at).map(|_| ())
    })
    .await;
    assert!(
        worker.wait_exit(Duration::ZERO).await.is_none(),
        "worker still running"
    );
    assert!(
        clock.wait_exit(Duration::ZERO).await.is_none(),
        "clock still running"
    );
    drop(app);
    drop(pg);
    let _ = std::fs::remove_dir_all(dir);
}
