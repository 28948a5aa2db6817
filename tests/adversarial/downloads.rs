//! Items 6, 11 (Range) and 12: downloads an anonymous client cannot break or abuse.
//! A hostile `Range` header gets 206/416 on a live connection and counts nothing when
//! it fails; an interrupted limited download resumes without using another download;
//! a used-up transfer is purged only after a grace period; `.tar.gz` compression does
//! not block the HTTP workers.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};

use crate::harness::{Kind, Process, TestApp, count, eventually};

const MIB: usize = 1024 * 1024;

/// Deterministic incompressible bytes.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Uploads with the curl API; returns the share path (`/{token}/{name}`).
async fn share(
    app: &TestApp,
    web: &Process,
    name: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> String {
    let mut request = app.http.put(web.url(&format!("/{name}"))).body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let url = response.text().await.unwrap().trim().to_owned();
    format!("/{}", url.splitn(4, '/').nth(3).unwrap())
}

async fn downloads(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT coalesce(sum(downloads), 0)::bigint FROM transfers",
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_past_i64_max_gets_206_or_416_on_a_live_connection_and_errors_count_nothing() {
    let mut app = TestApp::new("adv_range_overflow").await;
    let web = app.start(Kind::Web, &[]).await;
    let data = random_bytes(100_000, 11);
    let path = share(&app, &web, "big.bin", data.clone(), &[]).await;
    let range = |value: &'static str| {
        app.http
            .get(web.url(&path))
            .header(header::RANGE, value)
            .send()
    };

    // The overflow probe: last-byte-pos = i64::MAX is clamped to the end (RFC 9110).
    let response = range("bytes=0-9223372036854775807").await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        response.headers()[header::CONTENT_RANGE],
        format!("bytes 0-{}/{}", data.len() - 1, data.len()).as_str()
    );
    assert_eq!(response.bytes().await.unwrap(), data, "the whole file");
    assert_eq!(downloads(&app).await, 1, "a served range is one download");

    // Unsatisfiable: 416, nothing counted, and the same connection keeps working.
    for value in [
        "bytes=9223372036854775807-",
        "bytes=9223372036854775807-9223372036854775807",
        "bytes=99999999999999999999999999-",
        "bytes=100000-",
        "bytes=-0",
    ] {
        let response = range(value).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{value}"
        );
        assert_eq!(
            response.headers()[header::CONTENT_RANGE],
            format!("bytes */{}", data.len()).as_str()
        );
    }
    assert_eq!(downloads(&app).await, 1, "416 counts nothing");

    // Suffix larger than the file: all of it.
    let response = range("bytes=-9223372036854775807").await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.bytes().await.unwrap(), data);
    // Several ranges and garbage: the header is ignored, the whole file is sent (200).
    for value in [
        "bytes=0-1,5-9",
        "bytes=+0-1",
        "bytes=0x1-",
        "lines=1-2",
        "bytes=5-1",
    ] {
        let response = range(value).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{value}");
        assert_eq!(response.bytes().await.unwrap(), data, "{value}");
    }
    assert!(
        !web.log().contains("panicked"),
        "no handler panicked:\n{}",
        web.log()
    );
    let health = app.http.get(web.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// A client whose connections come from `address` (any 127/8 address reaches the
/// web process on Linux), i.e. another client address as Ferry sees it.
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Reads at least `at_least` bytes of a streaming body, then returns what was read and
/// drops the response (the client goes away mid-download).
async fn read_some(mut response: reqwest::Response, at_least: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < at_least {
        let chunk = response.chunk().await.unwrap().expect("body ended early");
        got.extend_from_slice(&chunk);
    }
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_max_downloads_1_download_resumes_for_its_client_and_for_no_one_else() {
    let mut app = TestApp::new("adv_download_resume").await;
    let web = app.start(Kind::Web, &[]).await;
    let data = random_bytes(6 * MIB, 12);
    let path = share(
        &app,
        &web,
        "once.bin",
        data.clone(),
        &[("Max-Downloads", "1")],
    )
    .await;
    let alice = client_from("127.0.0.1");
    let mallory = client_from("127.0.0.2");

    // Alice's download is cut off after a MiB or so.
    let first = alice.get(web.url(&path)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["x-remaining-downloads"], "0");
    let got = read_some(first, MIB).await;
    assert_eq!(got[..], data[..got.len()]);
    assert_eq!(downloads(&app).await, 1);

    // She resumes from where she stopped: 206, the rest, nothing counted.
    let resumed = alice
        .get(web.url(&path))
        .header(header::RANGE, format!("bytes={}-", got.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        resumed.headers()[header::CONTENT_RANGE],
        format!("bytes {}-{}/{}", got.len(), data.len() - 1, data.len()).as_str()
    );
    let rest = resumed.bytes().await.unwrap();
    let mut whole = got.clone();
    whole.extend_from_slice(&rest);
    assert!(whole == data, "resumed bytes complete the file exactly");
    assert_eq!(downloads(&app).await, 1, "a resume uses no download");

    // Another client cannot ride on it, with or without a Range.
    for range in [
        None,
        Some(format!("bytes={}-", got.len())),
        Some("bytes=0-".into()),
    ] {
        let mut request = mallory.get(web.url(&path));
        if let Some(range) = &range {
            request = request.header(header::RANGE, range);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{range:?}");
    }
    // And a fresh (non-Range) GET by Alice is a new download, which is used up.
    let again = alice.get(web.url(&path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(downloads(&app).await, 1, "the limit was never exceeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_zero_resume_window_every_range_request_counts() {
    let mut app = TestApp::new("adv_download_no_resume").await;
    let web = app
        .start(Kind::Web, &[("DOWNLOAD_RESUME_WINDOW", "0s")])
        .await;
    let data = random_bytes(100_000, 13);
    let path = share(&app, &web, "once.bin", data, &[("Max-Downloads", "1")]).await;
    let first = app.http.get(web.url(&path)).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let resumed = app
        .http
        .get(web.url(&path))
        .header(header::RANGE, "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_up_transfer_still_streaming_is_purged_only_after_the_grace_period() {
    let mut app = TestApp::new("adv_purge_grace").await;
    let web = app.start(Kind::Web, &[]).await;
    // Larger than every socket buffer between the two ends, so most of it is still
    // in the blob store while the download stalls.
    let data = random_bytes(32 * MIB, 14);
    let path = share(
        &app,
        &web,
        "last.bin",
        data.clone(),
        &[("Max-Downloads", "1")],
    )
    .await;
    let chunks = count(&app, "SELECT count(*) FROM blob_chunks").await;
    assert!(chunks > 0);

    // The last allowed download starts and stalls (a slow client).
    let client = client_from("127.0.0.1");
    let mut download = client.get(web.url(&path)).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    let mut got = Vec::new();
    while got.len() < MIB {
        got.extend_from_slice(&download.chunk().await.unwrap().unwrap());
    }

    // A worker with the default grace (1h) and a clock sweeping every second.
    let clock = app
        .start(
            Kind::Clock,
            &[("CLOCK_SCHEDULES", "purge-expired=* * * * * *")],
        )
        .await;
    let mut worker = app.start(Kind::Worker, &[]).await;
    eventually("three purge sweeps", Duration::from_secs(30), || async {
        let sweeps = count(
            &app,
            "SELECT count(*) FROM job_effects WHERE job_key LIKE 'purge-expired@%'",
        )
        .await;
        (sweeps >= 3).then_some(())
    })
    .await;
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM blob_chunks").await,
        chunks
    );

    // The stalled download finishes intact.
    while let Some(chunk) = download.chunk().await.unwrap() {
        got.extend_from_slice(&chunk);
    }
    assert!(got == data, "the last download is complete and intact");

    // With a short grace, the used-up transfer goes soon after its last download.
    worker.kill();
    let _worker = app.start(Kind::Worker, &[("PURGE_GRACE", "2s")]).await;
    let started = Instant::now();
    eventually(
        "the used-up transfer to be purged",
        Duration::from_secs(30),
        || async {
            let rows = count(&app, "SELECT count(*) FROM transfers").await;
            let chunks = count(&app, "SELECT count(*) FROM blob_chunks").await;
            (rows == 0 && chunks == 0).then_some(())
        },
    )
    .await;
    println!(
        "purged {:?} after the short-grace worker started",
        started.elapsed()
    );
    drop(clock);
}
