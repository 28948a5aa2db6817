//! Black-box tests of the data path: the chunked blob store, the curl API, downloads
//! and tus, through two web processes of the real binary on real Postgres and Redis.

mod harness;

use harness::http::Exchange;
use harness::{curl, tus};

use std::{process::Command, time::Duration, time::Instant};

use bytes::Bytes;
use harness::data::{MIB, b64, files_form, random_bytes};
use harness::{
    Kind, Process, TestApp, assert_counts, browser::script_succeeded, count, count_eventually,
    eventually,
};
use reqwest::{Response, StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};

use harness::data::sha_hex as sha;
use harness::tus::{OCTETS, TUS};

/// Uploads with PUT and returns (token, share URL path).
async fn share(
    app: &TestApp,
    web: &Process,
    name: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (String, String) {
    let path = curl::share(&app.http, web, name, body, headers).await;
    let token = path.split('/').nth(1).unwrap().to_owned();
    (token, path)
}

async fn get(app: &TestApp, web: &Process, path: &str) -> Response {
    app.get(web.url(path)).await
}

/// Pieces of stored bytes, wherever the suite keeps them: objects in the app's bucket
/// in S3 mode — where Postgres must then hold no chunk at all — else chunk rows.
async fn stored_pieces(app: &TestApp) -> i64 {
    if harness::s3_mode() {
        assert_eq!(
            count(app, "SELECT count(*) FROM blob_chunks").await,
            0,
            "with BLOB_STORE=s3 no bytes are kept in Postgres"
        );
        app.s3_objects().await.len() as i64
    } else {
        count(app, "SELECT count(*) FROM blob_chunks").await
    }
}

fn header_of(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_uploaded_through_one_web_process_downloads_byte_identical_through_another() {
    let (mut app, a) = TestApp::with_web("upload_a_download_b", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let data = random_bytes(5 * MIB + 1234, 1);

    let response = curl::put(
        &app.http,
        &a,
        "report.pdf",
        data.clone(),
        &[("Max-Downloads", "3"), ("Max-Days", "2")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let delete_url = header_of(&response, "X-Url-Delete");
    let url = response.text().await.unwrap();
    assert!(url.ends_with("/report.pdf\n"), "{url}");
    let path = curl::path_of(&url);
    assert!(
        delete_url.starts_with(&url.trim().to_owned()),
        "{delete_url}"
    );
    let token = path.split('/').nth(1).unwrap();
    assert!(token.len() >= 22, "128-bit token: {token}");

    let head = app.head(b.url(&path)).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header_of(&head, "content-length"), data.len().to_string());
    assert_eq!(
        header_of(&head, "content-type"),
        "application/octet-stream",
        "PDF is active content"
    );
    assert_eq!(
        header_of(&head, "x-remaining-downloads"),
        "3",
        "HEAD does not count"
    );
    assert_eq!(header_of(&head, "x-remaining-days"), "2");

    let download = get(&app, &b, &path).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(header_of(&download, "x-content-type-options"), "nosniff");
    assert_eq!(header_of(&download, "x-remaining-downloads"), "2");
    assert!(
        header_of(&download, "content-disposition").starts_with("attachment"),
        "PDF is never inline"
    );
    assert_eq!(
        header_of(&download, "content-type"),
        "application/octet-stream",
        "nor rendered"
    );
    assert_eq!(sha(&download.bytes().await.unwrap()), sha(&data));

    let forced = get(&app, &a, &format!("/get{path}")).await;
    assert!(
        header_of(&forced, "content-disposition")
            .starts_with("attachment; filename=\"report.pdf\"")
    );
    assert_eq!(sha(&forced.bytes().await.unwrap()), sha(&data));

    let json = curl::put(
        &app.http,
        &a,
        "data.bin",
        b"json please".to_vec(),
        &[("Accept", "application/json")],
    )
    .await;
    let json: Value = json.json().await.unwrap();
    assert_eq!(json["files"][0]["sha256"], sha(b"json please"));
    assert_eq!(json["files"][0]["size"], 11);
    assert!(
        json["delete_url"]
            .as_str()
            .unwrap()
            .contains(json["token"].as_str().unwrap())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multipart_post_makes_one_transfer_and_its_archives_hold_every_file() {
    let (mut app, a) = TestApp::with_web("multipart_archives", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let big = random_bytes(2 * MIB + 77, 2);
    let form = files_form([
        ("a.txt", b"alpha".to_vec()),
        ("big.bin", big.clone()),
        ("a.txt", b"again".to_vec()),
    ]);
    let response = app.http.post(a.url("/")).multipart(form).answer().await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let urls: Vec<&str> = body.lines().collect();
    assert_eq!(urls.len(), 3, "{body}");
    assert!(
        urls[2].ends_with("/a%20(2).txt"),
        "duplicate names get a number: {body}"
    );
    let token = urls[0].split('/').nth(3).unwrap().to_owned();
    assert!(urls.iter().all(|u| u.contains(&token)), "one transfer");

    let dir = std::env::temp_dir().join(format!("ferry-archive-{token}"));
    std::fs::create_dir_all(&dir).unwrap();
    let zip = get(&app, &b, &format!("/{token}.zip")).await;
    assert_eq!(zip.status(), StatusCode::OK);
    let declared: usize = header_of(&zip, "content-length").parse().unwrap();
    let zip = zip.bytes().await.unwrap();
    assert_eq!(declared, zip.len(), "exact Content-Length");
    std::fs::write(dir.join("t.zip"), &zip).unwrap();
    let tgz = get(&app, &b, &format!("/{token}.tar.gz"))
        .await
        .bytes()
        .await
        .unwrap();
    std::fs::write(dir.join("t.tar.gz"), &tgz).unwrap();
    let listing = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys,zipfile,tarfile,hashlib\n\
             z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None\n\
             print(sorted((i.filename, hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()))\n\
             t=tarfile.open(sys.argv[2])\n\
             print(sorted((m.name, hashlib.sha256(t.extractfile(m).read()).hexdigest()) for m in t.getmembers()))",
        )
        .arg(dir.join("t.zip"))
        .arg(dir.join("t.tar.gz"))
        .output()
        .expect("python3 is installed");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    let listing = String::from_utf8(listing.stdout).unwrap();
    let expected = format!(
        "[('a (2).txt', '{}'), ('a.txt', '{}'), ('big.bin', '{}')]",
        sha(b"again"),
        sha(b"alpha"),
        sha(&big)
    );
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(
        lines,
        vec![expected.as_str(), expected.as_str()],
        "zip and tar.gz hold every file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn range_requests_are_served_from_the_right_chunk() {
    let (app, web) = TestApp::with_web("ranges", &[]).await;
    let data = random_bytes(3 * MIB + MIB / 2, 3);
    let (_, path) = share(&app, &web, "video.mp4", data.clone(), &[]).await;

    for (range, start, end) in [
        ("bytes=0-9", 0, 10),
        ("bytes=1048570-1048600", 1_048_570, 1_048_601),
        ("bytes=3145728-", 3 * MIB, data.len()),
        ("bytes=-100", data.len() - 100, data.len()),
        ("bytes=100-99999999", 100, data.len()),
    ] {
        let response = app
            .http
            .get(web.url(&path))
            .header(header::RANGE, range)
            .answer()
            .await;
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header_of(&response, "content-range"),
            format!("bytes {start}-{}/{}", end - 1, data.len())
        );
        assert_eq!(
            response.bytes().await.unwrap().as_ref(),
            &data[start..end],
            "{range}"
        );
    }
    let unsatisfiable = app
        .get_range(web.url(&path), &format!("bytes={}-", data.len()))
        .await;
    assert_eq!(unsatisfiable.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header_of(&unsatisfiable, "content-range"),
        format!("bytes */{}", data.len())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn of_100_concurrent_downloads_of_a_max_downloads_1_file_across_two_processes_exactly_one_succeeds()
 {
    let (mut app, a) = TestApp::with_web("download_limit", &[("PG_POOL_SIZE", "10")]).await;
    let b = app.start(Kind::Web, &[("PG_POOL_SIZE", "10")]).await;
    let data = random_bytes(100_000, 4);
    let (_, path) = share(
        &app,
        &a,
        "once.bin",
        data.clone(),
        &[("Max-Downloads", "1")],
    )
    .await;
    for _ in 0..3 {
        let head = app.head(b.url(&path)).await;
        assert_eq!(head.status(), StatusCode::OK, "HEAD never counts");
    }

    let mut requests = Vec::new();
    for i in 0..100 {
        let url = if i % 2 == 0 {
            a.url(&path)
        } else {
            b.url(&path)
        };
        let http = app.http.clone();
        requests.push(tokio::spawn(async move {
            let response = http.get(url).answer().await;
            let status = response.status();
            (status, response.bytes().await.unwrap())
        }));
    }
    let mut ok = Vec::new();
    let mut not_found = 0;
    for request in requests {
        let (status, body) = request.await.unwrap();
        match status {
            StatusCode::OK => ok.push(body),
            StatusCode::NOT_FOUND => not_found += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok.len(), 1, "exactly one download served");
    assert_eq!(not_found, 99);
    assert_eq!(sha(&ok[0]), sha(&data));
    assert_eq!(get(&app, &b, &path).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_downloads_on_a_multipart_upload_counts_per_file_as_transfer_sh_does() {
    let (app, web) = TestApp::with_web("download_limit_per_file", &[]).await;
    let files = [
        random_bytes(10_000, 51),
        random_bytes(20_000, 52),
        random_bytes(5, 53),
    ];
    let form = files_form(
        files
            .iter()
            .enumerate()
            .map(|(i, bytes)| (format!("f{i}.bin"), bytes.clone())),
    );
    let response = curl::post_files(&app.http, &web, form, &[("Max-Downloads", "1")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let paths: Vec<String> = body.lines().map(curl::path_of).collect();
    let token = paths[0].split('/').nth(1).unwrap().to_owned();

    // The first file once: its own limit is used, the others are untouched.
    let first = get(&app, &web, &paths[0]).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header_of(&first, "x-remaining-downloads"), "0");
    assert_eq!(sha(&first.bytes().await.unwrap()), sha(&files[0]));
    assert_eq!(
        get(&app, &web, &paths[0]).await.status(),
        StatusCode::NOT_FOUND
    );
    // An archive needs a download of every file: not any more.
    let zip = get(&app, &web, &format!("/{token}.zip")).await;
    assert_eq!(zip.status(), StatusCode::NOT_FOUND);
    // The second file still downloads (before, it was 404 here).
    let second = get(&app, &web, &paths[1]).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(sha(&second.bytes().await.unwrap()), sha(&files[1]));
    // The transfer lives while a file has a download left; HEAD (which counts
    // nothing) says what each file has left.
    let mut left = Vec::new();
    for path in &paths {
        let head = app.head(web.url(path)).await;
        left.push(header_of(&head, "x-remaining-downloads"));
    }
    assert_eq!(left, ["0", "0", "1"]);
    let share_page = get(&app, &web, &format!("/s/{token}")).await;
    assert_eq!(share_page.status(), StatusCode::OK);
    assert!(
        share_page
            .text()
            .await
            .unwrap()
            .contains("up to 1 download left per file")
    );
    let third = get(&app, &web, &paths[2]).await;
    assert_eq!(third.status(), StatusCode::OK);
    assert_eq!(third.bytes().await.unwrap().as_ref(), files[2].as_slice());
    // Every file used: the transfer is gone.
    let share_page = get(&app, &web, &format!("/s/{token}")).await;
    assert_eq!(share_page.status(), StatusCode::NOT_FOUND);

    // Without a limit archives and files download freely; with one, an archive is one
    // download of each file.
    let form = files_form([("x", b"x".to_vec()), ("y", b"y".to_vec())]);
    let answer = curl::post_files(&app.http, &web, form, &[("Max-Downloads", "2")]).await;
    let body = answer.text().await.unwrap();
    let x = curl::path_of(body.lines().next().unwrap());
    let token = curl::token_of(&body);
    let zip = get(&app, &web, &format!("/{token}.zip")).await;
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(header_of(&zip, "x-remaining-downloads"), "1");
    assert_eq!(get(&app, &web, &x).await.status(), StatusCode::OK);
    assert_eq!(
        get(&app, &web, &format!("/{token}.tar.gz")).await.status(),
        StatusCode::NOT_FOUND,
        "x has no download left for an archive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_needs_the_deletion_token_and_frees_the_bytes_and_expired_transfers_vanish() {
    let (app, web, _worker) = TestApp::with_web_and_worker("delete_and_expire").await;
    let response = curl::put(&app.http, &web, "gone.bin", random_bytes(2 * MIB, 5), &[]).await;
    let delete_url = header_of(&response, "X-Url-Delete");
    let path = curl::path_of(&delete_url);
    let (share_path, deletion_token) = path.rsplit_once('/').unwrap();

    let wrong = curl::delete(&app.http, &web, &format!("{share_path}/not-the-token")).await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &web, share_path).await.status(), StatusCode::OK);
    assert!(stored_pieces(&app).await >= 1);

    let right = curl::delete(&app.http, &web, &format!("{share_path}/{deletion_token}")).await;
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(
        get(&app, &web, share_path).await.status(),
        StatusCode::NOT_FOUND,
        "gone at once"
    );
    eventually(
        "the purge job to free the bytes",
        Duration::from_secs(30),
        || async { (stored_pieces(&app).await == 0).then_some(()) },
    )
    .await;
    let again = app.http.delete(web.url(&path)).answer().await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    let (token, path) = share(&app, &web, "old.txt", b"old".to_vec(), &[]).await;
    sqlx::query("UPDATE transfers SET expires_at = now() - interval '1 second' WHERE token = $1")
        .bind(&token)
        .execute(&app.pg)
        .await
        .unwrap();
    assert_eq!(get(&app, &web, &path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, &web, &format!("/{token}.zip")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_uploads_get_clear_errors_and_leave_nothing_behind() {
    let (app, web) = TestApp::with_web("bad_uploads", &[("MAX_UPLOAD_SIZE", "1MiB")]).await;

    let declared = curl::put(&app.http, &web, "big.bin", random_bytes(MIB + 1, 6), &[]).await;
    assert_eq!(declared.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        declared.json::<Value>().await.unwrap()["error"],
        "too_large"
    );

    // No Content-Length: refused as soon as the stream passes the limit.
    let chunks = (0..20).map(|i| random_bytes(128 * 1024, i));
    let streamed = curl::put_chunked(&app.http, &web, "stream.bin", chunks).await;
    if let Some(response) = streamed {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    } // (the server may also close the connection while the client is still sending)

    let empty = curl::put(&app.http, &web, "empty.txt", Vec::new(), &[]).await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert!(empty.text().await.unwrap().contains("empty"));
    for (header, value) in [
        ("Max-Downloads", "0"),
        ("Max-Downloads", "many"),
        ("Max-Days", "9999"),
        ("Max-Days", "-1"),
        // transfer.sh's server-side encryption: refused, never silently ignored.
        ("X-Encrypt-Password", "hunter2"),
    ] {
        let bad = curl::put(&app.http, &web, "x.txt", b"x".to_vec(), &[(header, value)]).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{header}: {value}");
        assert!(
            bad.text().await.unwrap().contains(header),
            "the message names {header}"
        );
    }
    let encrypted = app
        .http
        .post(web.url("/"))
        .header("X-Encrypt-Password", "hunter2")
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"secret".to_vec()).file_name("a.txt"),
        ))
        .answer()
        .await;
    assert_eq!(encrypted.status(), StatusCode::BAD_REQUEST);
    let message = encrypted.text().await.unwrap();
    assert!(
        message.contains("X-Encrypt-Password") && !message.contains("hunter2"),
        "{message}"
    );
    let no_files = app
        .http
        .post(web.url("/"))
        .multipart(reqwest::multipart::Form::new().text("note", "hi"))
        .answer()
        .await;
    assert_eq!(no_files.status(), StatusCode::BAD_REQUEST);

    eventually(
        "aborted uploads to be cleaned up",
        Duration::from_secs(10),
        || async { (count(&app, "SELECT count(*) FROM blobs").await == 0).then_some(()) },
    )
    .await;
    assert_eq!(stored_pieces(&app).await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_file_names_are_sanitised_and_never_rendered_by_the_browser() {
    let (app, web) = TestApp::with_web("hostile_names", &[]).await;
    let long = format!("{}.txt", "n".repeat(400));
    let form = files_form([
        ("../../etc/passwd".to_owned(), b"1".to_vec()),
        ("..\\..\\windows.ini".to_owned(), b"2".to_vec()),
        (long, b"3".to_vec()),
        ("x.html".to_owned(), b"<script>alert(1)</script>".to_vec()),
    ]);
    let response = app
        .http
        .post(web.url("/"))
        .header(header::ACCEPT, "application/json")
        .multipart(form)
        .answer()
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    let json: Value = response.json().await.unwrap();
    let names: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "passwd");
    assert_eq!(names[1], "windows.ini");
    assert!(
        names[2].len() <= 255 && names[2].ends_with(".txt"),
        "{}",
        names[2]
    );
    let token = json["token"].as_str().unwrap();

    for path in [
        format!("/{token}/x.html"),
        format!("/inline/{token}/x.html"),
    ] {
        let page = get(&app, &web, &path).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            header_of(&page, "content-disposition").starts_with("attachment"),
            "{path}"
        );
        assert_eq!(header_of(&page, "x-content-type-options"), "nosniff");
        assert!(header_of(&page, "content-security-policy").contains("sandbox"));
        assert_ne!(header_of(&page, "content-type"), "text/html");
    }
    let (_, traversal) = share(&app, &web, "..%2F..%2Fsecret.txt", b"s".to_vec(), &[]).await;
    assert!(traversal.ends_with("/secret.txt"), "{traversal}");
    let (_, control) = share(&app, &web, "bad%01na%0Ame%7F.txt", b"c".to_vec(), &[]).await;
    assert!(control.ends_with("/badname.txt"), "{control}");
}

/// Sends a body slowly: `first` right away, then nothing until the sender is dropped.
fn held_body(
    first: Vec<u8>,
) -> (
    reqwest::Body,
    tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(first)) })
        .chain(tokio_stream(rx));
    (reqwest::Body::wrap_stream(stream), tx)
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

use futures::StreamExt;

async fn tus_create(app: &TestApp, web: &Process, length: usize, metadata: &str) -> String {
    let response = harness::tus::create(&app.http, &web.url(""), length, metadata).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header_of(&response, "tus-resumable"), "1.0.0");
    assert!(!header_of(&response, "upload-expires").is_empty());
    harness::tus::path_of(&response)
}

async fn tus_offset(app: &TestApp, web: &Process, path: &str) -> i64 {
    let head = tus::head(&app.http, web.url(path)).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header_of(&head, "cache-control"), "no-store");
    header_of(&head, "upload-offset").parse().unwrap()
}

async fn tus_patch(
    app: &TestApp,
    web: &Process,
    path: &str,
    offset: usize,
    body: Vec<u8>,
    extra: &[(&str, String)],
) -> Response {
    let mut request = app
        .http
        .patch(web.url(path))
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Offset", offset.to_string())
        .body(body);
    for (k, v) in extra {
        request = request.header(*k, v.as_str());
    }
    request.answer().await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tus_upload_in_pieces_on_two_processes_becomes_a_transfer_with_its_share_url() {
    let (mut app, a) = TestApp::with_web("tus_pieces", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let options = app
        .http
        .request(reqwest::Method::OPTIONS, a.url("/files/"))
        .answer()
        .await;
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert!(header_of(&options, "tus-extension").contains("creation-with-upload"));
    assert_eq!(header_of(&options, "tus-checksum-algorithm"), "sha1,sha256");

    let data = random_bytes(3 * MIB + 500, 7);
    let metadata = format!(
        "filename {},filetype {},max_downloads {}",
        b64("holiday photo.jpg".as_bytes()),
        b64(b"image/jpeg"),
        b64(b"5")
    );
    let path = tus_create(&app, &a, data.len(), &metadata).await;
    let mut offset = 0;
    for (i, piece) in data.chunks(700_000).enumerate() {
        let web = if i % 2 == 0 { &a } else { &b };
        let checksum = if i % 3 == 0 {
            vec![(
                "Upload-Checksum",
                format!("sha1 {}", b64(&sha1::Sha1::digest(piece))),
            )]
        } else {
            vec![(
                "Upload-Checksum",
                format!("sha256 {}", b64(&Sha256::digest(piece))),
            )]
        };
        let response = tus_patch(&app, web, &path, offset, piece.to_vec(), &checksum).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "piece {i}");
        offset += piece.len();
        assert_eq!(header_of(&response, "upload-offset"), offset.to_string());
        if offset == data.len() {
            assert!(header_of(&response, "x-share-url").ends_with("/holiday%20photo.jpg"));
        }
    }
    let head = tus::head(&app.http, b.url(&path)).await;
    let share_url = header_of(&head, "x-share-url");
    let json: Value = app.http.get(a.url(&path)).answer_json().await;
    assert_eq!(json["complete"], true);
    let share_path = curl::path_of(&share_url);
    assert!(
        json["transfer"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&share_path)
    );
    assert_eq!(json["transfer"]["files"][0]["sha256"], sha(&data));
    assert_eq!(json["transfer"]["max_downloads"], 5);
    let download = get(&app, &a, &share_path).await;
    assert_eq!(header_of(&download, "content-type"), "image/jpeg");
    assert_eq!(sha(&download.bytes().await.unwrap()), sha(&data));

    // creation-with-upload: the whole file in the POST.
    let small = b"tiny file".to_vec();
    let created = app
        .http
        .post(b.url("/files/"))
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Length", small.len().to_string())
        .body(small.clone())
        .answer()
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        header_of(&created, "upload-offset"),
        small.len().to_string()
    );
    assert!(!header_of(&created, "x-share-url").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_bad_input_gets_the_protocol_status_codes_and_changes_nothing() {
    let (app, web) = TestApp::with_web("tus_bad_input", &[("MAX_UPLOAD_SIZE", "10MiB")]).await;
    let data = random_bytes(2 * MIB, 8);
    let path = tus_create(&app, &web, data.len(), "").await;
    let first = tus_patch(&app, &web, &path, 0, data[..MIB].to_vec(), &[]).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);

    let no_version = app
        .http
        .patch(web.url(&path))
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Offset", "0")
        .answer()
        .await;
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(header_of(&no_version, "tus-version"), "1.0.0");
    let wrong_type = app
        .http
        .patch(web.url(&path))
        .header(TUS.0, TUS.1)
        .header("Content-Type", "application/json")
        .header("Upload-Offset", MIB.to_string())
        .body("{}")
        .answer()
        .await;
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let stale = tus_patch(&app, &web, &path, 0, data[..10].to_vec(), &[]).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let bad_sum = vec![(
        "Upload-Checksum",
        format!("sha256 {}", b64(&Sha256::digest(b"something else"))),
    )];
    let mismatch = tus_patch(&app, &web, &path, MIB, data[MIB..].to_vec(), &bad_sum).await;
    assert_eq!(mismatch.status().as_u16(), 460);
    let unknown_algo = vec![("Upload-Checksum", "md5 AAAA".to_owned())];
    let unsupported = tus_patch(&app, &web, &path, MIB, data[MIB..].to_vec(), &unknown_algo).await;
    assert_eq!(unsupported.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        tus_offset(&app, &web, &path).await,
        MIB as i64,
        "nothing changed"
    );
    let uncommitted = if harness::s3_mode() {
        // Staged pieces of a checksummed PATCH live under `<prefix>staged/`.
        app.s3_objects()
            .await
            .iter()
            .filter(|key| key.contains("/staged/"))
            .count() as i64
    } else {
        count(&app, r#"SELECT count(*) FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE c."offset" >= b.size"#).await
    };
    assert_eq!(uncommitted, 0, "the rejected bytes were discarded");

    let too_big = tus::announce(&app.http, &web.url(""), 11 * MIB).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let no_length = app
        .http
        .post(web.url("/files/"))
        .header(TUS.0, TUS.1)
        .answer()
        .await;
    assert_eq!(no_length.status(), StatusCode::BAD_REQUEST);
    let past_end = tus_patch(&app, &web, &path, MIB, random_bytes(MIB + 10, 9), &[]).await;
    assert_eq!(past_end.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let missing = tus::head(&app.http, web.url("/files/nope")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let done = tus_patch(&app, &web, &path, MIB, data[MIB..].to_vec(), &[]).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let other = tus_create(&app, &web, 100, "").await;
    let terminated = app
        .http
        .delete(web.url(&other))
        .header(TUS.0, TUS.1)
        .answer()
        .await;
    assert_eq!(terminated.status(), StatusCode::NO_CONTENT);
    let gone = tus::head(&app.http, web.url(&other)).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tus_upload_interrupted_by_sigkill_of_its_process_resumes_on_another() {
    let mut app = TestApp::new("tus_sigkill").await;
    // Bytes are committed a chunk (1 MiB) at a time on Postgres, two parts at a time on
    // S3: with 5 MiB parts, 10 MiB is committed either way before the stall.
    let part = [("S3_PART_SIZE", "5MiB")];
    let mut a = app.start(Kind::Web, &part).await;
    let b = app.start(Kind::Web, &part).await;
    let data = random_bytes(12 * MIB + 123, 10);
    let path = tus_create(
        &app,
        &a,
        data.len(),
        &format!("filename {}", b64(b"resumed.bin")),
    )
    .await;

    // A PATCH to A that delivers 10.5 MiB and then stalls, as over a bad network.
    let (body, _hold) = held_body(data[..10 * MIB + MIB / 2].to_vec());
    let request = app
        .http
        .patch(a.url(&path))
        .header(TUS.0, TUS.1)
        .header(OCTETS.0, OCTETS.1)
        .header("Upload-Offset", "0")
        .body(body)
        .send();
    let in_flight = tokio::spawn(request);
    count_eventually(
        &app,
        "A to commit the first chunks",
        Duration::from_secs(30),
        "SELECT coalesce(max(size), 0) FROM blobs",
        |committed| committed >= 10 * MIB as i64,
    )
    .await;
    kill_mid_request(&mut a, in_flight).await;

    let offset = tus_offset(&app, &b, &path).await as usize;
    assert_eq!(
        offset,
        10 * MIB,
        "every committed chunk survived; the unflushed tail did not count"
    );
    let started = Instant::now();
    let rest = tus_patch(&app, &b, &path, offset, data[offset..].to_vec(), &[]).await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    println!(
        "resumed on B after waiting {:?} for A's lock to expire",
        started.elapsed()
    );
    let share_url = header_of(&rest, "x-share-url");
    let download = get(&app, &b, &curl::path_of(&share_url)).await;
    assert_eq!(sha(&download.bytes().await.unwrap()), sha(&data));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_patches_on_one_upload_through_two_processes_are_serialised() {
    let (mut app, a) = TestApp::with_web("tus_concurrent", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let data = random_bytes(4 * MIB, 11);
    let path = tus_create(&app, &a, data.len(), "").await;
    let (first, second) = tokio::join!(
        tus_patch(&app, &a, &path, 0, data[..2 * MIB].to_vec(), &[]),
        tus_patch(&app, &b, &path, 0, data[..2 * MIB].to_vec(), &[]),
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::NO_CONTENT, StatusCode::CONFLICT],
        "one wins, the other sees the moved offset"
    );
    assert_eq!(tus_offset(&app, &b, &path).await, 2 * MIB as i64);
    let rest = tus_patch(&app, &b, &path, 2 * MIB, data[2 * MIB..].to_vec(), &[]).await;
    let share_url = header_of(&rest, "x-share-url");
    let download = get(&app, &a, &curl::path_of(&share_url)).await;
    assert_eq!(sha(&download.bytes().await.unwrap()), sha(&data));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1_gib_streamed_upload_and_download_keep_the_web_process_under_64_mib() {
    let (app, web) = TestApp::with_web("one_gib", &[]).await;
    const TOTAL: usize = 1024 * MIB;
    const PIECE: usize = 256 * 1024;
    let template = random_bytes(PIECE, 12);
    let pieces = (0..TOTAL / PIECE).map(move |i| {
        let mut piece = template.clone();
        piece[..8].copy_from_slice(&(i as u64).to_le_bytes());
        Ok::<_, std::io::Error>(Bytes::from(piece))
    });
    let mut expected = Sha256::new();
    for piece in pieces.clone() {
        expected.update(piece.unwrap());
    }
    let expected = hex::encode(expected.finalize());

    let started = Instant::now();
    let response = app
        .http
        .put(web.url("/big.bin"))
        .header(header::ACCEPT, "application/json")
        .timeout(Duration::from_secs(600))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
        .answer()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let upload_time = started.elapsed();
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["files"][0]["sha256"], expected.as_str());
    let after_upload = web.peak_rss_kib();

    let started = Instant::now();
    let path = format!(
        "/{}",
        json["url"].as_str().unwrap().splitn(4, '/').nth(3).unwrap()
    );
    let mut download = app
        .http
        .get(web.url(&path))
        .timeout(Duration::from_secs(600))
        .answer()
        .await;
    let mut hasher = Sha256::new();
    let mut received = 0;
    while let Some(chunk) = download.chunk().await.unwrap() {
        received += chunk.len();
        hasher.update(&chunk);
    }
    let download_time = started.elapsed();
    assert_eq!(received, TOTAL);
    assert_eq!(hex::encode(hasher.finalize()), expected);
    let peak = web.peak_rss_kib();
    println!(
        "1 GiB: upload {:.0} MB/s, download {:.0} MB/s; web peak RSS {} MiB after upload, {} MiB after download",
        TOTAL as f64 / 1e6 / upload_time.as_secs_f64(),
        TOTAL as f64 / 1e6 / download_time.as_secs_f64(),
        after_upload / 1024,
        peak / 1024
    );
    assert!(peak > 0, "peak RSS was measured");
    assert!(peak < 64 * 1024, "web peak RSS {} MiB", peak / 1024);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tuspy_client_uploads_resumably_through_ferry() {
    let has_tuspy = Command::new("python3")
        .args(["-c", "import tusclient"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_tuspy,
        "tuspy is not installed; install it: pip install tuspy"
    );
    let (app, web) = TestApp::with_web("tuspy", &[]).await;
    let data = random_bytes(3 * MIB + 999, 13);
    let dir = std::env::temp_dir().join(format!("ferry-tuspy-{}", web.port));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("from tuspy.bin");
    std::fs::write(&file, &data).unwrap();
    let script = "import sys\n\
        from tusclient import client\n\
        c = client.TusClient(sys.argv[1])\n\
        u = c.uploader(sys.argv[2], chunk_size=1000000, metadata={'filename': 'from tuspy.bin'})\n\
        u.upload_chunk()\n\
        u2 = c.uploader(sys.argv[2], chunk_size=1000000, url=u.url, metadata={'filename': 'from tuspy.bin'})\n\
        u2.upload()\n\
        print(u2.url)\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(web.url("/files/"))
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let upload_url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let path = curl::path_of(&upload_url);
    let json: Value = app.http.get(web.url(&path)).answer_json().await;
    assert_eq!(json["complete"], true);
    assert_eq!(json["transfer"]["files"][0]["name"], "from tuspy.bin");
    assert_eq!(json["transfer"]["files"][0]["sha256"], sha(&data));
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_js_client_uploads_in_parallel_and_streams_of_unknown_size_through_ferry() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        Command::new("node").arg("--version").output().is_ok(),
        "node is not installed; install it: apt-get install nodejs npm"
    );
    assert!(
        dir.join("node_modules/tus-js-client").exists(),
        "tus-js-client is not installed; install it: (cd tests/browser && npm ci)"
    );
    let (app, web) = TestApp::with_web("tus_js_node", &[]).await;
    let out = Command::new("node")
        .arg(dir.join("tus-node.mjs"))
        .arg(web.url(""))
        .output()
        .unwrap();
    script_succeeded("tus-js-client", &out);
    let cases: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(cases.len(), 2, "{cases:?}");
    assert_eq!(cases[0]["size"], 7 * MIB + 123);
    assert!(
        cases[0]["finalConcat"]
            .as_str()
            .is_some_and(|c| c.starts_with("final;/files/") && c.split(' ').count() == 3),
        "{cases:?}"
    );
    // One transfer per upload: the pieces of the parallel one never became transfers,
    // and none of them is left.
    assert_counts(
        &app,
        &[
            ("SELECT count(*) FROM transfers", 2),
            (
                "SELECT count(*) FROM files WHERE name IN ('parallel.bin', 'stream.bin')",
                2,
            ),
            ("SELECT count(*) FROM uploads WHERE concat = 'partial'", 0),
            ("SELECT count(*) FROM uploads", 2),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_concatenation_and_deferred_length_refuse_what_they_cannot_do_and_lose_nothing() {
    let (app, [a, b]) =
        TestApp::with_webs("tus_concat_rules", &[("MAX_UPLOAD_SIZE", "4000000")]).await;
    let options = app
        .http
        .request(reqwest::Method::OPTIONS, a.url("/files/"))
        .answer()
        .await;
    let extensions = header_of(&options, "tus-extension");
    assert!(extensions.contains("concatenation"), "{extensions}");
    assert!(extensions.contains("creation-defer-length"), "{extensions}");

    let create = |web: &Process, headers: Vec<(&'static str, String)>| {
        let mut request = app.http.post(web.url("/files/")).header(TUS.0, TUS.1);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        request.send()
    };
    let location = |response: &Response| {
        let url = header_of(response, "location");
        curl::path_of(&url)
    };

    // Two partial uploads, written through different processes; the first one in two
    // PATCHes. Complete, neither becomes a transfer.
    let (one, two) = (random_bytes(MIB + 17, 31), random_bytes(700_001, 32));
    let partial = |len: usize| {
        vec![
            ("Upload-Length", len.to_string()),
            ("Upload-Concat", "partial".to_owned()),
        ]
    };
    let p1 = create(&a, partial(one.len())).await.unwrap();
    assert_eq!(p1.status(), StatusCode::CREATED);
    let p1 = location(&p1);
    let p2 = location(&create(&b, partial(two.len())).await.unwrap());
    let half = one.len() / 2;
    let patched = tus_patch(&app, &a, &p1, 0, one[..half].to_vec(), &[]).await;
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);

    // A final upload of pieces that are unknown, unfinished, or not partial: 400, and
    // nothing is made.
    let ordinary = tus_create(&app, &a, 5, "").await;
    for parts in [
        format!("final;{p1} {p2}"),
        format!("final;{p2} /files/nosuchupload"),
        format!("final;{p2} {ordinary}"),
        "final;".to_owned(),
        format!("final;{p2} https://elsewhere.example/uploads/1"),
        "whole".to_owned(),
    ] {
        let refused = create(&b, vec![("Upload-Concat", parts.clone())])
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{parts}");
        assert!(refused.headers().get("location").is_none(), "{parts}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 3);

    let rest = tus_patch(&app, &b, &p1, half, one[half..].to_vec(), &[]).await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    assert!(rest.headers().get("x-share-url").is_none());
    let done = tus_patch(&app, &a, &p2, 0, two.clone(), &[]).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let status: Value = get(&app, &a, &p1).await.json().await.unwrap();
    assert_eq!(status["complete"], true);
    assert_eq!(status["partial"], true);
    assert_eq!(status["transfer"], Value::Null);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);

    let twice = create(&a, vec![("Upload-Concat", format!("final;{p1} {p1}"))])
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);

    // The final upload, through the other process, with absolute URLs as tus-js-client
    // sends them: one file, the pieces in order, and the pieces are gone. The same
    // final request sent at the same time through the first process makes nothing:
    // the pieces are concatenated once.
    let metadata = format!("filename {}", b64(b"joined.bin"));
    let concat = format!("final;{} {}", a.url(&p2), a.url(&p1));
    let (final_upload, rival) = tokio::join!(
        create(
            &b,
            vec![
                ("Upload-Concat", concat.clone()),
                ("Upload-Metadata", metadata.clone()),
            ],
        ),
        create(
            &a,
            vec![("Upload-Concat", concat), ("Upload-Metadata", metadata)],
        )
    );
    let (final_upload, rival) = match (final_upload.unwrap(), rival.unwrap()) {
        (x, y) if x.status() == StatusCode::CREATED => (x, y),
        (x, y) => (y, x),
    };
    assert_eq!(final_upload.status(), StatusCode::CREATED);
    assert_eq!(rival.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 1);
    let share_url = header_of(&final_upload, "x-share-url");
    assert!(!share_url.is_empty());
    assert_eq!(
        header_of(&final_upload, "upload-offset"),
        (one.len() + two.len()).to_string()
    );
    let joined = [two.clone(), one.clone()].concat();
    let back = app.get(&share_url).await;
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(sha(&back.bytes().await.unwrap()), sha(&joined));
    let final_path = location(&final_upload);
    let head = tus::head(&app.http, a.url(&final_path)).await;
    assert_eq!(
        header_of(&head, "upload-concat"),
        format!("final;{p2} {p1}")
    );
    assert_eq!(header_of(&head, "upload-length"), joined.len().to_string());
    for piece in [&p1, &p2] {
        let gone = tus::head(&app.http, a.url(piece)).await;
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
    // A final upload takes no PATCH, and its pieces cannot be used twice.
    let forbidden = tus_patch(&app, &a, &final_path, joined.len(), b"x".to_vec(), &[]).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let again = create(&a, vec![("Upload-Concat", format!("final;{p1} {p2}"))])
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // Deferred length: the header rules first.
    for (headers, expected) in [
        (
            vec![
                ("Upload-Defer-Length", "1".to_owned()),
                ("Upload-Length", "5".to_owned()),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("Upload-Defer-Length", "2".to_owned())],
            StatusCode::BAD_REQUEST,
        ),
        (vec![], StatusCode::BAD_REQUEST),
    ] {
        let response = create(&a, headers.clone()).await.unwrap();
        assert_eq!(response.status(), expected, "{headers:?}");
    }
    let deferred = || vec![("Upload-Defer-Length", "1".to_owned())];
    let d = location(&create(&a, deferred()).await.unwrap());
    let head = tus::head(&app.http, b.url(&d)).await;
    assert_eq!(header_of(&head, "upload-defer-length"), "1");
    assert!(head.headers().get("upload-length").is_none());
    let data = random_bytes(2 * MIB + 5, 33);
    let first = tus_patch(&app, &a, &d, 0, data[..MIB].to_vec(), &[]).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(header_of(&first, "upload-offset"), MIB.to_string());
    // The rest of the data at MIB through B, telling the length at last.
    let rest_with_length = |length: usize| {
        let headers = [("Upload-Length", length.to_string())];
        let rest = data[MIB..].to_vec();
        let (app, b, d) = (&app, &b, &d);
        async move { tus_patch(app, b, d, MIB, rest, &headers).await }
    };
    // A length below what arrived, or past MAX_UPLOAD_SIZE: refused, nothing lost.
    for length in [MIB - 1, 4_000_001] {
        let refused = rest_with_length(length).await;
        assert!(
            refused.status().is_client_error(),
            "{length}: {}",
            refused.status()
        );
        assert_eq!(tus_offset(&app, &b, &d).await, MIB as i64);
    }
    // The last PATCH tells the length, through the other process.
    let last = rest_with_length(data.len()).await;
    assert_eq!(last.status(), StatusCode::NO_CONTENT);
    let share_url = header_of(&last, "x-share-url");
    let back = app.get(&share_url).await;
    assert_eq!(sha(&back.bytes().await.unwrap()), sha(&data));
    // Told once, the length cannot change.
    let changed = tus_patch(
        &app,
        &a,
        &d,
        data.len(),
        Vec::new(),
        &[("Upload-Length", (data.len() + 1).to_string())],
    )
    .await;
    assert_eq!(changed.status(), StatusCode::BAD_REQUEST);

    // A stream of unknown size is still bounded by MAX_UPLOAD_SIZE.
    let big = location(&create(&a, deferred()).await.unwrap());
    let over = tus_patch(&app, &a, &big, 0, random_bytes(4_000_001, 34), &[]).await;
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// SIGKILLs web process `a` while `in_flight` (a request to it) is still running, and
/// asserts that the request's connection died with it.
async fn kill_mid_request(
    a: &mut Process,
    in_flight: tokio::task::JoinHandle<reqwest::Result<Response>>,
) {
    a.kill();
    assert!(
        in_flight.await.unwrap().is_err(),
        "the connection died with A"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concatenation_cut_off_by_sigkill_loses_no_piece_and_succeeds_when_sent_again() {
    let mut app = TestApp::new("tus_concat_sigkill").await;
    let mut a = app.start(Kind::Web, &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let pieces = [
        random_bytes(24 * MIB + 3, 41),
        random_bytes(20 * MIB + 5, 42),
    ];
    let mut paths = Vec::new();
    for piece in &pieces {
        let created = app
            .http
            .post(b.url("/files/"))
            .header(TUS.0, TUS.1)
            .header("Upload-Concat", "partial")
            .header("Upload-Length", piece.len().to_string())
            .answer()
            .await;
        let path = format!(
            "/{}",
            header_of(&created, "location")
                .splitn(4, '/')
                .nth(3)
                .unwrap()
        );
        let done = tus_patch(&app, &b, &path, 0, piece.clone(), &[]).await;
        assert_eq!(done.status(), StatusCode::NO_CONTENT);
        paths.push(path);
    }
    let concat = format!("final;{} {}", paths[0], paths[1]);
    let final_request = |web: &Process| {
        app.http
            .post(web.url("/files/"))
            .header(TUS.0, TUS.1)
            .header("Upload-Concat", concat.clone())
            .header("Upload-Metadata", format!("filename {}", b64(b"whole.bin")))
            .send()
    };
    // A dies while it copies the pieces into the final upload.
    let in_flight = tokio::spawn(final_request(&a));
    count_eventually(
        &app,
        "A to start copying",
        Duration::from_secs(30),
        "SELECT count(*) FROM uploads u JOIN blobs b ON b.id = u.blob_id
         WHERE u.concat LIKE 'final;%' AND b.size > 0",
        |copying| copying == 1,
    )
    .await;
    kill_mid_request(&mut a, in_flight).await;
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);
    for (path, piece) in paths.iter().zip(&pieces) {
        assert_eq!(tus_offset(&app, &b, path).await, piece.len() as i64);
    }

    // Sent again (it waits for A's locks on the pieces to expire): one whole file.
    let again = final_request(&b).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let back = app.get(header_of(&again, "x-share-url")).await;
    assert_eq!(
        sha(&back.bytes().await.unwrap()),
        sha(&pieces.concat()),
        "the pieces, in order"
    );
    assert_counts(
        &app,
        &[
            ("SELECT count(*) FROM transfers", 1),
            ("SELECT count(*) FROM uploads WHERE concat = 'partial'", 0),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn share_urls_use_public_url_or_forwarded_headers_only_from_trusted_proxies() {
    let (mut app, trusting) = TestApp::with_web("public_url", &[]).await; // loopback is a trusted proxy by default
    let wary = app
        .start(Kind::Web, &[("TRUSTED_PROXIES", "10.0.0.0/8")])
        .await;
    let fixed = app
        .start(Kind::Web, &[("PUBLIC_URL", "https://files.example.com/")])
        .await;
    let forwarded = [
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "drop.example.org"),
    ];

    let url = curl::link(&app.http, &trusting, "a.txt", b"a".to_vec(), &forwarded).await;
    assert!(url.starts_with("https://drop.example.org/"), "{url}");
    let url = curl::link(&app.http, &wary, "b.txt", b"b".to_vec(), &forwarded).await;
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{}/", wary.port)),
        "forged headers ignored: {url}"
    );
    let url = curl::link(&app.http, &fixed, "c.txt", b"c".to_vec(), &forwarded).await;
    assert!(url.starts_with("https://files.example.com/"), "{url}");
}

/// On S3 a PATCH smaller than a part (5 MiB) cannot be a part of its own: its bytes go
/// to the tail object, and the next PATCH — on any process — continues from it. On
/// Postgres the same requests are plain chunks. Either way every acknowledged byte
/// must survive a SIGKILL and the upload must end byte-identical, checksummed PATCHes
/// (staged, then committed) included.
#[tokio::test(flavor = "multi_thread")]
async fn small_tus_patches_are_durable_and_resumable_on_any_process_whatever_the_store() {
    let (mut app, mut webs) = TestApp::with_webs::<2>("tus_small_patches", &[]).await;
    // 13 PATCHes of 700 KiB and a short last one: the tail crosses 5 MiB twice.
    let piece = 700 * 1024;
    let data = random_bytes(13 * piece + 4321, 77);
    let path = tus_create(
        &app,
        &webs[0],
        data.len(),
        &format!("filename {}", b64(b"small.bin")),
    )
    .await;
    let mut offset = 0;
    let mut n = 0;
    let mut response = None;
    while offset < data.len() {
        let end = (offset + piece).min(data.len());
        let body = data[offset..end].to_vec();
        // Every third PATCH carries a checksum (the staged path).
        let extra = if n % 3 == 2 {
            vec![(
                "Upload-Checksum",
                format!("sha256 {}", b64(&Sha256::digest(&body))),
            )]
        } else {
            Vec::new()
        };
        let web = &webs[n % 2];
        let patched = tus_patch(&app, web, &path, offset, body, &extra).await;
        assert_eq!(
            patched.status(),
            StatusCode::NO_CONTENT,
            "PATCH {n} at {offset}"
        );
        assert_eq!(header_of(&patched, "upload-offset"), end.to_string());
        offset = end;
        n += 1;
        if n == 5 || n == 9 {
            // Kill the process that took the last PATCH; the other one resumes.
            let i = (n - 1) % 2;
            webs[i].kill();
            webs[i] = app.start(Kind::Web, &[]).await;
            assert_eq!(tus_offset(&app, &webs[n % 2], &path).await, offset as i64);
        }
        response = Some(patched);
    }
    let share_url = header_of(&response.unwrap(), "x-share-url");
    let download = get(&app, &webs[0], &curl::path_of(&share_url)).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(sha(&download.bytes().await.unwrap()), sha(&data));
}

/// `ferry admin blobs migrate` moves every stored file to the other store while Ferry
/// serves it: a download already streaming continues (from the new copy once the old
/// one is gone — the grace period is zero here), a move killed midway is finished by
/// running it again, and nothing is left behind in the store the files left. Runs in
/// both modes: from Postgres to S3 and back, or from S3 to Postgres and back.
#[tokio::test(flavor = "multi_thread")]
async fn blobs_move_between_stores_while_served_and_a_killed_move_is_finished_by_a_rerun() {
    let mut app = TestApp::new("blob_migrate").await;
    app.attach_s3_bucket();
    let home = harness::blob_store_mode();
    let away = if home == "s3" { "postgres" } else { "s3" };
    let web = app.start(Kind::Web, &[]).await;
    let files = [
        ("big.bin", random_bytes(30 * MIB + 17, 31)),
        ("small.txt", random_bytes(3000, 32)),
        ("mid.bin", random_bytes(6 * MIB, 33)),
    ];
    let mut paths = Vec::new();
    for (name, data) in &files {
        paths.push(share(&app, &web, name, data.clone(), &[]).await.1);
    }

    // A download of the big file, read slowly: it is mid-stream when its blob moves.
    let mut slow = get(&app, &web, &paths[0]).await;
    let mut received = Vec::new();
    while received.len() < MIB {
        received.extend_from_slice(&slow.chunk().await.unwrap().unwrap());
    }

    // The first run is killed after its first batch.
    let mut first = migrate(&app, away).spawn().unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut lines, &mut line).unwrap();
    assert!(line.contains("\"moved\":1"), "first progress line: {line}");
    first.kill().unwrap();
    first.wait().unwrap();
    // The rerun finishes the job.
    let rerun = migrate(&app, away).output().unwrap();
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        rerun.status.success(),
        "rerun failed: {stdout}{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert!(stdout.contains("\"done\":true"), "{stdout}");
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM blobs WHERE size >= 0 AND store <> '{away}'")
        )
        .await,
        0,
        "every blob moved"
    );

    // The slow download ends byte-identical.
    while let Some(chunk) = slow.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(
        sha(&received),
        sha(&files[0].1),
        "the download that was streaming"
    );

    // A web on the new store serves every file; the old store holds nothing.
    let moved_web = app.start(Kind::Web, &[("BLOB_STORE", away)]).await;
    for ((_, data), path) in files.iter().zip(&paths) {
        let body = get(&app, &moved_web, path).await.bytes().await.unwrap();
        assert_eq!(sha(&body), sha(data));
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM blobs WHERE size < 0").await,
        0,
        "no old copy left"
    );
    if away == "s3" {
        assert_eq!(count(&app, "SELECT count(*) FROM blob_chunks").await, 0);
        assert_eq!(
            app.s3_objects().await.len(),
            files.len(),
            "one object per file"
        );
    } else {
        assert!(
            app.s3_objects().await.is_empty(),
            "{:?}",
            app.s3_objects().await
        );
    }

    // And back home, through the same command.
    let back = migrate(&app, home).output().unwrap();
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    for ((_, data), path) in files.iter().zip(&paths) {
        let body = get(&app, &web, path).await.bytes().await.unwrap();
        assert_eq!(sha(&body), sha(data));
    }
    if home == "s3" {
        assert_eq!(count(&app, "SELECT count(*) FROM blob_chunks").await, 0);
        assert_eq!(app.s3_objects().await.len(), files.len());
    } else {
        assert!(app.s3_objects().await.is_empty());
    }
}

/// `ferry admin blobs migrate --to <to>` for `app`, its output captured; old copies go
/// at once (`--grace 0s`), one blob per batch (one progress line per blob).
fn migrate(app: &TestApp, to: &str) -> Command {
    let mut command = app.command(
        &[
            "admin", "blobs", "migrate", "--to", to, "--grace", "0s", "--batch", "1",
        ],
        &[],
    );
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}
