//! Black-box tests of operability: Prometheus metrics from every process type, the
//! process registry (`ferry admin ps`), and the admins-only operations view.

mod harness;

use std::time::Duration;

use harness::{Kind, TestApp, eventually};
use reqwest::{Client, StatusCode, redirect::Policy};

fn free_port() -> String {
    ferry_dev::services::free_port().to_string()
}

async fn scrape(app: &TestApp, url: String) -> String {
    app.http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
    let _clock = app
        .start(
            Kind::Clock,
            &[
                ("METRICS_PORT", &clock_port),
                ("CLOCK_SCHEDULES", "purge-expired=* * * * * *"),
            ],
        )
        .await;
    let url = app
        .http
        .put(web.url("/m.bin"))
        .body(vec![9u8; 200_000])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = format!("/{}", url.trim().splitn(4, '/').nth(3).unwrap());
    assert_eq!(
        app.http
            .get(web.url(&path))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len(),
        200_000
    );

    assert_eq!(
        app.http
            .get(web.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
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
    let text = eventually(
        "the worker to report a finished job",
        Duration::from_secs(30),
        || {
            let (app, url) = (&app, worker_metrics.clone());
            async move {
                let text = app.http.get(url).send().await.ok()?.text().await.ok()?;
                text.contains(r#"ferry_job_runs_total{queue="ferry.finish",outcome="ok"} 1"#)
                    .then_some(text)
            }
        },
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
    eventually(
        "the clock to report enqueued slots",
        Duration::from_secs(30),
        || {
            let (app, url) = (&app, clock_metrics.clone());
            async move {
                let text = app.http.get(url).send().await.ok()?.text().await.ok()?;
                text.contains(
                    r#"ferry_cron_slots_total{schedule="purge-expired",outcome="enqueued"}"#,
                )
                .then_some(())
            }
        },
    )
    .await;
}

fn ps(app: &TestApp) -> String {
    let out = app.command(&["admin", "ps"], &[]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_ps_lists_live_processes_and_forgets_stopped_and_killed_ones() {
    let mut app = TestApp::new("admin_ps").await;
    let _web = app.start(Kind::Web, &[]).await;
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

#[tokio::test(flavor = "multi_thread")]
async fn the_operations_view_is_for_admins_only() {
    let mut app = TestApp::new("admin_view").await;
    let web = app.start(Kind::Web, &[]).await;
    let _clock = app.start(Kind::Clock, &[]).await;
    let client = Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let html = client
        .get(web.url("/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split(r#"name="csrf-token" content=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let signup = client
        .post(web.url("/signup"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "ops@example.org"),
            ("password", "operations password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        client.get(web.url("/admin")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    let out = app
        .command(&["admin", "users", "make-admin", "ops@example.org"], &[])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view = eventually(
        "the clock to show up in the view",
        Duration::from_secs(20),
        || async {
            let html = client
                .get(web.url("/admin"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
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
        anonymous
            .get(web.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}
