//! Item 2: a default deployment serves no test scaffolding.

use reqwest::StatusCode;
use serde_json::json;

use std::time::Duration;

use crate::harness::http::Exchange;
use crate::harness::{Kind, TestApp, count, eventually};

#[tokio::test(flavor = "multi_thread")]
async fn a_default_deployment_answers_404_to_the_demo_job_and_session_endpoints() {
    let mut app = TestApp::new("adv_no_scaffolding").await;
    app.unset_env.push("FERRY_TEST_ENDPOINTS");
    let web = app.start(Kind::Web, &[]).await;

    let job = app
        .http
        .post(web.url("/api/jobs/demo"))
        .json(&json!({ "key": "attacker", "work_ms": 600_000 }))
        .answer()
        .await;
    assert_eq!(job.status(), StatusCode::NOT_FOUND);
    let write = app
        .http
        .post(web.url("/api/session"))
        .json(&json!({ "key": "blob", "value": "x".repeat(4000) }))
        .answer()
        .await;
    assert_eq!(write.status(), StatusCode::NOT_FOUND);
    let read = app.get(web.url("/api/session")).await;
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT count(*) FROM apalis.jobs").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_job_type_is_still_queued_by_the_admin_cli_and_run_by_a_worker() {
    let mut app = TestApp::new("adv_demo_via_admin").await;
    app.unset_env.push("FERRY_TEST_ENDPOINTS");
    let _worker = app.start(Kind::Worker, &[]).await;
    let out = app.admin(&["jobs", "demo", "--key", "drill-1"]);
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(printed["id"].as_str().is_some_and(|id| !id.is_empty()));
    eventually("the demo job to run", Duration::from_secs(30), || async {
        (count(
            &app,
            "SELECT count(*) FROM job_effects WHERE job_key = 'drill-1'",
        )
        .await
            == 1)
            .then_some(())
    })
    .await;
}
