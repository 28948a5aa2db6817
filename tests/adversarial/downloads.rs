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
    count(app, "SELECT coalesce(sum(downloads), 0)::bigint FROM transfers").await
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
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{value}");
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
    for value in ["bytes=0-1,5-9", "bytes=+0-1", "bytes=0x1-", "lines=1-2", "bytes=5-1"] {
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
