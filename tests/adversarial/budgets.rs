//! Issue 26, items 1 and 5: what one anonymous client may store, and who "one client"
//! is. Tried as an attacker would: uploads past the hourly count, bodies past the daily
//! byte budget (declared, chunked, abandoned, failing a checksum), tus creations that
//! announce more than is left, several files whose zip is a second copy, lifetimes past
//! `MAX_DAYS_ANONYMOUS`, and sign-ups and stalled uploads spread over one IPv6 /64.
//!
//! Before these limits (the code before e84df63, in main since 64673eb) none of them
//! existed: every PUT, multipart POST and tus creation was accepted however many came
//! from one client and however many bytes they stored (300 PUTs at 39/s, tus creations
//! declaring 10 GiB each, 64 MiB PUTs at 93 MB/s), an anonymous transfer lived up to
//! `MAX_DAYS_LIMIT` (365) days and 14 by default, a zip was never counted, and every
//! per-client limit (sign-ups, upload slots) took the whole IPv6 address, so each address
//! of a /64 was a new client. Each test below fails on that code at its first refusal
//! (checked by building the limits out again: 200 or 201 where 429 is expected, 14
//! sign-ups passing, the fifth stalled PUT held); the tus race test fails on e84df63
//! itself, whose losing PATCH kept the bytes it took.
//!
//! Every test client connects over loopback. Another client address is another 127/8
//! source address; an IPv6 client is named by `X-Forwarded-For` from 127.0.0.1, which
//! the harness' default `TRUSTED_PROXIES` (127.0.0.0/8) makes Ferry believe.

use std::{net::SocketAddr, time::Duration};

use reqwest::{Client, StatusCode, header, redirect::Policy};
use sha2::Digest;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream, tcp::OwnedReadHalf},
    task::JoinHandle,
};

use crate::harness::browser::{account_fields, draft_file, sign_up};
use crate::harness::http::{Exchange, retry_after};
use crate::harness::{
    Kind, Process, TestApp, blobs_come_to,
    browser::{csrf_of, page},
    count, curl,
    data::{MIB, b64, files_form, random_bytes},
    eventually,
    tus::{self, OCTETS, TUS},
};
use crate::uploads::app_with_four_upload_slots;

/// The byte budget of the item 1 tests: 10 MiB a client a day.
const DAILY_BUDGET: (&str, &str) = ("UPLOAD_BYTES_PER_CLIENT_PER_DAY", "10MiB");

/// A fresh app serving through one web process whose clients may upload
/// [`DAILY_BUDGET`].
async fn app_with_daily_budget(test: &str) -> (TestApp, Process) {
    TestApp::with_web(test, &[DAILY_BUDGET]).await
}

/// A multipart form of two files of `size` random bytes each, named `names` (seeds
/// `seed` and `seed + 1`).
fn two_files(names: [&str; 2], size: usize, seed: u64) -> reqwest::multipart::Form {
    files_form([
        (names[0], random_bytes(size, seed)),
        (names[1], random_bytes(size, seed + 1)),
    ])
}

/// How long a test waits for any one answer before it fails (a bound, not a measure).
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// A client whose connections come from `address` (any 127/8 address reaches the web
/// process on Linux): another client address as Ferry sees it.
fn client_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .redirect(Policy::none())
        .timeout(ANSWER_WITHIN)
        .build()
        .unwrap()
}

/// A cookie-keeping browser (no redirects followed) connecting from `address`.
fn browser_from(address: &str) -> Client {
    Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(ANSWER_WITHIN)
        .build()
        .unwrap()
}

/// `PUT /{name}` of `body` from `client`: the status, or `None` when the connection
/// failed (a refused body may be closed before the client has sent all of it).
async fn put(client: &Client, web: &Process, name: &str, body: Vec<u8>) -> Option<StatusCode> {
    client
        .put(web.url(&format!("/{name}")))
        .body(body)
        .send()
        .await
        .ok()
        .map(|response| response.status())
}

/// `PUT` that must succeed.
async fn put_ok(client: &Client, web: &Process, name: &str, body: Vec<u8>) {
    assert_eq!(
        put(client, web, name, body).await,
        Some(StatusCode::OK),
        "PUT /{name}"
    );
}

/// Polls until a `PUT` of `len` bytes from `client` is accepted: the bytes a failed
/// upload gave back are given back by a task of their own, a moment after its answer.
async fn eventually_put(client: &Client, web: &Process, name: &str, len: usize) {
    eventually(
        &format!("a PUT of {len} bytes to fit the budget again"),
        Duration::from_secs(30),
        || async {
            (put(client, web, name, vec![b'r'; len]).await == Some(StatusCode::OK)).then_some(())
        },
    )
    .await;
}

/// A raw HTTP/1.1 answer.
struct Answer {
    status: u16,
    /// The status line and headers, lower-cased.
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    }

    /// Asserts a 429 from the byte budget: `Retry-After` within the day's window and
    /// the `upload_budget_exceeded` code.
    fn assert_over_budget(&self, what: &str) {
        assert_eq!(self.status, 429, "{what}: {}\n{}", self.head, self.body);
        let retry_after: u64 = self
            .header("retry-after")
            .unwrap_or_else(|| panic!("{what}: no Retry-After in {}", self.head))
            .parse()
            .unwrap();
        assert!(
            (1..=86_400).contains(&retry_after),
            "{what}: Retry-After {retry_after}"
        );
        eprintln!("{what}: 429 upload_budget_exceeded, Retry-After {retry_after}");
        assert!(
            self.body.contains("upload_budget_exceeded"),
            "{what}: {}",
            self.body
        );
    }
}

/// Opens a connection from `from` to the web process.
async fn connect_from(from: &str, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap()
}

/// Reads one answer (head and, by its `Content-Length`, body); fails the test if none
/// comes within [`ANSWER_WITHIN`].
async fn read_answer(reader: &mut OwnedReadHalf, what: &str) -> Answer {
    let read = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = reader.read(&mut buf).await.unwrap_or(0);
            assert!(n > 0, "{what}: the connection ended without an answer");
            got.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while got.len() < head_end + length {
            let n = reader.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Answer {
            status,
            head,
            body: String::from_utf8_lossy(&got[head_end..]).into_owned(),
        }
    };
    tokio::time::timeout(ANSWER_WITHIN, read)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {ANSWER_WITHIN:?}"))
}

/// Sends `head` from `from`, then the `body` pieces while the answer is awaited (a
/// refused body may stop being read; the rest is then never sent), and returns the
/// answer. The connection stays open until the answer has been read, so an answer
/// that comes before the body ends was given without it.
async fn exchange(from: &str, port: u16, head: String, body: Vec<Vec<u8>>) -> Answer {
    let (mut reader, mut writer) = connect_from(from, port).await.into_split();
    let sender = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_ok() {
            for piece in &body {
                if writer.write_all(piece).await.is_err() {
                    break;
                }
            }
        }
        // Hold the connection open (no FIN) until the task is aborted.
        std::future::pending::<()>().await;
        drop(writer);
    });
    let answer = read_answer(&mut reader, "raw request").await;
    sender.abort();
    answer
}

/// A PUT head declaring `length` bytes, from `forwarded_for` when given.
fn put_head(name: &str, length: usize, forwarded_for: Option<&str>) -> String {
    let forwarded = forwarded_for
        .map(|ip| format!("X-Forwarded-For: {ip}\r\n"))
        .unwrap_or_default();
    format!("PUT /{name} HTTP/1.1\r\nHost: x\r\n{forwarded}Content-Length: {length}\r\n\r\n")
}

/// Opens an upload from `from` that sends `head` and `sent` bytes, then stalls with the
/// connection open until the returned task is aborted.
async fn stall(from: &str, port: u16, head: String, sent: usize) -> JoinHandle<()> {
    let mut socket = connect_from(from, port).await;
    tokio::spawn(async move {
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(&vec![b's'; sent]).await;
        std::future::pending::<()>().await;
        drop(socket);
    })
}

// ---------------------------------------------------------------- item 1: uploads per hour

#[tokio::test(flavor = "multi_thread")]
async fn past_uploads_per_client_per_hour_a_put_or_tus_creation_gets_429_and_stores_nothing() {
    let (app, web) =
        TestApp::with_web("adv_budget_rate", &[("UPLOADS_PER_CLIENT_PER_HOUR", "5")]).await;

    // One client, six PUTs: five stored, the sixth refused before its body.
    let alice = client_from("127.0.0.1");
    for i in 0..5 {
        put_ok(&alice, &web, &format!("a-{i}.txt"), b"hello".to_vec()).await;
    }
    let refused = alice.put(web.url("/a-5.txt")).body("hello").answer().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after(&refused);
    assert!(
        (1..=3600).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    eprintln!("6th PUT from one client: 429, Retry-After {retry_after}");
    assert!(refused.text().await.unwrap().contains("too_many_requests"));
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 5);
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 5);

    // tus creations count in the same bucket: three PUTs and two creations, then a
    // creation and a PUT are both refused, and no upload row is made for it.
    let bob = client_from("127.0.0.3");
    for i in 0..3 {
        put_ok(&bob, &web, &format!("b-{i}.txt"), b"hello".to_vec()).await;
    }
    for _ in 0..2 {
        let created = tus::create(&bob, &web.url(""), 5, "").await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let refused = tus::create(&bob, &web.url(""), 5, "").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        put(&bob, &web, "b-3.txt", b"hello".to_vec()).await,
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 2);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 8);

    // Another client address is not held back by theirs.
    put_ok(
        &client_from("127.0.0.2"),
        &web,
        "carol.txt",
        b"hello".to_vec(),
    )
    .await;
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 9);
}

// ---------------------------------------------------------------- item 1: bytes per day

#[tokio::test(flavor = "multi_thread")]
async fn past_upload_bytes_per_client_per_day_a_put_gets_429_before_its_body_and_a_failed_one_gives_its_bytes_back()
 {
    let (app, web) = app_with_daily_budget("adv_budget_bytes").await;
    let alice = client_from("127.0.0.1");

    // 6 MiB of a 10 MiB budget stored.
    put_ok(&alice, &web, "six.bin", random_bytes(6 * MIB, 1)).await;

    // A PUT that declares 6 MiB more is refused from its head alone: no body sent.
    let answer = exchange(
        "127.0.0.1",
        web.port,
        put_head("more.bin", 6 * MIB, None),
        vec![],
    )
    .await;
    answer.assert_over_budget("a declared 6 MiB PUT");
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 1);

    // A chunked PUT (no Content-Length) of 6 MiB is cut where it passes the budget.
    let head = "PUT /chunked.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let mut pieces: Vec<Vec<u8>> = random_bytes(6 * MIB, 2)
        .chunks(64 * 1024)
        .map(|c| [format!("{:x}\r\n", c.len()).as_bytes(), c, &b"\r\n"[..]].concat())
        .collect();
    pieces.push(b"0\r\n\r\n".to_vec());
    let answer = exchange("127.0.0.1", web.port, head.to_owned(), pieces).await;
    answer.assert_over_budget("a chunked 6 MiB PUT");
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 1);
    // Wait for the cut body's blob to be deleted.
    blobs_come_to(&app, 1, Duration::from_secs(30)).await;

    // What the cut body took is given back: exactly the 4 MiB left fit, and then not a
    // byte more.
    eventually_put(&alice, &web, "four.bin", 4 * MIB).await;
    let answer = exchange("127.0.0.1", web.port, put_head("one.bin", 1, None), vec![]).await;
    answer.assert_over_budget("one byte past the budget");
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 2);

    // Another client: a PUT that declares 8 MiB, sends 1 MiB and leaves. Its 8 MiB were
    // taken up front; the failed upload gives them back, so 8 MiB fit again.
    let blobs = count(&app, "SELECT count(*) FROM blobs").await;
    let leaver = stall(
        "127.0.0.2",
        web.port,
        put_head("leaves.bin", 8 * MIB, None),
        MIB,
    )
    .await;
    eventually(
        "the abandoned PUT to be storing",
        Duration::from_secs(30),
        || async { (count(&app, "SELECT count(*) FROM blobs").await == blobs + 1).then_some(()) },
    )
    .await;
    leaver.abort();
    eventually(
        "the abandoned PUT's blob to be deleted",
        Duration::from_secs(30),
        || async { (count(&app, "SELECT count(*) FROM blobs").await == blobs).then_some(()) },
    )
    .await;
    eventually_put(&client_from("127.0.0.2"), &web, "eight.bin", 8 * MIB).await;
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_byte_budget_holds_across_two_web_processes_taking_it_at_once() {
    let mut app = TestApp::new("adv_budget_replicas").await;
    let budget = [DAILY_BUDGET];
    let webs = [
        app.start(Kind::Web, &budget).await,
        app.start(Kind::Web, &budget).await,
    ];
    // Twenty 1 MiB PUTs from one client, at once, alternating between the processes:
    // the budget is taken by one conditional step in Redis, so exactly ten fit.
    let client = client_from("127.0.0.1");
    let puts = (0..20).map(|i| {
        let (client, web) = (&client, &webs[i % 2]);
        async move { put(client, web, &format!("p-{i}.bin"), vec![b'p'; MIB]).await }
    });
    let statuses = futures::future::join_all(puts).await;
    let ok = statuses
        .iter()
        .filter(|s| **s == Some(StatusCode::OK))
        .count();
    eprintln!("20 concurrent 1 MiB PUTs through two web processes: {statuses:?}");
    assert_eq!(ok, 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| matches!(
            *s,
            Some(StatusCode::OK) | Some(StatusCode::TOO_MANY_REQUESTS) | None
        )),
        "{statuses:?}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tus_creation_announcing_more_than_is_left_gets_429_and_a_failed_patch_gives_its_bytes_back()
 {
    let (app, web) = app_with_daily_budget("adv_budget_tus").await;
    let client = client_from("127.0.0.1");
    let base = web.url("");

    // Announcing 10 GiB (MAX_UPLOAD_SIZE allows it) with 10 MiB left: refused before
    // any upload exists.
    let refused = tus::create(&client, &base, 10 << 30, "").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert!(refused.headers().get(header::LOCATION).is_none());
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 0);

    // 6 MiB announced and sent with a wrong checksum: 460, nothing committed, and the
    // 6 MiB taken for the PATCH are given back, so the same bytes fit again (6 + 6
    // would not).
    let created = tus::create(&client, &base, 6 * MIB, "").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let path = tus::path_of(&created);
    let data = random_bytes(6 * MIB, 3);
    let patch = |checksum: String| {
        client
            .patch(web.url(&path))
            .header(TUS.0, TUS.1)
            .header(OCTETS.0, OCTETS.1)
            .header("Upload-Offset", "0")
            .header("Upload-Checksum", checksum)
            .body(data.clone())
            .send()
    };
    let wrong = patch(format!("sha256 {}", b64(&sha2::Sha256::digest(b"other"))))
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 460);
    let right = patch(format!("sha256 {}", b64(&sha2::Sha256::digest(&data))))
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::NO_CONTENT);
    assert!(right.headers().contains_key("x-share-url"));

    // The 6 MiB committed stay counted: 4 MiB + 1 announced is refused, 4 MiB is not.
    let refused = tus::create(&client, &base, 4 * MIB + 1, "").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 1);
    let created = tus::create(&client, &base, 4 * MIB, "").await;
    assert_eq!(created.status(), StatusCode::CREATED);
}

/// `HEAD` of a tus upload: its `Upload-Offset`.
async fn tus_offset(client: &Client, web: &Process, path: &str) -> usize {
    tus::head(client, web.url(path)).await.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A PATCH that takes its bytes from the budget and then loses the upload to another
/// PATCH (which moves the offset while it waits for the upload's lock) wrote nothing,
/// so it keeps nothing. Before the fix it kept what it took (up to the other request's
/// bytes), counting those bytes twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_tus_patch_that_loses_its_upload_to_another_patch_gives_back_every_byte_it_took() {
    let (_app, web) = app_with_daily_budget("adv_budget_tus_race").await;
    let client = client_from("127.0.0.1");
    let created = tus::create(&client, &web.url(""), 8 * MIB, "").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let path = tus::path_of(&created);
    let data = random_bytes(8 * MIB, 11);

    // The first PATCH declares all 8 MiB (taken), sends 1.5 MiB and waits: its first
    // MiB is committed and it holds the upload.
    let (mut reader, mut writer) = connect_from("127.0.0.1", web.port).await.into_split();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(&data[..3 * MIB / 2]).await.unwrap();
    let offset = eventually(
        "the first MiB to be committed",
        Duration::from_secs(30),
        || async {
            let offset = tus_offset(&client, &web, &path).await;
            (offset >= MIB).then_some(offset)
        },
    )
    .await;

    // A second PATCH from that offset declares the 2 MiB the budget has left: taken,
    // then it waits for the upload. Once it has them nothing more fits (a creation
    // announcing one byte is refused; it takes nothing).
    let second = tokio::spawn(
        client
            .patch(web.url(&path))
            .header(TUS.0, TUS.1)
            .header(OCTETS.0, OCTETS.1)
            .header("Upload-Offset", offset.to_string())
            .body(data[offset..offset + 2 * MIB].to_vec())
            .send(),
    );
    eventually(
        "the second PATCH to hold its 2 MiB",
        Duration::from_secs(30),
        || async {
            let probe = tus::create(&client, &web.url(""), 1, "").await;
            (probe.status() == StatusCode::TOO_MANY_REQUESTS).then_some(())
        },
    )
    .await;

    // The first PATCH sends the rest and completes the upload; the second then finds
    // the offset moved: 409, nothing of it written.
    writer.write_all(&data[3 * MIB / 2..]).await.unwrap();
    let first = read_answer(&mut reader, "the first PATCH").await;
    assert_eq!(first.status, 204, "{}", first.head);
    drop(writer);
    let second = second.await.unwrap().unwrap();
    assert_eq!(second.status(), StatusCode::CONFLICT);

    // 8 MiB stored, 8 MiB counted: the 2 MiB the loser took are back.
    put_ok(&client, &web, "two.bin", vec![b't'; 2 * MIB]).await;
    let answer = exchange("127.0.0.1", web.port, put_head("one.bin", 1, None), vec![]).await;
    answer.assert_over_budget("one byte past the budget");
}

#[tokio::test(flavor = "multi_thread")]
async fn several_files_are_charged_again_for_their_zip_by_multipart_and_by_the_upload_page() {
    let (app, web) = app_with_daily_budget("adv_budget_bundle").await;
    // Two 3 MiB files: 6 MiB, and 6 MiB more for their zip, pass 10 MiB. Refused after
    // the parts were read; nothing is kept.
    let alice = client_from("127.0.0.1");
    let pair = two_files(["a.bin", "b.bin"], 3 * MIB, 4);
    let refused = curl::post_files(&alice, &web, pair, &[]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("upload_budget_exceeded")
    );
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);
    // Wait for the refused parts to be deleted.
    blobs_come_to(&app, 0, Duration::from_secs(30)).await;

    // One 3 MiB file has no zip: it passes, and the refused pair gave back everything
    // it took, so exactly 7 MiB more fit.
    let one = files_form([("c.bin", random_bytes(3 * MIB, 6))]);
    let one = curl::post_files(&alice, &web, one, &[]).await;
    assert_eq!(one.status(), StatusCode::OK);
    eventually_put(&alice, &web, "seven.bin", 7 * MIB).await;

    // Another client: two 2 MiB files are charged 8 MiB, to the byte.
    let bob = client_from("127.0.0.2");
    let pair = two_files(["d.bin", "e.bin"], 2 * MIB, 7);
    let stored = curl::post_files(&bob, &web, pair, &[]).await;
    assert_eq!(stored.status(), StatusCode::OK);
    assert_eq!(stored.text().await.unwrap().lines().count(), 2);
    let answer = exchange(
        "127.0.0.2",
        web.port,
        put_head("f.bin", 2 * MIB + 1, None),
        vec![],
    )
    .await;
    answer.assert_over_budget("2 MiB + 1 after a charged pair");
    put_ok(&bob, &web, "g.bin", vec![b'g'; 2 * MIB]).await;
    let transfers = count(&app, "SELECT count(*) FROM transfers").await;
    assert_eq!(transfers, 4);

    // The upload page: a draft of two 3 MiB files (6 MiB, taken as they arrived over
    // tus) cannot be sent, its zip does not fit; a draft of two 2 MiB files can.
    for (from, size, expected) in [
        ("127.0.0.3", 3 * MIB, StatusCode::TOO_MANY_REQUESTS),
        ("127.0.0.4", 2 * MIB, StatusCode::SEE_OTHER),
    ] {
        let visitor = browser_from(from);
        let (_, upload_page) = page(&visitor, web.url("/")).await;
        let csrf = csrf_of(&upload_page);
        for (i, seed) in [(0, 9), (1, 10)] {
            let name = format!("draft-{i}.bin");
            draft_file(
                &visitor,
                &web,
                &upload_page,
                &name,
                random_bytes(size, seed),
            )
            .await;
        }
        let sent = visitor
            .post(web.url("/send"))
            .form(&[("_csrf", csrf.as_str()), ("days", "1")])
            .answer()
            .await;
        assert_eq!(
            sent.status(),
            expected,
            "a draft of two {size}-byte files from {from}"
        );
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM transfers").await,
        transfers + 1
    );
}

// ---------------------------------------------------------------- item 1: MAX_DAYS_ANONYMOUS

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_transfers_live_at_most_max_days_anonymous_and_a_signed_in_sender_may_choose_longer()
 {
    let mut app = TestApp::new("adv_budget_days").await;
    // The default MAX_DAYS_ANONYMOUS (7), not the harness' 3650; DEFAULT_MAX_DAYS and
    // MAX_DAYS_LIMIT at their defaults too (14, 365).
    app.unset_env.push("MAX_DAYS_ANONYMOUS");
    let web = app.start(Kind::Web, &[]).await;
    let client = client_from("127.0.0.1");
    let days_over = |days: u32| {
        format!("SELECT count(*) FROM transfers WHERE expires_at > now() + interval '{days} days'")
    };

    // curl: 30 days refused, naming the limit; nothing stored.
    let refused = curl::put(&client, &web, "long.txt", "hello", &[("Max-Days", "30")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let message = refused.text().await.unwrap();
    assert!(
        message.contains("Max-Days must be a whole number from 1 to 7"),
        "{message}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);

    // 7 days is fine, and no Max-Days gets the default lowered to 7 (not 14).
    for max_days in [Some("7"), None] {
        let mut request = client
            .put(web.url("/week.txt"))
            .header(header::ACCEPT, "application/json")
            .body("hello");
        if let Some(days) = max_days {
            request = request.header("Max-Days", days);
        }
        let stored = request.answer().await;
        assert_eq!(stored.status(), StatusCode::OK, "Max-Days {max_days:?}");
        let json: serde_json::Value = stored.json().await.unwrap();
        assert_eq!(json["remaining_days"], 7, "Max-Days {max_days:?}: {json}");
    }
    assert_eq!(count(&app, &days_over(6)).await, 2);
    assert_eq!(count(&app, &days_over(7)).await, 0);

    // tus: `max_days` 30 refused at creation (no upload row), 7 accepted.
    let refused = tus::create(
        &client,
        &web.url(""),
        5,
        &format!("max_days {}", b64(b"30")),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let message = refused.text().await.unwrap();
    assert!(message.contains("from 1 to 7"), "{message}");
    assert_eq!(count(&app, "SELECT count(*) FROM uploads").await, 0);
    let created = tus::create(&client, &web.url(""), 5, &format!("max_days {}", b64(b"7"))).await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // The upload page without an account offers at most 7 days and refuses 30.
    let visitor = browser_from("127.0.0.2");
    let (_, upload_page) = page(&visitor, web.url("/")).await;
    assert!(upload_page.contains(r#"option value="7""#), "{upload_page}");
    assert!(
        !upload_page.contains(r#"option value="14""#),
        "{upload_page}"
    );
    let refused = send_one_file(&visitor, &web, &upload_page, "visitor.txt", "30").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 2);

    // A signed-in sender may choose 30 days.
    let member = browser_from("127.0.0.3");
    let signed_up = sign_up(
        &member,
        &web,
        "member@example.org",
        "correct-horse-battery-staple-9c1f",
    )
    .await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    let (_, upload_page) = page(&member, web.url("/")).await;
    assert!(
        upload_page.contains(r#"option value="30""#),
        "{upload_page}"
    );
    let sent = send_one_file(&member, &web, &upload_page, "member.txt", "30").await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 3);
    assert_eq!(count(&app, &days_over(29)).await, 1);
    assert_eq!(count(&app, &days_over(30)).await, 0);
}

/// Drafts `name` (five bytes) from the client's `upload_page` as upload.js does and
/// sends the draft to live `days`: the answer to `POST /send`.
async fn send_one_file(
    client: &Client,
    web: &Process,
    upload_page: &str,
    name: &str,
    days: &str,
) -> reqwest::Response {
    let csrf = csrf_of(upload_page);
    draft_file(client, web, upload_page, name, b"hello".to_vec()).await;
    client
        .post(web.url("/send"))
        .form(&[("_csrf", csrf.as_str()), ("days", days)])
        .answer()
        .await
}

// ---------------------------------------------------------------- item 5: IPv6 /64

use crate::pages::signup_tokens;

/// Signs up `email` as the client `forwarded_for` (through 127.0.0.1, a trusted proxy).
async fn sign_up_as(
    web: &Process,
    (cookie, csrf): &(String, String),
    email: &str,
    forwarded_for: &str,
) -> StatusCode {
    client_from("127.0.0.1")
        .post(web.url("/signup"))
        .header(header::COOKIE, cookie)
        .header("X-Forwarded-For", forwarded_for)
        .form(&account_fields(
            csrf,
            email,
            "correct-horse-battery-staple-9c1f",
        ))
        .answer()
        .await
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ups_from_one_ipv6_64_share_one_limit_unless_client_ipv6_prefix_is_128() {
    let (mut app, web) = TestApp::with_web(
        "adv_budget_ipv6_signup",
        &[("SIGNUP_ATTEMPTS_PER_IP", "10")],
    )
    .await;
    let tokens = signup_tokens(&web).await;

    // Fourteen addresses of one /64: ten sign up, the rest are that client's 11th-14th.
    let mut statuses = Vec::new();
    for n in 1..=14 {
        statuses.push(
            sign_up_as(
                &web,
                &tokens,
                &format!("v6-{n}@example.org"),
                &format!("2001:db8:1:2::{n}"),
            )
            .await,
        );
    }
    assert_eq!(statuses[..10], [StatusCode::SEE_OTHER; 10], "{statuses:?}");
    assert_eq!(
        statuses[10..],
        [StatusCode::TOO_MANY_REQUESTS; 4],
        "{statuses:?}"
    );
    // The next /64 is someone else.
    assert_eq!(
        sign_up_as(&web, &tokens, "next-64@example.org", "2001:db8:1:3::1").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 11);

    // CLIENT_IPV6_PREFIX=128 (same Redis, a second process): each address is a client
    // of its own, so all fourteen pass.
    let web = app
        .start(
            Kind::Web,
            &[
                ("SIGNUP_ATTEMPTS_PER_IP", "10"),
                ("CLIENT_IPV6_PREFIX", "128"),
            ],
        )
        .await;
    let tokens = signup_tokens(&web).await;
    for n in 1..=14 {
        assert_eq!(
            sign_up_as(
                &web,
                &tokens,
                &format!("v6-128-{n}@example.org"),
                &format!("2001:db8:1:2::{n}")
            )
            .await,
            StatusCode::SEE_OTHER,
            "address {n} with CLIENT_IPV6_PREFIX=128"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM users").await, 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_uploads_from_one_ipv6_64_share_one_clients_upload_slots() {
    let (app, web) = app_with_four_upload_slots("adv_budget_ipv6_slots").await;

    // Four PUTs from four addresses of one /64 declare 100 MB, send 64 KiB and stall;
    // each is being stored (its blob exists) before the next starts.
    let mut held = Vec::new();
    for n in 1..=4 {
        let head = put_head(
            &format!("stall-{n}.bin"),
            100_000_000,
            Some(&format!("2001:db8:1:2::{n}")),
        );
        held.push(stall("127.0.0.1", web.port, head, 64 * 1024).await);
        // Wait for the stalled PUT to hold a slot.
        blobs_come_to(&app, n, Duration::from_secs(30)).await;
    }
    // A fifth address of the same /64 is the same client: 503 before its body.
    let answer = exchange(
        "127.0.0.1",
        web.port,
        put_head("stall-5.bin", 100_000_000, Some("2001:db8:1:2::5")),
        vec![],
    )
    .await;
    assert_eq!(answer.status, 503, "{}\n{}", answer.head, answer.body);
    eprintln!(
        "5th stalled PUT of the /64: 503, Retry-After {:?}",
        answer.header("retry-after")
    );
    assert!(answer.header("retry-after").is_some(), "{}", answer.head);
    assert_eq!(count(&app, "SELECT count(*) FROM blobs").await, 4);

    // Another /64 is another client, and uploads meanwhile.
    curl::share(
        &client_from("127.0.0.1"),
        &web,
        "other-64.txt",
        "not locked out",
        &[("X-Forwarded-For", "2001:db8:1:3::1")],
    )
    .await;

    // When the stalled uploads go away the /64's slots come back.
    for task in held {
        task.abort();
    }
    eventually(
        "the /64's slots to come back",
        Duration::from_secs(30),
        || async {
            let response = client_from("127.0.0.1")
                .put(web.url("/again.txt"))
                .header("X-Forwarded-For", "2001:db8:1:2::6")
                .body("hello")
                .try_answer()
                .await?;
            (response.status() == StatusCode::OK).then_some(())
        },
    )
    .await;
}
