//! Black-box tests of operability: Prometheus metrics from every process type, the
//! process registry (`ferry admin ps`), and the admins-only operations view.

mod harness;

use harness::http::Exchange;

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    time::Duration,
};

use ferry_state::{Settings, State};
use futures::StreamExt;
use harness::browser::{STRONG_PASSWORD, sign_in, sign_up};
use harness::{Kind, TestApp, curl, eventually};
use reqwest::{Client, StatusCode, redirect::Policy};

fn free_port() -> String {
    ferry_dev::services::free_port().to_string()
}

async fn scrape(app: &TestApp, url: String) -> String {
    app.http.get(url).answer_text().await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_process_type_exposes_prometheus_metrics() {
    let mut app = TestApp::new("metrics").await;
    let web_port = free_port();
    let web = app.start(Kind::Web, &[("METRICS_PORT", &web_port)]).await;
    let worker_port = free_port();
    let clock_port = free_port();
    let _worker = app
        .start(Kind::Worker, &[("METRICS_PORT", &worker_port)])
        .await;
    // Before any job: every queue's gauges exist, at 0.
    eventually(
        "the worker to export queue gauges at 0",
        Duration::from_secs(20),
        || async {
            let url = format!("http://127.0.0.1:{worker_port}/metrics");
            let text = app.http.get(url).try_answer_text().await?;
            [
                r#"ferry_queue_jobs{queue="ferry.finish",status="Pending"} 0"#,
                r#"ferry_queue_jobs{queue="ferry.bundle",status="Running"} 0"#,
                r#"ferry_queue_jobs{queue="ferry.purge",status="Failed"} 0"#,
            ]
            .iter()
            .all(|line| text.contains(line))
            .then_some(())
        },
    )
    .await;
    let _clock = app
        .start(
            Kind::Clock,
            &[
                ("METRICS_PORT", &clock_port),
                ("CLOCK_SCHEDULES", "purge-expired=* * * * * *"),
            ],
        )
        .await;
    let path = harness::put_file(&web.url("/m.bin"), vec![9u8; 200_000]).await;
    assert_eq!(
        app.http.get(web.url(&path)).answer_bytes().await.len(),
        200_000
    );

    assert_eq!(
        app.get(web.url("/metrics")).await.status(),
        reqwest::StatusCode::NOT_FOUND,
        "metrics are not served on the public port"
    );
    let text = scrape(&app, format!("http://127.0.0.1:{web_port}/metrics")).await;
    for needle in [
        r#"ferry_http_requests_total{route="/{name}",method="PUT",status="200"} 1"#,
        r#"ferry_http_request_duration_seconds_bucket{route="/{first}/{second}",method="GET","#,
        "ferry_upload_bytes_total 200000",
        "ferry_download_bytes_total 200000",
        r#"process_start_time_seconds{process="web"}"#,
    ] {
        assert!(
            text.contains(needle),
            "web /metrics lacks {needle}:\n{text}"
        );
    }
    assert!(
        !text.contains(&path[1..23]),
        "tokens never become label values"
    );

    let worker_metrics = format!("http://127.0.0.1:{worker_port}/metrics");
    let text = metrics_showing(
        &app,
        worker_metrics,
        r#"ferry_job_runs_total{queue="ferry.finish",outcome="ok"} 1"#,
        "the worker to report a finished job",
    )
    .await;
    assert!(
        text.contains(r#"ferry_queue_jobs{queue="ferry.finish""#),
        "the worker reports queue depths: {text}"
    );
    assert!(
        text.contains(r#"ferry_job_wait_seconds_count{queue="ferry.finish"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"ferry_job_run_seconds_count{queue="ferry.finish"}"#),
        "{text}"
    );

    let clock_metrics = format!("http://127.0.0.1:{clock_port}/metrics");
    metrics_showing(
        &app,
        clock_metrics,
        r#"ferry_cron_slots_total{schedule="purge-expired",outcome="enqueued"}"#,
        "the clock to report enqueued slots",
    )
    .await;
}

/// Polls the metrics at `url` (30 s at most) until they contain `needle`; `what` names
/// the wait in the timeout's message. The text that did.
async fn metrics_showing(app: &TestApp, url: String, needle: &str, what: &str) -> String {
    eventually(what, Duration::from_secs(30), || {
        let (app, url) = (app, url.clone());
        async move {
            let text = app.http.get(url).try_answer_text().await?;
            text.contains(needle).then_some(text)
        }
    })
    .await
}

fn ps(app: &TestApp) -> String {
    app.admin(&["ps"])
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_ps_lists_live_processes_and_forgets_stopped_and_killed_ones() {
    let (mut app, _web) = TestApp::with_web("admin_ps", &[]).await;
    let mut worker = app.start(Kind::Worker, &[]).await;
    let mut clock = app.start(Kind::Clock, &[]).await;
    eventually(
        "all three to heartbeat",
        Duration::from_secs(20),
        || async { ps(&app).contains("web=1 worker=1 clock=1").then_some(()) },
    )
    .await;
    worker.terminate();
    assert_eq!(
        worker
            .wait_exit(Duration::from_secs(20))
            .await
            .unwrap()
            .code(),
        Some(0)
    );
    assert!(
        ps(&app).contains("web=1 worker=0 clock=1"),
        "a stopped process unregisters at once"
    );
    clock.kill();
    eventually(
        "a killed process to drop out when its heartbeat expires",
        Duration::from_secs(30),
        || async { ps(&app).contains("web=1 worker=0 clock=0").then_some(()) },
    )
    .await;
}

/// `redis-cli MONITOR` on every Redis server of `app` (each node, on a cluster),
/// writing what it sees to a file.
struct Monitor {
    watchers: Vec<(Child, std::path::PathBuf)>,
}

impl Monitor {
    async fn start(app: &TestApp) -> Monitor {
        let mut watchers = Vec::new();
        for node in app.redis_nodes() {
            let path = std::env::temp_dir().join(format!(
                "ferry-monitor-{}.log",
                uuid::Uuid::new_v4().simple()
            ));
            let file = std::fs::File::create(&path).unwrap();
            let child = Command::new("redis-cli")
                .args(["-u", &node, "monitor"])
                .stdin(Stdio::null())
                .stdout(file)
                .spawn()
                .expect("redis-cli monitor");
            watchers.push((child, path));
        }
        let monitor = Monitor { watchers };
        eventually("MONITOR to start", Duration::from_secs(10), || async {
            monitor
                .lines()
                .len()
                .ge(&monitor.watchers.len())
                .then_some(())
        })
        .await;
        monitor
    }

    /// Every line seen so far (the first of each server is its `OK`).
    fn lines(&self) -> Vec<String> {
        self.watchers
            .iter()
            .flat_map(|(_, path)| {
                std::fs::read_to_string(path)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        for (child, path) in &mut self.watchers {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The quoted arguments of a MONITOR line that are keys of this app (they start
/// with its prefix).
fn keys_in(line: &str, prefix: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .filter(|arg| arg.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_ps_reads_the_registry_alone_however_many_sessions_redis_holds() {
    let (mut app, _web) = TestApp::with_web("admin_ps_no_scan", &[]).await;
    let _clock = app.start(Kind::Clock, &[]).await;
    // Arrange: many other keys under the app's prefix, as a busy site has sessions.
    let state = State::connect_lazy(&Settings {
        pg_pool_size: 1,
        redis_pool_size: 8,
        ..app.state_settings()
    })
    .unwrap();
    let visitor = HashMap::from([("user".to_owned(), "\"someone\"".to_owned())]);
    let saves = (0..500).map(|_| state.save_session(&visitor, Duration::from_secs(600)));
    futures::future::try_join_all(saves).await.unwrap();
    eventually("both to heartbeat", Duration::from_secs(20), || async {
        ps(&app).contains("web=1 worker=0 clock=1").then_some(())
    })
    .await;

    // Act: list the processes while watching every command Redis runs.
    let monitor = Monitor::start(&app).await;
    let listed = ps(&app);
    eventually(
        "MONITOR to show the registry read",
        Duration::from_secs(10),
        || async {
            monitor
                .lines()
                .iter()
                .any(|l| l.contains("ZRANGEBYSCORE") && l.contains(&app.redis_prefix))
                .then_some(())
        },
    )
    .await;
    let lines = monitor.lines();
    drop(monitor);

    // Assert: it found both, without walking the keyspace: every command that names
    // a key of this app names a registry key, and nothing scans.
    assert!(listed.contains("web=1 worker=0 clock=1"), "{listed}");
    let ours: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(&app.redis_prefix))
        .collect();
    assert!(!ours.is_empty(), "MONITOR saw the registry read");
    for line in &ours {
        let upper = line.to_uppercase();
        assert!(
            !upper.contains("\"SCAN\"") && !upper.contains("\"KEYS\""),
            "listing processes walks the keyspace: {line}"
        );
        for key in keys_in(line, &app.redis_prefix) {
            assert!(
                key.contains("{processes}"),
                "listing processes touched {key}: {line}"
            );
        }
    }
    println!(
        "admin ps with 500 sessions in Redis: {} commands on this app's keys, all on the registry",
        ours.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_logs_one_line_with_numbers_and_an_ordinary_404_is_info() {
    let (app, web) = TestApp::with_web("access_log", &[("RUST_LOG", "info")]).await;
    let missing = app
        .http
        .get(web.url("/AAAAAAAAAAAAAAAAAAAAAA/secret-name.txt"))
        .header("user-agent", "access-log-probe")
        .answer()
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let favicon = app.get(web.url("/favicon.ico")).await;
    assert_eq!(favicon.status(), StatusCode::OK);
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");

    let line = eventually("the 404's access line", Duration::from_secs(10), || async {
        web.log()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|v| {
                v["message"] == "request" && v["span"]["http.user_agent"] == "access-log-probe"
            })
    })
    .await;
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["http.status_code"], 404, "a number: {line}");
    assert_eq!(line["http.method"], "GET");
    assert_eq!(
        line["http.route"], "/{first}/{second}",
        "the route, never the path"
    );
    assert!(line["duration_ms"].is_f64(), "a number: {line}");
    let log = web.log();
    assert!(
        !log.contains("secret-name"),
        "the path never reaches the log"
    );
    assert!(!log.contains(r#""level":"WARN""#), "nothing at warn: {log}");
    assert!(!log.contains(r#""message":"close""#), "no span-close lines");

    // RUST_LOG is part of the documented configuration, and checked like the rest.
    let help = app.command(&["web", "--help"], &[]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("RUST_LOG"));
    let bad = app
        .command(&["web"], &[("RUST_LOG", "info,ferry_state=loud")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("RUST_LOG"), "{stderr}");
}

/// Runs `ferry admin args…` for `app`: success, stdout, stderr.
fn admin(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = app
        .command(&[&["admin"], args].concat(), &[])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_takes_down_a_transfer_and_its_link_is_404_and_its_bytes_gone_at_once() {
    let (app, web) = TestApp::with_web("admin_takedown", &[]).await;
    let bytes = vec![7u8; 6 * 1024 * 1024];
    let put = curl::put(&app.http, &web, "report.pdf", bytes, &[]).await;
    assert!(put.status().is_success());
    let link = put.text().await.unwrap().trim().to_owned();
    let token = link.rsplit('/').nth(1).unwrap().to_owned();

    let (ok, shown, err) = admin(&app, &["transfers", "show", &token]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    assert_eq!(shown["live"], true);
    assert_eq!(shown["files"][0]["name"], "report.pdf");
    assert_eq!(shown["files"][0]["size"], 6 * 1024 * 1024);

    let (ok, _, err) = admin(&app, &["transfers", "delete", &token]);
    assert!(ok, "{err}");
    assert_eq!(app.get(&link).await.status(), StatusCode::NOT_FOUND);
    // Purged before the command returned: no rows, no chunks, no objects.
    assert_eq!(
        harness::count(&app, "SELECT count(*) FROM transfers").await,
        0
    );
    assert_eq!(harness::count(&app, "SELECT count(*) FROM blobs").await, 0);
    assert_eq!(
        harness::count(&app, "SELECT count(*) FROM blob_chunks").await,
        0
    );
    if harness::s3_mode() {
        assert_eq!(app.s3_objects().await, Vec::<String>::new());
    }
    let (ok, _, err) = admin(&app, &["transfers", "show", &token]);
    assert!(!ok && err.contains("no transfer"), "{err}");
    let (ok, _, err) = admin(&app, &["transfers", "delete", &token]);
    assert!(!ok && err.contains("no transfer"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_lists_resets_and_deletes_accounts() {
    let (app, web) = TestApp::with_web("admin_users", &[]).await;
    let client = harness::browser::browser();
    let email = "someone@example.org";
    assert_eq!(
        sign_up(&client, &web, email, STRONG_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let put = curl::put(&app.http, &web, "theirs.txt", "their file", &[]).await;
    let link = put.text().await.unwrap().trim().to_owned();
    // Ownership as the upload page records it for a signed-in sender (ui.rs covers
    // that flow); here only who owns it matters.
    sqlx::query("UPDATE transfers SET owner_id = (SELECT id FROM users WHERE email = $1)")
        .bind(email)
        .execute(&app.pg)
        .await
        .unwrap();

    let (ok, listed, err) = admin(&app, &["users", "list"]);
    assert!(ok, "{err}");
    let listed: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(listed["email"], email);
    assert_eq!(listed["live_transfers"], 1);

    let (ok, reset, err) = admin(&app, &["users", "reset-password", email]);
    assert!(ok, "{err}");
    let reset: serde_json::Value = serde_json::from_str(reset.trim()).unwrap();
    let password = reset["password"].as_str().unwrap().to_owned();
    let fresh = harness::browser::browser();
    assert_ne!(
        sign_in(&fresh, &web, email, STRONG_PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the old password no longer signs in"
    );
    assert_eq!(
        sign_in(&fresh, &web, email, &password).await.status(),
        StatusCode::SEE_OTHER,
        "the new one does"
    );

    let (ok, deleted, err) = admin(&app, &["users", "delete", email]);
    assert!(ok, "{err}");
    assert!(deleted.contains(r#""transfers_taken_down":1"#), "{deleted}");
    assert_eq!(app.get(&link).await.status(), StatusCode::NOT_FOUND);
    let (ok, listed, _) = admin(&app, &["users", "list"]);
    assert!(ok && listed.trim().is_empty(), "{listed}");
    let again = harness::browser::browser();
    assert_ne!(
        sign_in(&again, &web, email, &password).await.status(),
        StatusCode::SEE_OTHER
    );
    let (ok, _, err) = admin(&app, &["users", "reset-password", email]);
    assert!(!ok && err.contains("no user"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn blobs_sweep_frees_what_a_killed_upload_left_behind() {
    let mut app = TestApp::new("admin_sweep").await;
    let mut web = app.start(Kind::Web, &[]).await;
    // 6 MiB (a whole chunk or S3 part is stored), then the client goes quiet.
    let body = futures::stream::iter(
        (0..6).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![1u8; 1024 * 1024]))),
    )
    .chain(futures::stream::pending());
    let request = app
        .http
        .put(web.url("/interrupted.bin"))
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let upload = tokio::spawn(request);
    harness::count_eventually(
        &app,
        "a chunk of the upload to be stored",
        Duration::from_secs(20),
        "SELECT count(*) FROM blobs WHERE size > 0",
        |stored| stored > 0,
    )
    .await;
    web.kill();
    let _ = upload.await;
    assert!(harness::count(&app, "SELECT count(*) FROM blobs").await > 0);

    // A blob written seconds ago is left alone by default (it could be mid-upload).
    let (ok, out, err) = admin(&app, &["blobs", "sweep"]);
    assert!(ok, "{err}");
    assert!(out.contains(r#""orphan_blobs_freed":0"#), "{out}");
    let (ok, out, err) = admin(&app, &["blobs", "sweep", "--older-than", "0s"]);
    assert!(ok, "{err}");
    assert!(!out.contains(r#""orphan_blobs_freed":0"#), "{out}");
    assert_eq!(harness::count(&app, "SELECT count(*) FROM blobs").await, 0);
    assert_eq!(
        harness::count(&app, "SELECT count(*) FROM blob_chunks").await,
        0
    );
    if harness::s3_mode() {
        assert_eq!(app.s3_objects().await, Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operations_view_is_for_admins_only() {
    let (mut app, web) = TestApp::with_web("admin_view", &[]).await;
    let _clock = app.start(Kind::Clock, &[]).await;
    let client = harness::browser::browser();
    assert_eq!(
        sign_up(&client, &web, "ops@example.org", STRONG_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Not an admin: the page is not there for them (nor the retry action).
    assert_eq!(
        client.get(web.url("/admin")).answer().await.status(),
        StatusCode::NOT_FOUND
    );
    let retry = client
        .post(web.url("/admin/jobs/1/retry"))
        .form(&[("_csrf", "x")])
        .answer()
        .await;
    assert_eq!(retry.status(), StatusCode::NOT_FOUND);

    app.admin(&["users", "make-admin", "ops@example.org"]);
    let view = eventually(
        "the clock to show up in the view",
        Duration::from_secs(20),
        || async {
            let html = client.get(web.url("/admin")).try_answer_text().await?;
            html.contains("purge-expired").then_some(html)
        },
    )
    .await;
    for needle in [
        "Processes",
        "Queues",
        "Dead jobs",
        "Schedules",
        "web: 1",
        "clock: 1",
    ] {
        assert!(view.contains(needle), "admin view lacks {needle}");
    }
    let anonymous = Client::builder().redirect(Policy::none()).build().unwrap();
    assert_eq!(
        anonymous.get(web.url("/admin")).answer().await.status(),
        StatusCode::NOT_FOUND
    );
}

/// `/openapi.json` describes the API truthfully: schemathesis (PyPI) generates
/// requests for every operation in it — valid and invalid, against a real transfer
/// and a real tus upload as well as unknown ones — and finds no 5xx, no status code,
/// content type or header the description does not list, and no body that breaks its
/// schema. Bounded: 30 examples per operation.
#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_description_holds_against_schemathesis() {
    let version = Command::new("schemathesis").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "schemathesis is not installed; install it: pip install schemathesis==4.32.5"
    );
    let (app, web) = TestApp::with_web("openapi", &[("MAX_UPLOAD_SIZE", "10MiB")]).await;
    let doc: serde_json::Value = app.http.get(web.url("/openapi.json")).answer_json().await;
    assert_eq!(doc["openapi"], "3.1.0");

    // Something real to reach: a transfer with a file, and an unfinished tus upload.
    let url = curl::link(
        &app.http,
        &web,
        "hello.txt",
        "hello from schemathesis\n",
        &[("Max-Downloads", "1000000")],
    )
    .await;
    let token = curl::token_of(&url);
    let created = harness::tus::announce(&app.http, &web.url(""), 100_000).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let upload = harness::tus::upload_id(&created).unwrap();

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/openapi");
    let report = std::env::temp_dir().join(format!("ferry-schemathesis-{}", web.port));
    let out = Command::new("schemathesis")
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .args(["--no-color", "run"])
        .arg(web.url("/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_headers_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "30",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--report-dir",
        ])
        .arg(&report)
        .env("SCHEMATHESIS_HOOKS", dir.join("hooks.py"))
        .env("FERRY_ST_TOKEN", &token)
        .env("FERRY_ST_NAME", "hello.txt")
        .env("FERRY_ST_UPLOAD", &upload)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&report);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "schemathesis found responses the description does not allow:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every operation but GET /openapi.json itself, which schemathesis leaves out.
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| *path != "/openapi.json")
        .map(|(_, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .count()
        })
        .sum();
    assert!(
        stdout.contains(&format!("Tested: {operations}")),
        "every one of the {operations} operations was tested:\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_action_is_in_the_audit_log_on_the_page_and_the_cli_until_its_retention_ends() {
    let (mut app, web) = TestApp::with_web("audit_log", &[]).await;
    let admin = harness::browser::browser();
    harness::browser::register(&admin, &web, "root@example.org").await;
    let bob = harness::browser::browser();
    harness::browser::register(&bob, &web, "bob@example.org").await;
    let url = curl::link(&app.http, &web, "abuse.bin", "bad bytes", &[]).await;
    let token = curl::token_of(&url);

    app.admin(&["users", "make-admin", "root@example.org"]);
    app.admin(&["transfers", "delete", &token]);
    app.admin(&["users", "reset-password", "bob@example.org"]);
    app.admin(&["users", "delete", "bob@example.org"]);
    // An action that did nothing is not an action: no entry.
    let missing = app
        .command(&["admin", "users", "delete", "nobody@example.org"], &[])
        .output()
        .unwrap();
    assert!(!missing.status.success());

    let lines = app.admin(&["audit"]);
    let entries: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let done: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        done,
        [
            ("users.delete", "bob@example.org"),
            ("users.reset_password", "bob@example.org"),
            ("transfers.take_down", token.as_str()),
            ("users.make_admin", "root@example.org"),
        ],
        "{lines}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actor"].as_str().unwrap().starts_with("cli:"))
    );
    assert!(entries.iter().all(|e| e["at"].is_string()));

    // The operations view shows them.
    let (status, html) = harness::browser::page(&admin, web.url("/admin")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("transfers.take_down") && html.contains(&token),
        "{html}"
    );

    // The retention sweep drops what is older than AUDIT_RETENTION, and only that.
    let aged = harness::count(
        &app,
        "WITH a AS (INSERT INTO audit_log (at, actor, action, target)
                    VALUES (now() - interval '40 days', 'cli:old', 'users.delete', 'x@example.org')
                    RETURNING 1) SELECT count(*) FROM a",
    )
    .await;
    assert_eq!(aged, 1);
    let _worker = app.start(Kind::Worker, &[("AUDIT_RETENTION", "30d")]).await;
    let _clock = app.start_clock("retention-sweep=* * * * * *").await;
    harness::count_eventually(
        &app,
        "the sweep to drop the aged entry",
        Duration::from_secs(60),
        "SELECT count(*) FROM audit_log",
        |n| n == 4,
    )
    .await;
    assert_eq!(
        harness::count(
            &app,
            "SELECT count(*) FROM audit_log WHERE actor = 'cli:old'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_pages_manage_users_and_transfers_audited_and_are_not_there_for_anyone_else() {
    use harness::browser::{browser, csrf_of, page, register};
    use harness::tokens::{bearer, make_token};
    let (app, web) = TestApp::with_web("admin_pages", &[]).await;
    let root = browser();
    register(&root, &web, "root@example.org").await;
    app.admin(&["users", "make-admin", "root@example.org"]);
    let alice = browser();
    register(&alice, &web, "alice@example.org").await;
    let script = bearer(&make_token(&alice, &web, "laptop", &["upload"]).await);
    let put = script
        .put(web.url("/quarterly-report.pdf"))
        .body(b"%PDF figures".to_vec())
        .answer_text()
        .await;
    let token = curl::token_of(&put);
    curl::link(&app.http, &web, "cat.gif", "GIF89a", &[]).await;

    // Not an admin, or not signed in: the pages and their actions are not there.
    let anonymous = Client::builder().redirect(Policy::none()).build().unwrap();
    for client in [&alice, &anonymous] {
        for path in ["/admin/users", "/admin/transfers", "/admin/users?q=a"] {
            assert_eq!(
                client.get(web.url(path)).answer().await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let act = client
            .post(web.url("/admin/users"))
            .form(&[
                ("_csrf", "x"),
                ("email", "root@example.org"),
                ("action", "disable"),
            ])
            .answer()
            .await;
        assert_eq!(act.status(), StatusCode::NOT_FOUND);
        let take = client
            .post(web.url(&format!("/admin/transfers/{token}/take-down")))
            .form(&[("_csrf", "x")])
            .answer()
            .await;
        assert_eq!(take.status(), StatusCode::NOT_FOUND);
    }

    // Users: search, then each action, as the signed-in admin.
    let (status, html) = page(&root, web.url("/admin/users?q=ALICE")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("alice@example.org") && !html.contains(r#"value="root@example.org""#),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let act = |action: &'static str, email: &'static str, quota: &'static str| {
        let (root, csrf, url) = (&root, csrf.clone(), web.url("/admin/users"));
        async move {
            root.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("email", email),
                    ("action", action),
                    ("quota", quota),
                ])
                .answer()
                .await
                .status()
        }
    };
    assert_eq!(
        act("disable", "alice@example.org", "").await,
        StatusCode::SEE_OTHER
    );
    // Disabled: her session is over, her token fails, her password gets a plain answer.
    let (_, me) = page(&alice, web.url("/me")).await;
    assert!(!me.contains("alice@example.org"), "{me}");
    let refused = script
        .put(web.url("/more.pdf"))
        .body(b"x".to_vec())
        .answer()
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let again = browser();
    let signin =
        harness::browser::sign_in(&again, &web, "alice@example.org", STRONG_PASSWORD).await;
    assert_eq!(signin.status(), StatusCode::FORBIDDEN);
    assert!(signin.text().await.unwrap().contains("disabled"));
    assert_eq!(
        act("enable", "alice@example.org", "").await,
        StatusCode::SEE_OTHER
    );
    let signin =
        harness::browser::sign_in(&again, &web, "alice@example.org", STRONG_PASSWORD).await;
    assert_eq!(signin.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        act("quota", "alice@example.org", "1MB").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        harness::count(
            &app,
            "SELECT quota_bytes FROM users WHERE email = 'alice@example.org'"
        )
        .await,
        1_000_000
    );
    assert_eq!(
        act("make_admin", "alice@example.org", "").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act("revoke_admin", "alice@example.org", "").await,
        StatusCode::SEE_OTHER
    );
    // An admin does not lock themselves out here.
    assert_eq!(
        act("disable", "root@example.org", "").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        act("disable", "nobody@example.org", "").await,
        StatusCode::NOT_FOUND
    );

    // Transfers: by token, by a file's name, by owner; then a takedown.
    for q in [token.as_str(), "QUARTERLY", "alice@"] {
        let (_, html) = page(&root, web.url(&format!("/admin/transfers?q={q}"))).await;
        assert!(html.contains(&token), "{q}: {html}");
        assert!(!html.contains("cat.gif"), "{q}: {html}");
    }
    let (_, all) = page(&root, web.url("/admin/transfers")).await;
    assert!(all.contains("cat.gif") && all.contains("quarterly-report.pdf"));
    let taken = root
        .post(web.url(&format!("/admin/transfers/{token}/take-down")))
        .form(&[("_csrf", csrf.as_str())])
        .answer()
        .await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    let gone = app
        .http
        .get(web.url(&format!("/{token}/quarterly-report.pdf")))
        .answer()
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    assert_eq!(
        act("delete", "alice@example.org", "").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        harness::count(
            &app,
            "SELECT count(*) FROM users WHERE email = 'alice@example.org'"
        )
        .await,
        0
    );

    // Every one of those is in the audit log, as the admin's.
    let audit = app.admin(&["audit"]);
    for action in [
        "users.disable",
        "users.enable",
        "users.set_quota",
        "users.revoke_admin",
        "transfers.take_down",
        "users.delete",
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(action) && l.contains("\"actor\":\"root@example.org\"")),
            "{action}: {audit}"
        );
    }
    let (_, overview) = page(&root, web.url("/admin")).await;
    assert!(overview.contains("users.delete") && overview.contains("/admin/users"));
}
