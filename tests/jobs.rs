//! Black-box tests of the work done by worker and clock: finishing files (verify,
//! sniff, thumbnail), stored zips, purging expired and deleted transfers, aborting idle
//! uploads — each through the real processes on real Postgres and Redis.

mod harness;

use harness::data::png;
use harness::http::Exchange;
use harness::{curl, tus};

use std::time::Duration;

use harness::{Kind, TestApp, count, counts_eventually, eventually};
use reqwest::StatusCode;
use serde_json::Value;

const EVERY_SECOND: &str = "purge-expired=* * * * * *;abort-idle-uploads=* * * * * *";

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_image_is_verified_sniffed_and_gets_a_thumbnail() {
    let (app, web, _worker) = TestApp::with_web_and_worker("finish_image").await;
    let response = curl::put(
        &app.http,
        &web,
        "holiday.dat",
        png(1200, 800),
        &[("Accept", "application/json")],
    )
    .await;
    let json: Value = response.json().await.unwrap();
    assert_eq!(
        json["files"][0]["content_type"], "application/octet-stream",
        "guessed from the name"
    );
    let token = json["token"].as_str().unwrap().to_owned();

    eventually(
        "the file to be finished",
        Duration::from_secs(30),
        || async {
            (count(&app, "SELECT count(*) FROM files WHERE ready").await == 1).then_some(())
        },
    )
    .await;
    let download = app.head(web.url(&format!("/{token}/holiday.dat"))).await;
    assert_eq!(
        download.headers()["content-type"],
        "image/png",
        "sniffed from the bytes"
    );
    let thumb = app
        .get(web.url(&format!("/thumb/{token}/holiday.dat")))
        .await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (thumb.width(), thumb.height()),
        (320, 213),
        "fits 320×320, aspect kept"
    );
    let status = app.head(web.url(&format!("/{token}/holiday.dat"))).await;
    assert!(status.headers().get("x-remaining-downloads").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_whose_stored_bytes_were_corrupted_is_never_marked_ready_and_its_job_dies_visibly() {
    let (mut app, web) = TestApp::with_web("finish_corrupt", &[("JOB_MAX_ATTEMPTS", "2")]).await;
    let response = curl::put(&app.http, &web, "a.txt", "original bytes", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    sqlx::query("UPDATE blob_chunks SET data = 'tampered bytes'::bytea")
        .execute(&app.pg)
        .await
        .unwrap();
    let _worker = app.start(Kind::Worker, &[("JOB_MAX_ATTEMPTS", "2")]).await;
    let dead = eventually(
        "the finishing job to be dead",
        Duration::from_secs(30),
        || async {
            let out = app
                .command(&["admin", "jobs", "dead"], &[])
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .find(|v| v["queue"] == "ferry.finish")
        },
    )
    .await;
    assert!(
        dead["last_error"].as_str().unwrap().contains("SHA-256"),
        "{dead}"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM files WHERE ready").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_file_transfer_gets_a_stored_zip_identical_to_the_streamed_one() {
    let (mut app, web) = TestApp::with_web("stored_zip", &[]).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "filedata",
            reqwest::multipart::Part::bytes(vec![7u8; 1_500_000]).file_name("one.bin"),
        )
        .part(
            "filedata",
            reqwest::multipart::Part::bytes(b"two".to_vec()).file_name("two.txt"),
        );
    let answer = curl::post_files(&app.http, &web, form, &[]).await;
    let token = curl::token_of(&answer.text().await.unwrap());
    let streamed = app
        .http
        .get(web.url(&format!("/{token}.zip")))
        .answer_bytes()
        .await;

    let _worker = app.start(Kind::Worker, &[]).await;
    eventually(
        "the worker to store the zip",
        Duration::from_secs(30),
        || async {
            (count(
                &app,
                "SELECT count(*) FROM transfers WHERE bundle_blob_id IS NOT NULL",
            )
            .await
                == 1)
                .then_some(())
        },
    )
    .await;
    let stored = app.get(web.url(&format!("/{token}.zip"))).await;
    assert_eq!(
        stored.headers()["content-length"],
        streamed.len().to_string()
    );
    assert!(stored.bytes().await.unwrap() == streamed, "byte-identical");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_transfer_disappears_within_two_clock_slots_and_its_chunks_are_gone() {
    let (mut app, web, _worker) = TestApp::with_web_and_worker("purge_expired").await;
    let _clock = app.start_clock(EVERY_SECOND).await;
    let keep = curl::put(&app.http, &web, "keep.bin", vec![1u8; 3_000_000], &[]).await;
    assert_eq!(keep.status(), StatusCode::OK);
    let doomed = curl::put(&app.http, &web, "old.bin", vec![2u8; 3_000_000], &[]).await;
    let url = doomed.text().await.unwrap();
    let token = url.trim().split('/').nth(3).unwrap().to_owned();
    let chunks_before = count(&app, "SELECT count(*) FROM blob_chunks").await;

    sqlx::query("UPDATE transfers SET expires_at = now() WHERE token = $1")
        .bind(&token)
        .execute(&app.pg)
        .await
        .unwrap();
    let expired_at = std::time::Instant::now();
    let expired = format!("SELECT count(*) FROM transfers WHERE token = '{token}'");
    counts_eventually(
        &app,
        "the expired transfer and its chunks to be purged",
        Duration::from_secs(20),
        [&expired, "SELECT count(*) FROM blob_chunks"],
        |[transfers, chunks]| transfers == 0 && chunks == chunks_before / 2,
    )
    .await;
    println!(
        "purged {:?} after expiry (slots are 1 s apart)",
        expired_at.elapsed()
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM transfers").await,
        1,
        "the live transfer stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_resumable_uploads_are_aborted_and_their_chunks_freed() {
    let (mut app, web, _worker) = TestApp::with_web_and_worker("abort_idle").await;
    let _clock = app.start_clock(EVERY_SECOND).await;
    let created = tus::create_stalled(&app.http, &web.url("")).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(count(&app, "SELECT count(*) FROM blob_chunks").await > 0);
    sqlx::query("UPDATE uploads SET expires_at = now()")
        .execute(&app.pg)
        .await
        .unwrap();
    eventually(
        "the idle upload to be aborted",
        Duration::from_secs(20),
        || async {
            let uploads = count(&app, "SELECT count(*) FROM uploads").await;
            let chunks = count(&app, "SELECT count(*) FROM blob_chunks").await;
            let blobs = count(&app, "SELECT count(*) FROM blobs").await;
            (uploads == 0 && chunks == 0 && blobs == 0).then_some(())
        },
    )
    .await;
}
