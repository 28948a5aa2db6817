//! Scale-out and chaos: many copies of every process type behind a real HAProxy,
//! killed and restarted while a traffic driver works, and afterwards an audit of
//! everything that was acknowledged. Loopback only; every loop is bounded.
//!
//! `CHAOS_SECONDS` sets the length of the storm scenarios (default 20, the CI
//! profile; the full profile is `CHAOS_SECONDS=60`, see docs/reliability.md).

mod harness;

use harness::curl;
use harness::http::Exchange;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use harness::data::sha_hex;
use harness::{
    Kind, TestApp, count, eventually, put_file,
    requests::{arrived, counters, owner_with_request, stored_whole},
    rig::Rig,
    tokens::{bearer, make_token},
    unique_temp_path,
};
use rand::Rng;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Connection as _;

/// The scenarios load the whole machine; they take turns (cargo runs the tests of
/// one binary in parallel otherwise).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn storm_seconds() -> u64 {
    std::env::var("CHAOS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// A client without cookies whose requests give up after `timeout`.
fn client_with_timeout(timeout: Duration) -> Client {
    Client::builder().timeout(timeout).build().unwrap()
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Everything the driver got an acknowledgement for, plus request statistics.
#[derive(Default)]
struct Ledger {
    sessions: Vec<(Client, String, String)>,
    files: Vec<(String, String)>,
    jobs: Vec<String>,
    tus: Vec<(String, String)>,
    drafts: Vec<(Client, String)>,
    requests: usize,
    failed: usize,
    latencies: Vec<Duration>,
}

impl Ledger {
    fn record(&mut self, started: Instant, ok: bool) {
        self.requests += 1;
        self.latencies.push(started.elapsed());
        if !ok {
            self.failed += 1;
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted
            .get(((sorted.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    }
}

/// How many jobs of the clock's schedules were ever enqueued.
const CRON_JOBS: &str = "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.cron'";

/// 1, 2, 3, … for as long as `deadline` has not passed: the numbered requests of one
/// kind of load.
fn numbered_until(deadline: Instant) -> impl Iterator<Item = u64> {
    (1..).take_while(move |_| Instant::now() < deadline)
}

/// How many of the demo jobs `keys` have run, or `None` while Postgres does not answer.
async fn jobs_run(app: &TestApp, keys: &[String]) -> Option<usize> {
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM job_effects WHERE job_key = ANY($1)")
        .bind(keys)
        .fetch_one(&app.pg)
        .await
        .ok()?;
    Some(done as usize)
}

fn random_body(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// Drives traffic through `base` until `deadline`: sessions, curl uploads, jobs and
/// (optionally) resumable uploads, each kind in its own task.
async fn drive(base: String, deadline: Instant, upload_size: usize, with_tus: bool) -> Ledger {
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut tasks = Vec::new();
    // Sessions: write one value per session, then keep reading it back.
    {
        let (ledger, base) = (ledger.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let client = browser();
                let value = format!("value-{n}-{}", rand::rng().random::<u32>());
                let started = Instant::now();
                let response = client
                    .post(format!("{base}/api/session"))
                    .json(&json!({ "key": "k", "value": value }))
                    .send()
                    .await;
                let ok = matches!(&response, Ok(r) if r.status() == StatusCode::NO_CONTENT);
                ledger.lock().unwrap().record(started, ok);
                if ok {
                    ledger
                        .lock()
                        .unwrap()
                        .sessions
                        .push((client.clone(), "k".into(), value));
                }
                let started = Instant::now();
                let read = client.get(format!("{base}/api/session")).send().await;
                ledger
                    .lock()
                    .unwrap()
                    .record(started, matches!(&read, Ok(r) if r.status().is_success()));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    // Drafts: a visitor puts a file into the draft (cart) kept in the session.
    {
        let (ledger, base) = (ledger.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let client = browser();
                let started = Instant::now();
                let drafted = draft_one(&client, &base).await;
                ledger.lock().unwrap().record(started, drafted.is_some());
                if let Some(name) = drafted {
                    ledger.lock().unwrap().drafts.push((client, name));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }));
    }
    // Curl uploads.
    {
        let (ledger, base) = (ledger.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client = client_with_timeout(Duration::from_secs(60));
            for n in numbered_until(deadline) {
                let body = random_body(upload_size / 2 + rand::rng().random_range(0..upload_size));
                let sha = sha_hex(&body);
                let started = Instant::now();
                let response = client
                    .put(format!("{base}/f{n}.bin"))
                    .body(body)
                    .send()
                    .await;
                let url = match response {
                    Ok(r) if r.status() == StatusCode::OK => r.text().await.ok(),
                    _ => None,
                };
                ledger.lock().unwrap().record(started, url.is_some());
                if let Some(url) = url {
                    let path = format!("/{}", url.trim().splitn(4, '/').nth(3).unwrap_or_default());
                    ledger.lock().unwrap().files.push((path, sha));
                }
            }
        }));
    }
    // Jobs.
    {
        let (ledger, base) = (ledger.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client = client_with_timeout(Duration::from_secs(30));
            for n in numbered_until(deadline) {
                let key = format!("job-{n}-{}", rand::rng().random::<u32>());
                let started = Instant::now();
                let response = client
                    .post(format!("{base}/api/jobs/demo"))
                    .json(&json!({ "key": key, "work_ms": 200 }))
                    .send()
                    .await;
                let ok = matches!(&response, Ok(r) if r.status() == StatusCode::ACCEPTED);
                ledger.lock().unwrap().record(started, ok);
                if ok {
                    ledger.lock().unwrap().jobs.push(key);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // Resumable uploads that resume after any error.
    if with_tus {
        let (ledger, base) = (ledger.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let client = client_with_timeout(Duration::from_secs(30));
            while Instant::now() < deadline {
                let body = random_body(3 * 512 * 1024 + 777);
                if let Some(share) =
                    tus_upload(&client, &base, &body, deadline + Duration::from_secs(60)).await
                {
                    ledger.lock().unwrap().tus.push((share, sha_hex(&body)));
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap()
}

/// A tus client in 512 KiB pieces that asks the server for the offset after any
/// error and carries on. Returns the share path when done.
async fn tus_upload(client: &Client, base: &str, body: &[u8], give_up: Instant) -> Option<String> {
    let created = client
        .post(format!("{base}/files/"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", body.len().to_string())
        .send()
        .await
        .ok()
        .filter(|r| r.status() == StatusCode::CREATED)?;
    let location = created.headers()["location"]
        .to_str()
        .ok()?
        .rsplit('/')
        .next()?
        .to_owned();
    let url = format!("{base}/files/{location}");
    let mut offset = 0usize;
    while Instant::now() < give_up {
        let end = (offset + 512 * 1024).min(body.len());
        let patch = client
            .patch(&url)
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .body(body[offset..end].to_vec())
            .send()
            .await;
        if let Ok(r) = &patch
            && r.status() == StatusCode::NO_CONTENT
        {
            offset = r.headers()["upload-offset"].to_str().ok()?.parse().ok()?;
            if offset == body.len() {
                let share = r.headers().get("x-share-url")?.to_str().ok()?.to_owned();
                return Some(format!("/{}", share.splitn(4, '/').nth(3)?));
            }
            continue;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Ok(head) = client
            .head(&url)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            && head.status() == StatusCode::OK
        {
            offset = head.headers()["upload-offset"]
                .to_str()
                .ok()?
                .parse()
                .ok()?;
        }
    }
    None
}

/// Audits everything acknowledged. Returns (lost sessions, lost or corrupt files,
/// unfinished resumable uploads, jobs never run, jobs run more than once).
async fn audit(app: &TestApp, base: &str, ledger: &Ledger) -> (usize, usize, usize, usize, usize) {
    let mut lost_sessions = 0;
    for (client, key, value) in &ledger.sessions {
        let read = client.get(format!("{base}/api/session")).answer().await;
        let json: Value = read.json().await.unwrap_or_default();
        if json["values"][key] != value.as_str() {
            lost_sessions += 1;
        }
    }
    let client = client_with_timeout(Duration::from_secs(60));
    let mut bad_files = 0;
    for (path, sha) in ledger.files.iter().chain(&ledger.tus) {
        let response = client.get(format!("{base}{path}")).answer().await;
        if response.status() != StatusCode::OK || sha_hex(&response.bytes().await.unwrap()) != *sha
        {
            bad_files += 1;
        }
    }
    let keys: Vec<String> = ledger.jobs.clone();
    let missing = eventually(
        "every acknowledged job to run",
        Duration::from_secs(120),
        || async {
            let done = jobs_run(app, &keys).await?;
            (done == keys.len()).then_some(keys.len() - done)
        },
    )
    .await;
    let duplicated: i64 =
        sqlx::query_scalar("SELECT count(*) FROM job_effects WHERE job_key = ANY($1) AND runs > 1")
            .bind(&keys)
            .fetch_one(&app.pg)
            .await
            .unwrap();
    (lost_sessions, bad_files, 0, missing, duplicated as usize)
}

#[tokio::test(flavor = "multi_thread")]
async fn any_web_process_serves_any_request() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_any_process").await;
    let rig = Rig::start(&mut app, 3, 1, 0, &[]).await;
    let mut checked = 0;
    for i in 0..9 {
        let client = browser();
        let writer = &rig.webs[i % 3];
        let reader = &rig.webs[(i + 1) % 3];
        let value = format!("v{i}");
        let wrote = client
            .post(writer.url("/api/session"))
            .json(&json!({ "key": "k", "value": value }))
            .answer()
            .await;
        assert_eq!(wrote.status(), StatusCode::NO_CONTENT);
        let read: Value = client.get(reader.url("/api/session")).answer_json().await;
        assert_eq!(
            read["values"]["k"],
            value.as_str(),
            "written on {}, read on {}",
            writer.name,
            reader.name
        );
        let body = random_body(300_000);
        let url = client
            .put(writer.url(&format!("/x{i}.bin")))
            .body(body.clone())
            .answer_text()
            .await;
        let path = curl::path_of(&url);
        let got = client.get(reader.url(&path)).answer_bytes().await;
        assert_eq!(sha_hex(&got), sha_hex(&body));
        checked += 2;
    }
    println!("any-process: {checked} writes read back through a different web process");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_9_storm_loses_nothing_acknowledged() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_kill_storm").await;
    let mut rig = Rig::start(&mut app, 3, 2, 1, &[("MISSED_HEARTBEATS", "3")]).await;
    let seconds = storm_seconds();
    // Steady state first, with the same traffic, for the latency comparison.
    let steady = drive(
        rig.url(""),
        Instant::now() + Duration::from_secs(seconds / 3),
        400_000,
        true,
    )
    .await;
    println!(
        "steady state: {} requests, {} failed; latency p50 {:?} p99 {:?}",
        steady.requests,
        steady.failed,
        steady.percentile(0.5),
        steady.percentile(0.99)
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let driver = tokio::spawn(drive(rig.url(""), deadline, 400_000, true));
    let mut kills = 0;
    while Instant::now() + Duration::from_secs(2) < deadline {
        tokio::time::sleep(Duration::from_millis(rand::rng().random_range(2000..5000))).await;
        if rand::rng().random_bool(0.5) {
            let i = rand::rng().random_range(0..rig.webs.len());
            rig.kill_and_replace_web(&mut app, i).await;
        } else {
            let i = rand::rng().random_range(0..rig.workers.len());
            rig.kill_and_replace_worker(&mut app, i).await;
        }
        kills += 1;
    }
    let ledger = driver.await.unwrap();
    let (sessions, files, _, missing, duplicated) = audit(&app, &rig.url(""), &ledger).await;
    println!(
        "kill -9 storm: {seconds} s, {kills} processes killed and replaced; {} requests ({} failed during kills); \
         checked {} sessions, {} drafts, {} files, {} tus uploads, {} jobs; lost sessions or drafts {sessions}, lost/corrupt files {files}, \
         jobs never run {missing}, jobs run twice {duplicated}; latency p50 {:?} p99 {:?}",
        ledger.requests,
        ledger.failed,
        ledger.sessions.len(),
        ledger.drafts.len(),
        ledger.files.len(),
        ledger.tus.len(),
        ledger.jobs.len(),
        ledger.percentile(0.5),
        ledger.percentile(0.99)
    );
    assert!(
        kills >= 3 && !ledger.files.is_empty() && !ledger.jobs.is_empty() && !ledger.tus.is_empty()
    );
    assert_eq!(
        (sessions, files, missing),
        (0, 0, 0),
        "nothing acknowledged is lost"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_restart_with_sigterm_fails_no_client_request() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_rolling").await;
    let mut rig = Rig::start(&mut app, 3, 1, 0, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(storm_seconds());
    let driver = tokio::spawn(drive(rig.url(""), deadline, 8_000, false));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut restarts = Vec::new();
    for i in 0..rig.webs.len() {
        restarts.push(rig.restart_web_gracefully(&mut app, i).await);
        tokio::time::sleep(Duration::from_secs(2)).await; // health checks see the new one
    }
    let ledger = driver.await.unwrap();
    let (sessions, files, _, missing, _) = audit(&app, &rig.url(""), &ledger).await;
    println!(
        "rolling restart: {} web processes restarted with SIGTERM (exit codes {restarts:?}); {} requests, {} failed; \
         p50 {:?} p99 {:?}",
        restarts.len(),
        ledger.requests,
        ledger.failed,
        ledger.percentile(0.5),
        ledger.percentile(0.99)
    );
    assert!(
        restarts.iter().all(|c| *c == Some(0)),
        "every web exits 0: {restarts:?}"
    );
    assert_eq!(ledger.failed, 0, "HAProxy drained every restarting process");
    assert_eq!((sessions, files, missing), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn clocks_killed_repeatedly_still_enqueue_every_slot_exactly_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_clocks").await;
    let schedule = [("CLOCK_SCHEDULES", "stats-rollup=* * * * * *")];
    let mut clocks = Vec::new();
    for _ in 0..3 {
        clocks.push(app.start(Kind::Clock, &schedule).await);
    }
    let deadline = Instant::now() + Duration::from_secs(storm_seconds());
    let mut kills = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let latest: Option<String> =
            sqlx::query_scalar("SELECT enqueued_by FROM cron_slots ORDER BY slot_at DESC LIMIT 1")
                .fetch_optional(&app.pg)
                .await
                .unwrap();
        if let Some(i) = latest.and_then(|l| {
            clocks
                .iter()
                .position(|c| l.starts_with(&format!("clock-{}-", c.pid())))
        }) {
            clocks[i].kill();
            clocks[i] = app.start(Kind::Clock, &schedule).await;
            kills += 1;
        }
    }
    for clock in &clocks {
        clock.terminate();
    }
    for clock in &mut clocks {
        clock.wait_exit(Duration::from_secs(20)).await;
    }
    let slots: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT slot_at FROM cron_slots ORDER BY slot_at")
            .fetch_all(&app.pg)
            .await
            .unwrap();
    let jobs = count(&app, CRON_JOBS).await;
    let gaps = slots
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_seconds() != 1)
        .count();
    println!(
        "clocks: {kills} enqueueing clocks killed; {} slots, {jobs} jobs, {gaps} gaps",
        slots.len()
    );
    assert!(kills >= 2);
    assert_eq!(gaps, 0, "no slot missed");
    assert_eq!(jobs as usize, slots.len(), "no slot enqueued twice");
}

// Single-node Redis in both modes (FERRY_TEST_REDIS=cluster too): the test stops and
// restarts "the" Redis, a private one it starts itself. Losing one master of a
// cluster is a different failure (its slots fail over or the cluster stops), which
// this suite does not stage.
/// Polls `GET {base}/api/session` as `user` until it answers 200 (30 s at most);
/// `what` names the wait in the timeout's message. The 200 answer.
async fn session_answers(user: &Client, base: &str, what: &str) -> reqwest::Response {
    eventually(what, Duration::from_secs(30), || async {
        let r = user.get(format!("{base}/api/session")).try_answer().await?;
        (r.status() == StatusCode::OK).then_some(r)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_and_postgres_restarts_degrade_and_recover_without_restarting_ferry() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = unique_temp_path("chaos-services");
    let mut pg =
        ferry_dev::services::start_postgres(&dir.join("pg"), ferry_dev::services::free_port())
            .unwrap();
    let mut redis =
        ferry_dev::services::start_redis(&dir.join("redis"), ferry_dev::services::free_port())
            .unwrap();
    let mut app = TestApp::with_services(
        "chaos_backing",
        Some(pg.url.clone()),
        Some(redis.url.clone()),
    )
    .await;
    let rig = Rig::start(&mut app, 2, 1, 0, &[]).await;
    let base = rig.url("");
    let user = browser();
    user.post(format!("{base}/api/session"))
        .json(&json!({ "key": "k", "value": "v" }))
        .answer()
        .await;
    let body = random_body(1_500_000);
    let path = put_file(&format!("{base}/kept.bin"), body.clone()).await;

    // Redis restarts and loses everything: visitors get fresh sessions, not errors.
    redis.stop();
    let during = reqwest::Client::new()
        .get(rig.webs[0].url("/readyz"))
        .answer()
        .await;
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    redis.start().unwrap();
    let fresh = session_answers(&user, &base, "sessions to work again").await;
    assert_eq!(
        fresh.json::<Value>().await.unwrap()["values"],
        json!({}),
        "a lost session is a fresh one"
    );
    let wrote = user
        .post(format!("{base}/api/session"))
        .json(&json!({ "key": "k", "value": "again" }))
        .answer()
        .await;
    assert_eq!(wrote.status(), StatusCode::NO_CONTENT);

    // Postgres restarts: 503 with Retry-After meanwhile, then everything is back. The
    // webs' pools are busy just before, and the restart takes well under a second, so
    // they hold connections to the old server that were in use moments ago: a pool
    // that trusts such a connection without a look fails the first requests after
    // the restart (each web's burst below).
    let urls: Vec<String> = rig
        .webs
        .iter()
        .flat_map(|web| std::iter::repeat_n(web.url(&path), 6))
        .collect();
    let burst = |label: &'static str| whole_downloads(urls.clone(), sha_hex(&body), label);
    burst("before the restart").await;
    let stopping = std::time::Instant::now();
    pg.stop();
    pg.start().unwrap();
    // Ready for queries (not only accepting connections), on a connection of our own.
    eventually(
        "Postgres to answer a query",
        Duration::from_secs(30),
        || async {
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.ok()?;
            sqlx::query("SELECT 1").execute(&mut conn).await.ok()
        },
    )
    .await;
    eprintln!(
        "Postgres restarted in {:?} (the pools' connections to the old server were \
         used less than a second before)",
        stopping.elapsed()
    );
    burst("right after a quick restart").await;

    // A longer outage: requests meanwhile get 503 with Retry-After.
    pg.stop();
    let refused = reqwest::Client::new()
        .put(rig.webs[1].url("/during.bin"))
        .body(vec![1u8; 1000])
        .answer()
        .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));
    pg.start().unwrap();
    eventually("uploads to work again", Duration::from_secs(60), || async {
        let r = reqwest::Client::new()
            .put(format!("{base}/after.bin"))
            .body(vec![2u8; 1000])
            .try_answer()
            .await?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    let got = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .answer()
        .await;
    assert_eq!(got.status(), StatusCode::OK, "GET {path} through HAProxy");
    assert_eq!(
        sha_hex(&got.bytes().await.unwrap()),
        sha_hex(&body),
        "acknowledged bytes survived the restart"
    );
    for web in &rig.webs {
        assert!(
            web.log().contains("web listening"),
            "same processes throughout"
        );
    }
    drop(rig);
    drop(app);
    drop(pg);
    drop(redis);
    let _ = std::fs::remove_dir_all(dir);
}

// Single-node Redis in both modes, for the same reason as the test above: it restarts
// a private Redis of its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_redis_restart_that_keeps_its_data_keeps_every_session_and_draft() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = unique_temp_path("chaos-aof");
    let mut redis =
        ferry_dev::services::start_persistent_redis(&dir, ferry_dev::services::free_port())
            .unwrap();
    let mut app = TestApp::with_services("chaos_redis_kept", None, Some(redis.url.clone())).await;
    let rig = Rig::start(&mut app, 2, 0, 0, &[]).await;
    let base = rig.url("");
    let users: Vec<Client> = (0..20).map(|_| browser()).collect();
    for (i, user) in users.iter().enumerate() {
        let wrote = user
            .post(format!("{base}/api/session"))
            .json(&json!({ "key": "k", "value": format!("kept-{i}") }))
            .answer()
            .await;
        assert_eq!(wrote.status(), StatusCode::NO_CONTENT);
    }
    let drafter = browser();
    let draft_name = draft_one(&drafter, &base).await.expect("draft upload");
    redis.stop();
    redis.start().unwrap();
    let mut kept = 0;
    for (i, user) in users.iter().enumerate() {
        let read = session_answers(user, &base, "sessions to be readable").await;
        if read.json::<Value>().await.unwrap()["values"]["k"] == format!("kept-{i}").as_str() {
            kept += 1;
        }
    }
    let page = drafter
        .get(format!("{base}/"))
        .header("Accept", "text/html")
        .answer_text()
        .await;
    println!("redis restart with data kept: {kept}/20 sessions and the draft survived");
    assert_eq!(
        kept, 20,
        "every session survives a Redis restart that keeps its data"
    );
    assert!(page.contains(&draft_name), "the draft survives too");
    drop(rig);
    drop(app);
    drop(redis);
    let _ = std::fs::remove_dir_all(dir);
}

/// Puts one small file into `client`'s draft (the web UI's flow: tus draft upload,
/// then `POST /draft` with the page's CSRF token). Returns the file name once the
/// draft acknowledged it, `None` if any step failed.
async fn draft_one(client: &Client, base: &str) -> Option<String> {
    let html = client
        .get(format!("{base}/"))
        .header("Accept", "text/html")
        .try_answer_text()
        .await?;
    let csrf = html
        .split(r#"name="csrf-token" content=""#)
        .nth(1)?
        .split('"')
        .next()?
        .to_owned();
    let draft_token = html
        .split(r#"data-draft-token=""#)
        .nth(1)?
        .split('"')
        .next()?
        .to_owned();
    let name = format!("draft-{}.txt", rand::rng().random::<u32>());
    let created =
        harness::tus::create_draft_upload(client, base, &name, b"draft".to_vec(), &draft_token)
            .await
            .ok()
            .filter(|r| {
                r.status() == StatusCode::CREATED
                    && r.headers().get("upload-offset").is_some_and(|v| v == "5")
            })?;
    let id = harness::tus::upload_id(&created)?;
    let added = client
        .post(format!("{base}/draft"))
        .header("X-CSRF-Token", csrf)
        .json(&json!({ "upload_id": id }))
        .try_answer()
        .await?;
    (added.status() == StatusCode::OK).then_some(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn scaling_workers_up_and_down_while_jobs_flow_drains_the_queue() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_scale").await;
    let mut rig = Rig::start(&mut app, 1, 1, 0, &[]).await;
    let client = Client::new();
    let mut keys = Vec::new();
    for round in 0..3 {
        for i in 0..60 {
            let key = format!("scale-{round}-{i}");
            let r = client
                .post(rig.url("/api/jobs/demo"))
                .json(&json!({ "key": key, "work_ms": 100 }))
                .answer()
                .await;
            assert_eq!(r.status(), StatusCode::ACCEPTED);
            keys.push(key);
        }
        match round {
            0 => {
                for _ in 0..3 {
                    rig.add_worker(&mut app).await;
                }
            }
            1 => {
                while rig.workers.len() > 1 {
                    let mut worker = rig.workers.pop().unwrap();
                    worker.terminate();
                    assert_eq!(
                        worker
                            .wait_exit(Duration::from_secs(40))
                            .await
                            .and_then(|s| s.code()),
                        Some(0)
                    );
                }
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let started = Instant::now();
    eventually("the queue to drain", Duration::from_secs(120), || async {
        (jobs_run(&app, &keys).await? == keys.len()).then_some(())
    })
    .await;
    let twice: i64 = sqlx::query_scalar("SELECT count(*) FROM job_effects WHERE runs > 1")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    println!(
        "scale 1→4→1: {} jobs, drained {:?} after the last enqueue, run twice {twice}",
        keys.len(),
        started.elapsed()
    );
    // Nothing stuck: a job's effect is written by its handler and its row acked just
    // after, so the last few rows may still say Running for a few milliseconds once
    // every effect is in. Well within a lease, never needing the orphan sweep.
    eventually(
        "every job row to be acked",
        Duration::from_secs(10),
        || async {
            let pending: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM apalis.jobs WHERE status IN ('Pending', 'Queued', 'Running')",
            )
            .fetch_one(&app.pg)
            .await
            .ok()?;
            (pending == 0).then_some(())
        },
    )
    .await;
}

/// `program` (honcho or foreman) run from the repository root with `app`'s
/// environment, the `ferry` under test first on PATH, and only what the runner adds
/// (`PORT`) on top: the platform-style invocation docs/deploy.md documents. A missing
/// runner fails the test with the command that installs it.
fn procfile_runner(app: &TestApp, program: &str) -> std::process::Command {
    let (version, install) = match program {
        "honcho" => ("--version", "pip install honcho"),
        _ => ("version", "apt-get install ruby-foreman"),
    };
    assert!(
        std::process::Command::new(program)
            .arg(version)
            .output()
            .is_ok_and(|out| out.status.success()),
        "{program} is not installed; install it: {install}"
    );
    let bin_dir = std::path::Path::new(harness::FERRY)
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let template = app.command(&["--help"], &[]);
    let mut command = std::process::Command::new(program);
    command
        .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_clear()
        .envs(
            template
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("PATH", path);
    command
}

/// Waits until every web process on `ports` (of a Procfile runner) is ready.
async fn wait_ready(http: &Client, ports: &[u16]) {
    for port in ports {
        eventually(
            "the runner's web processes to be ready",
            Duration::from_secs(30),
            || async {
                http.get(format!("http://127.0.0.1:{port}/readyz"))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            },
        )
        .await;
    }
}

/// What README and docs/deploy.md tell Procfile users to run, as written: the release
/// process alone first (honcho and foreman would otherwise run it beside the others
/// and stop everything when it exits), then the long-running types with a formation.
/// Waits (20 s at most) until `ferry admin ps` counts the live processes as `formation`
/// (`web=2 worker=2 clock=1`); `what` names the wait in the timeout's message.
async fn admin_ps_shows(app: &TestApp, formation: &str, what: &str) {
    eventually(what, Duration::from_secs(20), || async {
        let out = app.command(&["admin", "ps"], &[]).output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .contains(formation)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_runner_invocations_migrate_then_run_the_formation() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = TestApp::new("procfile_runners").await;
    for (runner, args) in [
        (
            "honcho",
            &["start", "--no-colour", "-f", "Procfile", "release"][..],
        ),
        ("foreman", &["start", "-f", "Procfile", "release"][..]),
    ] {
        let out = procfile_runner(&app, runner)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{runner} start release failed:\n{text}"
        );
        assert!(text.contains("migrations applied"), "{runner}: {text}");
    }

    // foreman gives each process type a block of 100 ports by its place in the
    // Procfile: web (second) gets PORT+100, PORT+101.
    let base = ferry_dev::services::free_port()
        .saturating_sub(400)
        .max(20_000);
    let mut foreman = procfile_runner(&app, "foreman")
        .args([
            "start",
            "-f",
            "Procfile",
            "-m",
            "web=2,worker=2,clock=1",
            "-p",
        ])
        .arg(base.to_string())
        .env("BIND_ADDRESS", "127.0.0.1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = Client::new();
    wait_ready(&http, &[base + 100, base + 101]).await;
    admin_ps_shows(
        &app,
        "web=2 worker=2 clock=1",
        "the formation in the registry",
    )
    .await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(foreman.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    while foreman.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "foreman did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin_ps_shows(
        &app,
        "web=0 worker=0 clock=0",
        "every process to leave the registry",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_procfile_runs_under_honcho_behind_haproxy_and_stops_cleanly() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = TestApp::new("chaos_honcho").await;
    let base_port = ferry_dev::services::free_port()
        .saturating_sub(300)
        .max(20_000);
    let mut honcho = procfile_runner(&app, "honcho");
    honcho
        .args([
            "start",
            "--no-colour",
            "-f",
            "Procfile",
            "-c",
            "web=2,worker=2,clock=2",
            "web",
            "worker",
            "clock",
        ])
        .env("PORT", base_port.to_string())
        .env("BIND_ADDRESS", "127.0.0.1")
        .env("PYTHONUNBUFFERED", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = honcho.spawn().unwrap();
    let output = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(output), &mut text);
        text
    });
    let http = Client::new();
    wait_ready(&http, &[base_port, base_port + 1]).await;
    let dir = std::env::temp_dir().join(format!("ferry-honcho-{}", child.id()));
    let (mut haproxy, lb) =
        harness::rig::start_haproxy(&dir, &[base_port, base_port + 1], &http).await;
    let body = random_body(200_000);
    let path = put_file(&format!("http://127.0.0.1:{lb}/h.bin"), body.clone()).await;
    for _ in 0..2 {
        let got = http
            .get(format!("http://127.0.0.1:{lb}{path}"))
            .answer_bytes()
            .await;
        assert_eq!(
            sha_hex(&got),
            sha_hex(&body),
            "served by either web process"
        );
    }
    let job = http
        .post(format!("http://127.0.0.1:{lb}/api/jobs/demo"))
        .json(&json!({ "key": "honcho" }))
        .answer()
        .await;
    assert_eq!(job.status(), StatusCode::ACCEPTED);
    admin_ps_shows(
        &app,
        "web=2 worker=2 clock=2",
        "all six processes in the registry",
    )
    .await;
    eventually(
        "a honcho worker to run the job",
        Duration::from_secs(30),
        || async {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM job_effects WHERE job_key = 'honcho'")
                    .fetch_one(&app.pg)
                    .await
                    .ok()?;
            (n == 1).then_some(())
        },
    )
    .await;
    let _ = haproxy.kill();
    let _ = haproxy.wait();
    let _ = std::fs::remove_dir_all(&dir);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "honcho did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = reader.join().unwrap();
    let stopped: Vec<&str> = log.lines().filter(|l| l.contains("stopped (rc=")).collect();
    println!(
        "honcho web=2 worker=2 clock=2 stopped ({status}):\n{}",
        stopped.join("\n")
    );
    // honcho itself reports the SIGTERM it was sent (143); what matters is that every
    // process it ran drained and exited 0.
    assert_eq!(stopped.len(), 6, "{log}");
    assert!(
        stopped.iter().all(|l| l.contains("stopped (rc=0)")),
        "{log}"
    );
}

/// The S3 store going away (SIGKILL of its only node) is an outage like Postgres or
/// Redis going away: `/readyz` says which service is down, uploads get 503 (not 500)
/// and keep nothing, and when the store returns Ferry serves every file it had —
/// without restarting — and the bytes of the refused upload are freed. A Garage of the
/// test's own, so no other test sees the outage.
#[tokio::test(flavor = "multi_thread")]
async fn an_object_store_outage_makes_ferry_unready_and_it_recovers_losing_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = unique_temp_path("chaos-garage");
    let mut garage = harness::garage::Garage::start(&dir);
    garage.create_bucket("outage");
    let settings = [
        ("BLOB_STORE", "s3".to_owned()),
        ("S3_ENDPOINT", garage.endpoint.clone()),
        ("S3_BUCKET", "outage".to_owned()),
        ("S3_REGION", harness::garage::REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", garage.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", garage.secret_access_key.clone()),
    ];
    let env: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut app = TestApp::new("chaos_s3_outage").await;
    let web = app.start(Kind::Web, &env).await;
    let http = Client::new();
    let upload =
        |name: &str, body: Vec<u8>| http.put(web.url(&format!("/{name}"))).body(body).send();
    let kept = random_body(6 * 1024 * 1024 + 5);
    let response = upload("kept.bin", kept.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let path = format!(
        "/{}",
        response
            .text()
            .await
            .unwrap()
            .trim()
            .splitn(4, '/')
            .nth(3)
            .unwrap()
    );

    garage.kill();
    let ready = http.get(web.url("/readyz")).answer().await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let report: Value = ready.json().await.unwrap();
    assert_eq!(report["object_store"], "unavailable", "{report}");
    assert_eq!(report["postgres"], "ok", "{report}");
    let refused = upload("refused.bin", random_body(9 * 1024 * 1024))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);

    garage.restart();
    eventually("readiness to return", Duration::from_secs(30), || async {
        let r = http.get(web.url("/readyz")).try_answer().await?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    let back = http.get(web.url(&path)).answer().await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(
        Sha256::digest(back.bytes().await.unwrap()),
        Sha256::digest(&kept)
    );
    let after = random_body(7 * 1024 * 1024);
    let response = upload("after.bin", after.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // What the refused upload wrote is condemned; the sweep frees it once S3 answers.
    let state = ferry_state::State::connect_lazy(&ferry_state::Settings {
        pg_pool_size: 2,
        redis_pool_size: 2,
        blobs: ferry_state::BlobSettings {
            new_blobs: ferry_state::StoreKind::S3,
            s3: Some(ferry_state::S3Settings {
                endpoint: Some(garage.endpoint.clone()),
                bucket: "outage".to_owned(),
                region: harness::garage::REGION.to_owned(),
                access_key_id: garage.access_key_id.clone(),
                secret_access_key: garage.secret_access_key.clone().into(),
                part_size: 8 * 1024 * 1024,
                request_timeout: std::time::Duration::from_secs(60),
            }),
        },
        ..app.state_settings()
    })
    .unwrap();
    state.empty_tombstones(1000).await.unwrap();
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM blobs")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    assert_eq!(
        blobs, 2,
        "the two stored files, no tombstone, no half-written blob"
    );
    let objects = garage.list_objects("outage").await;
    assert_eq!(objects.len(), 2, "one object per stored file: {objects:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

// An administrator (or a pooler, or a failover) ends Ferry's Postgres sessions while
// Postgres stays up: each connection gets its FATAL error and is closed at once. The
// next requests, moments later, must not be the ones to find out. On whatever
// Postgres the suite uses, with TLS when it offers it (`sslmode=prefer`).
#[tokio::test(flavor = "multi_thread")]
async fn postgres_sessions_ended_by_the_server_fail_no_request_after() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut app = TestApp::new("chaos_terminated").await;
    let rig = Rig::start(&mut app, 1, 0, 0, &[]).await;
    let web = &rig.webs[0];
    let body = random_body(3_000_000);
    let path = put_file(&web.url("/ended.bin"), body.clone()).await;
    let urls = vec![web.url(&path); 8];
    whole_downloads(urls.clone(), sha_hex(&body), "before").await;
    let ended: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'ferry' AND datname = current_database()",
    )
    .fetch_all(&app.pg)
    .await
    .unwrap();
    assert!(
        ended.len() >= 2,
        "the burst left the web's pool connections to end"
    );
    // Time for the FATAL and the close to reach the web's sockets, far less than the
    // second after which the pool pings an idle connection anyway.
    tokio::time::sleep(Duration::from_millis(50)).await;
    whole_downloads(urls, sha_hex(&body), "right after the sessions ended").await;
}

/// GETs every URL at once and asserts each answered 200 with the bytes whose SHA-256
/// is `want`.
async fn whole_downloads(urls: Vec<String>, want: String, label: &str) {
    let gets = urls.iter().map(|url| async move {
        let r = reqwest::Client::new().get(url).answer().await;
        (r.status(), r.bytes().await.unwrap())
    });
    for ((status, got), url) in futures::future::join_all(gets).await.into_iter().zip(&urls) {
        let head = String::from_utf8_lossy(&got[..got.len().min(200)]).into_owned();
        assert_eq!(status, StatusCode::OK, "{label}: GET {url}: {head}");
        assert_eq!(
            sha_hex(&got),
            want,
            "{label}: GET {url}: the acknowledged bytes, whole"
        );
    }
}

/// File requests under fire: uploads into one request through three web processes while they are
/// killed and restarted. Every acknowledged upload is the owner's, whole; never more
/// than the request takes; and once the idle sweep has run, the counters are exact.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_into_one_request_while_web_processes_are_killed_lose_nothing_acknowledged() {
    let (mut app, mut webs) = TestApp::with_webs::<3>("request_chaos", &[]).await;
    let (_owner, token) =
        owner_with_request(&webs[0], "chaos@example.com", &[("max_files", "25")]).await;
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut acknowledged: Vec<(String, Vec<u8>)> = Vec::new();
    let mut refused_full = 0;
    for round in 0..8 {
        let ports: Vec<u16> = webs.iter().map(|w| w.port).collect();
        let uploads = futures::future::join_all((0..6).map(|i| {
            let client = client.clone();
            let token = token.clone();
            let port = ports[i % ports.len()];
            let name = format!("r{round}-{i}.bin");
            let body: Vec<u8> = (0..400_000u32)
                .map(|n| (n as u8) ^ (round as u8) ^ (i as u8))
                .collect();
            async move {
                let answer = client
                    .put(format!("http://127.0.0.1:{port}/r/{token}/{name}"))
                    .body(body.clone())
                    .send()
                    .await;
                (name, body, answer.map(|a| a.status()).ok())
            }
        }));
        // One web process is killed while the round's uploads are on their way.
        let victim = round % webs.len();
        let killer = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            webs[victim].kill();
        };
        let (results, ()) = tokio::join!(uploads, killer);
        for (name, body, status) in results {
            match status {
                Some(StatusCode::OK) => acknowledged.push((name, body)),
                Some(StatusCode::PAYLOAD_TOO_LARGE) => refused_full += 1,
                _ => {}
            }
        }
        webs[victim] = app.start(Kind::Web, &[]).await;
    }
    assert!(!acknowledged.is_empty());
    assert!(
        acknowledged.len() <= 25,
        "{} acknowledged",
        acknowledged.len()
    );
    // Every acknowledged upload arrived whole, as the owner's.
    for (name, body) in &acknowledged {
        assert_eq!(
            stored_whole(&app, &token, name, body).await,
            1,
            "{name} acknowledged but not stored whole"
        );
    }
    let (files, _) = arrived(&app, &token).await;
    assert!(files <= 25 && files >= acknowledged.len() as i64);
    // Uploads cut off by a kill still hold their share until the idle sweep removes
    // them; then the counters are exactly what arrived.
    sqlx::query(
        "UPDATE uploads SET expires_at = now() - interval '1 second' WHERE transfer_id IS NULL",
    )
    .execute(&app.pg)
    .await
    .unwrap();
    let _worker = app.start(Kind::Worker, &[]).await;
    let _clock = app.start_clock("abort-idle-uploads=* * * * * *").await;
    let (files, bytes) = arrived(&app, &token).await;
    eventually(
        "the counters to match what arrived",
        Duration::from_secs(60),
        || async { (counters(&app, &token).await == (files, bytes)).then_some(()) },
    )
    .await;
    eprintln!(
        "{} acknowledged, {refused_full} refused as full, {} cut off by kills; {files} files arrived",
        acknowledged.len(),
        48 - acknowledged.len() - refused_full
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn members_uploading_with_api_tokens_while_web_processes_are_killed_lose_nothing_and_strangers_store_nothing()
 {
    const MEMBERS: (&str, &str) = ("UPLOADS", "members");
    let (mut app, mut webs) = TestApp::with_webs::<3>("token_chaos", &[MEMBERS]).await;
    let owner = harness::browser::browser();
    harness::browser::register(&owner, &webs[0], "robot@example.com").await;
    let secret = make_token(&owner, &webs[0], "chaos robot", &["upload", "read"]).await;
    let script = bearer(&secret);
    let stranger = client_with_timeout(Duration::from_secs(30));
    // (name, bytes, share path) of every upload a 200 or 201 acknowledged.
    let mut acknowledged: Vec<(String, Vec<u8>, String)> = Vec::new();
    let mut strangers_stored = 0;
    for round in 0..8 {
        let ports: Vec<u16> = webs.iter().map(|w| w.port).collect();
        let uploads = futures::future::join_all((0..6).map(|i| {
            let (script, stranger) = (script.clone(), stranger.clone());
            let base = format!("http://127.0.0.1:{}", ports[i % ports.len()]);
            let name = format!("t{round}-{i}.bin");
            let body = random_body(300_000 + i * 1000);
            async move {
                let status_and_link = match i {
                    // A stranger tries too: never stored.
                    0 => stranger
                        .put(format!("{base}/{name}"))
                        .body(body.clone())
                        .send()
                        .await
                        .ok()
                        .map(|a| (a.status(), None)),
                    // A tus upload with the token, whole in its creation.
                    1 => script
                        .post(format!("{base}/files/"))
                        .header("Tus-Resumable", "1.0.0")
                        .header("Content-Type", "application/offset+octet-stream")
                        .header("Upload-Length", body.len().to_string())
                        .header(
                            "Upload-Metadata",
                            format!("filename {}", harness::data::b64(name.as_bytes())),
                        )
                        .body(body.clone())
                        .send()
                        .await
                        .ok()
                        .map(|a| {
                            let link = a
                                .headers()
                                .get("X-Share-Url")
                                .map(|v| v.to_str().unwrap().to_owned());
                            (a.status(), link)
                        }),
                    _ => match script
                        .put(format!("{base}/{name}"))
                        .body(body.clone())
                        .send()
                        .await
                    {
                        Ok(a) => {
                            let status = a.status();
                            Some((status, a.text().await.ok()))
                        }
                        Err(_) => None,
                    },
                };
                (i, name, body, status_and_link)
            }
        }));
        let victim = round % webs.len();
        let killer = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            webs[victim].kill();
        };
        let (results, ()) = tokio::join!(uploads, killer);
        for (i, name, body, answer) in results {
            match (i, answer) {
                (0, Some((status, _))) if status.is_success() => strangers_stored += 1,
                (0, Some((status, _))) => assert_eq!(status, StatusCode::UNAUTHORIZED),
                (_, Some((status, Some(link)))) if status.is_success() => {
                    acknowledged.push((name, body, curl::path_of(&link)))
                }
                _ => {}
            }
        }
        webs[victim] = app.start(Kind::Web, &[MEMBERS]).await;
    }
    assert_eq!(
        strangers_stored, 0,
        "an upload without an account was stored"
    );
    assert!(
        acknowledged.len() >= 8,
        "{} acknowledged",
        acknowledged.len()
    );
    // Every acknowledged upload is the member's and reads back whole from any process.
    for (k, (name, body, path)) in acknowledged.iter().enumerate() {
        let got = reqwest::get(webs[k % webs.len()].url(path))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            sha_hex(&got),
            sha_hex(body),
            "{name} acknowledged but not whole"
        );
    }
    let owned = count(
        &app,
        "SELECT count(*) FROM transfers t JOIN users u ON u.id = t.owner_id
         WHERE u.email = 'robot@example.com'",
    )
    .await;
    assert!(owned >= acknowledged.len() as i64, "{owned} owned");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM transfers WHERE owner_id IS NULL"
        )
        .await,
        0
    );
    let listed = script
        .get(webs[1].url("/api/transfers"))
        .answer_json()
        .await;
    assert_eq!(listed["transfers"].as_array().unwrap().len() as i64, owned);
    // Revoked (its row deleted, as /tokens does): every process, the restarted ones
    // too, refuses it at once.
    count(
        &app,
        "WITH r AS (DELETE FROM api_tokens RETURNING 1) SELECT count(*) FROM r",
    )
    .await;
    for web in &webs {
        let answer = script
            .put(web.url("/late.bin"))
            .body(vec![1; 10])
            .answer()
            .await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    eprintln!(
        "{} uploads acknowledged with a token through 8 kills, {owned} transfers owned, 0 stored for strangers",
        acknowledged.len()
    );
}
