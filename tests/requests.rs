//! Black-box tests of file requests: a signed-in owner asks, anyone with the link
//! uploads — through the request's page, `PUT /r/{token}/{name}` and tus — and the
//! request's limits hold across web processes, also while they are killed.

mod harness;

use std::time::Duration;

use harness::{
    Kind, TestApp,
    browser::{self, STRONG_PASSWORD, browser, csrf_of, page, press, run_chromium_script},
    count,
    data::{self, MIB, b64},
    files_finished,
    http::Exchange,
    requests::{arrived, counters, owner_with_request, put_into, stored_whole},
    smtp::{SmtpServer, app_with_mail},
    tus,
};
use reqwest::{Client, StatusCode, header};

#[tokio::test(flavor = "multi_thread")]
async fn fifty_uploads_racing_into_a_ten_file_request_through_two_web_processes_store_exactly_ten()
{
    let (app, webs) = TestApp::with_webs::<2>("request_files", &[]).await;
    let (_owner, token) =
        owner_with_request(&webs[0], "asker@example.com", &[("max_files", "10")]).await;

    let client = Client::new();
    let answers = futures::future::join_all((0..50).map(|i| {
        let (client, web, token) = (client.clone(), &webs[i % 2], token.clone());
        async move {
            put_into(
                &client,
                web,
                &token,
                &format!("photo-{i}.jpg"),
                vec![i as u8; 10_000],
            )
            .await
        }
    }))
    .await;
    let accepted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(accepted, 10, "{answers:?}");
    for (status, body) in &answers {
        if *status != StatusCode::OK {
            assert_eq!(*status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
            assert!(body.contains("takes no more files"), "{body}");
        } else {
            assert!(
                body.contains("Holiday photos"),
                "a receipt, not a link: {body}"
            );
            assert!(!body.contains("/s/") && !body.contains("http"), "{body}");
        }
    }
    assert_eq!(arrived(&app, &token).await, (10, 100_000));
    assert_eq!(counters(&app, &token).await, (10, 100_000));
    // Every transfer is the owner's, with the request's lifetime.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM transfers t JOIN users u ON u.id = t.owner_id
                      WHERE u.email = 'asker@example.com' AND t.file_request_id IS NOT NULL
                        AND t.expires_at > now() + interval '13 days'"
        )
        .await,
        10
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_that_together_pass_the_byte_limit_never_store_more_than_it() {
    let (app, webs) = TestApp::with_webs::<2>("request_bytes", &[]).await;
    let (_owner, token) = owner_with_request(
        &webs[0],
        "bytes@example.com",
        &[("max_files", "100"), ("max_size", "100 KB")],
    )
    .await;
    let client = Client::new();
    // Twenty tus uploads of 30 KB, created at once through both processes: three fit.
    let metadata = format!(
        "filename {},file_request {}",
        b64(b"part.bin"),
        b64(token.as_bytes())
    );
    let created = futures::future::join_all((0..20).map(|i| {
        let (client, base, metadata) = (client.clone(), webs[i % 2].url(""), metadata.clone());
        async move {
            tus::create_with_upload(&client, &base, 30_000, Some(&metadata), vec![7; 30_000]).await
        }
    }))
    .await;
    let mut refused = 0;
    for answer in created {
        match answer.status() {
            StatusCode::CREATED => {
                assert_eq!(answer.headers()["x-file-request"], "received");
                assert!(answer.headers().get("x-share-url").is_none());
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                refused += 1;
                let text = answer.text().await.unwrap();
                assert!(text.contains("more bytes"), "{text}");
            }
            other => panic!("unexpected {other}: {}", answer.text().await.unwrap()),
        }
    }
    assert_eq!(refused, 17);
    let (files, bytes) = arrived(&app, &token).await;
    assert_eq!((files, bytes), (3, 90_000));
    assert!(bytes <= 100_000);
    // Without a declared length nothing is admitted: the bytes could not be counted.
    let deferred = client
        .post(webs[0].url("/files/"))
        .header(tus::TUS.0, tus::TUS.1)
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", &metadata)
        .answer()
        .await;
    assert_eq!(deferred.status(), StatusCode::BAD_REQUEST);
    assert_eq!(counters(&app, &token).await, (3, 90_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_a_request_stops_new_and_running_uploads_and_an_unfinished_one_gives_its_share_back()
 {
    let (app, web) = TestApp::with_web("request_close", &[]).await;
    let (owner, token) =
        owner_with_request(&web, "closer@example.com", &[("max_files", "3")]).await;
    let client = Client::new();
    let metadata = format!(
        "filename {},file_request {}",
        b64(b"big.bin"),
        b64(token.as_bytes())
    );
    // Two uploads begin: half of each is sent.
    let mut running = Vec::new();
    for _ in 0..2 {
        let created = tus::create_with_upload(
            &client,
            &web.url(""),
            20_000,
            Some(&metadata),
            vec![1; 10_000],
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        running.push(tus::path_of(&created));
    }
    assert_eq!(counters(&app, &token).await, (2, 40_000));
    // Terminating one gives its file and bytes back at once.
    let gone = client
        .delete(web.url(&running[1]))
        .header(tus::TUS.0, tus::TUS.1)
        .answer()
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(counters(&app, &token).await, (1, 20_000));

    // The owner closes the request.
    let (_, list) = page(&owner, web.url("/requests")).await;
    let closed = press(&owner, web.url(&format!("/requests/{token}/close")), &list).await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    // The running upload cannot continue, a new one cannot start, the page says so.
    let patched = tus::patch(&client, web.url(&running[0]), 10_000, vec![1; 10_000]).await;
    assert_eq!(patched.status(), StatusCode::GONE);
    let (status, body) = put_into(&client, &web, &token, "late.txt", b"late".to_vec()).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    let (status, html) = page(&browser(), web.url(&format!("/r/{token}"))).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("closed"), "{html}");
    assert_eq!(arrived(&app, &token).await, (0, 0));
    // Another user cannot close it, nor can anyone without a session.
    let stranger = browser();
    browser::register(&stranger, &web, "stranger@example.com").await;
    let (_, theirs) = page(&stranger, web.url("/requests")).await;
    let refused = press(
        &stranger,
        web.url(&format!("/requests/{token}/close")),
        &theirs,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploader_sees_only_their_own_files_and_the_owner_finds_them_in_my_transfers() {
    let (app, web, _worker) = TestApp::with_web_and_worker("request_page").await;
    let hostile = r#"<script>alert("t")</script> & "quotes""#;
    let (owner, token) = owner_with_request(
        &web,
        "pages@example.com",
        &[
            ("title", hostile),
            ("message", "<img src=x onerror=alert(1)>"),
        ],
    )
    .await;
    let path = format!("/r/{token}");

    // Two uploaders, each through the request's page as upload.js drives it.
    let mut sent = Vec::new();
    for (who, name) in [
        ("first", "first-upload.txt"),
        ("second", "second-upload.txt"),
    ] {
        let visitor = browser();
        let (status, html) = page(&visitor, web.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;alert"), "the title as text");
        assert!(
            !html.contains("first-upload.txt"),
            "{who} sees nobody else's files"
        );
        let draft_token = browser::draft_token_of(&html);
        let metadata = format!(
            "filename {},ferry_draft {},ferry_draft_token {},file_request {}",
            b64(name.as_bytes()),
            b64(b"1"),
            b64(draft_token.as_bytes()),
            b64(token.as_bytes())
        );
        let body = format!("{who} file").into_bytes();
        let created =
            tus::create_with_upload(&visitor, &web.url(""), body.len(), Some(&metadata), body)
                .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let id = tus::upload_id(&created).unwrap();
        let added = visitor
            .post(web.url(&format!("{path}/draft")))
            .header("X-CSRF-Token", csrf_of(&html))
            .json(&serde_json::json!({ "upload_id": id }))
            .answer()
            .await;
        assert_eq!(added.status(), StatusCode::OK);
        // A draft of the plain upload page cannot take it (nor a stranger's draft).
        assert_eq!(
            browser::add_to_draft(&visitor, &web, &csrf_of(&html), &id).await,
            StatusCode::FORBIDDEN
        );
        let (_, mine) = page(&visitor, web.url(&path)).await;
        assert!(mine.contains(name), "{who} sees their file");
        let send = press(&visitor, web.url(&format!("{path}/send")), &mine).await;
        assert_eq!(send.status(), StatusCode::SEE_OTHER);
        sent.push(
            send.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let (_, after) = page(&visitor, web.url(&sent[sent.len() - 1])).await;
        assert!(after.contains("Thank you: 1 file sent"), "{after}");
    }
    // Each visit is one transfer of the owner's, listed on their page with the request.
    let (_, me) = page(&owner, web.url("/me")).await;
    assert!(
        me.contains("first-upload.txt") && me.contains("second-upload.txt"),
        "{me}"
    );
    assert!(me.contains("Uploaded to your request"), "{me}");
    assert!(!me.contains("<script>alert"), "{me}");
    assert_eq!(arrived(&app, &token).await.0, 2);
    harness::files_finished(&app, Duration::from_secs(60)).await;
}

/// The whole journey in Chromium (tests/browser/requests.mjs), across two web
/// processes: an uploader drops three files — one of several 4 MiB tus chunks — on the
/// request's page on one process and sends them; a visitor of the other process sees
/// none of them, and adds a file with the keyboard alone. The owner's page lists every
/// file, and what Postgres holds is byte for byte what the browser sent. With
/// `FERRY_SCREENSHOTS=DIR` the script saves `file-request.png` and `requests.png`.
#[tokio::test(flavor = "multi_thread")]
async fn in_chromium_files_dropped_on_a_request_through_one_web_reach_the_owner_whole_and_a_visitor_of_another_sees_none()
 {
    let (mut app, webs) = TestApp::with_webs::<2>("request_chromium", &[]).await;
    let _worker = app.start(Kind::Worker, &[]).await;
    let email = "photographer@example.com";
    let (owner, token) = owner_with_request(
        &webs[0],
        email,
        &[
            ("title", "Photos and clips from the trip"),
            (
                "message",
                "Drop everything you took in Lisbon here. Thank you!",
            ),
        ],
    )
    .await;
    let dir = std::env::temp_dir().join(format!("ferry-requests-{}", webs[0].port));
    std::fs::create_dir_all(&dir).unwrap();
    let dropped = [
        ("tram-28.bin", data::random_bytes(12 * MIB + 12_345, 28)),
        ("miradouro.png", data::png(800, 600)),
        (
            "itinerary.txt",
            b"Day 1: Alfama. Day 2: Belem. Day 3: Sintra.\n".to_vec(),
        ),
    ];
    let keyed = (
        "typed-by-keyboard.txt",
        b"Chosen and sent with the keyboard.\n".to_vec(),
    );
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    for (name, bytes) in dropped.iter().chain([&keyed]) {
        std::fs::write(dir.join(name), bytes).unwrap();
    }

    let mut args = vec![
        webs[0].url(""),
        webs[1].url(""),
        token.clone(),
        email.to_owned(),
        STRONG_PASSWORD.to_owned(),
        path(keyed.0),
    ];
    args.extend(dropped.iter().map(|(name, _)| path(name)));
    args.extend(browser::screenshot_dir());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = run_chromium_script("requests.mjs", &args);
    let _ = std::fs::remove_dir_all(&dir);

    // 12 MiB and a bit is four chunks; the two small files one each.
    assert!(report["patches"].as_u64().unwrap() >= 6, "{report}");
    assert_eq!(report["patchedUploads"], 3, "{report}");
    assert_eq!(report["otherSaw"], serde_json::json!([]), "{report}");
    assert!(
        report["row"].as_str().unwrap().contains("4 of 10 files"),
        "{report}"
    );
    // The owner finds all four files on their page, from the other process too.
    let (_, me) = page(&owner, webs[1].url("/me")).await;
    for (name, _) in dropped.iter().chain([&keyed]) {
        assert!(me.contains(name), "{name} is not on /me: {me}");
    }
    assert!(me.contains("Uploaded to your request"), "{me}");
    assert_eq!(arrived(&app, &token).await.0, 4);
    // What Postgres holds is what the browser read from disk, byte for byte: the
    // digest taken while the chunks arrived, and the worker's own reading of the
    // stored blob, which finishes a file only when it matches.
    for (name, bytes) in dropped.iter().chain([&keyed]) {
        assert_eq!(
            stored_whole(&app, &token, name, bytes).await,
            1,
            "{name} is not stored whole"
        );
    }
    files_finished(&app, Duration::from_secs(60)).await;
}

/// The owner is told by e-mail of every upload into their request (once their address
/// is confirmed), through the worker and a real SMTP server; the mail names the
/// request and the files and links to "My transfers", and the uploader's address is
/// not needed for any of it.
#[tokio::test(flavor = "multi_thread")]
async fn the_owner_is_mailed_about_every_upload_into_their_request() {
    let smtp = SmtpServer::start("request_mail");
    let (app, web, _worker) = app_with_mail("request_mail", &smtp, &[]).await;
    let (_owner, token) = owner_with_request(
        &web,
        "notified@example.com",
        &[("title", "Scans for the \r\nBcc: x@evil.test audit")],
    )
    .await;
    // The sign-up mailed a verification link; the address counts as confirmed here
    // (the mail suite proves the link itself).
    app.confirm_email("notified@example.com").await;
    let client = Client::new();
    for name in ["invoice-1.pdf", "invoice-2.pdf"] {
        let (status, body) = put_into(&client, &web, &token, name, b"%PDF-1.4 scan".to_vec()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let mails = smtp
        .wait_for("notified@example.com", 3, Duration::from_secs(60))
        .await;
    let notices: Vec<_> = mails
        .iter()
        .filter(|m| m.body().contains("invoice-"))
        .collect();
    assert_eq!(notices.len(), 2, "one notice per upload");
    for notice in &notices {
        assert_eq!(notice.envelope_to, vec!["notified@example.com".to_owned()]);
        assert!(notice.header("Bcc").is_none(), "{}", notice.headers());
        assert!(notice.body().contains("Scans for the"), "{}", notice.body());
        assert!(notice.body().contains("/me"), "{}", notice.body());
    }
}

/// A request with a password: nothing goes in without it — not through the page, curl
/// or tus — wrong guesses are refused, the page unlocks for its session, and the
/// password given in tus metadata is checked, never stored or echoed back.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_protected_request_takes_uploads_only_with_its_password() {
    let (app, web) = TestApp::with_web("request_password", &[]).await;
    let secret = "harbour lights 42";
    let (_owner, token) = owner_with_request(
        &web,
        "guarded@example.com",
        &[("password", secret), ("message", "only for the auditors")],
    )
    .await;
    let client = Client::new();
    let put = |password: Option<&'static str>| {
        let request = client
            .put(web.url(&format!("/r/{token}/scan.pdf")))
            .body(b"%PDF scan".to_vec());
        match password {
            Some(p) => request.header("Ferry-Request-Password", p),
            None => request,
        }
    };
    let answer = put(None).answer().await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(answer.text().await.unwrap().contains("password_required"));
    let answer = put(Some("not the password")).answer().await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(answer.text().await.unwrap().contains("password_wrong"));
    assert_eq!(
        put(Some("harbour lights 42")).answer().await.status(),
        StatusCode::OK
    );

    // tus: the password in the metadata is checked and dropped before it is stored.
    let metadata = format!(
        "filename {},file_request {},file_request_password {}",
        b64(b"tus.bin"),
        b64(token.as_bytes()),
        b64(secret.as_bytes())
    );
    let created =
        tus::create_with_upload(&client, &web.url(""), 5, Some(&metadata), b"hello".to_vec()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let echoed = tus::head(&client, web.url(&tus::path_of(&created))).await;
    let echoed = echoed.headers()["upload-metadata"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !echoed.contains("file_request_password") && !echoed.contains(&b64(secret.as_bytes())),
        "{echoed}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM uploads WHERE metadata LIKE '%file_request_password%'"
        )
        .await,
        0
    );

    // The JSON description keeps the message for those with the password.
    let described: serde_json::Value = client
        .get(web.url(&format!("/r/{token}")))
        .answer_json()
        .await;
    assert_eq!(described["password_required"], true);
    assert_eq!(described["message"], "");

    // The page: a password form first, no drop zone; the right password opens it.
    let visitor = browser();
    let (status, html) = page(&visitor, web.url(&format!("/r/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("data-draft-token") && !html.contains("only for the auditors"),
        "{html}"
    );
    let unlock = |password: &'static str, html: String| {
        let visitor = visitor.clone();
        let url = web.url(&format!("/r/{token}/unlock"));
        async move {
            visitor
                .post(url)
                .header(header::ACCEPT, "text/html")
                .form(&[("_csrf", csrf_of(&html).as_str()), ("password", password)])
                .answer()
                .await
                .status()
        }
    };
    assert_eq!(
        unlock("wrong password!", html.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        unlock("harbour lights 42", html).await,
        StatusCode::SEE_OTHER
    );
    let (_, opened) = page(&visitor, web.url(&format!("/r/{token}"))).await;
    assert!(opened.contains("data-draft-token") && opened.contains("only for the auditors"));
    assert_eq!(arrived(&app, &token).await.0, 2);
}

/// A bad field on the owner's form shows the form again (400) saying which field and
/// why, in the owner's language, and makes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_field_on_the_request_form_is_explained_in_the_owners_language() {
    let (app, web) = TestApp::with_web("request_form", &[]).await;
    let (owner, _) = owner_with_request(&web, "forms@example.com", &[]).await;
    for (language, expected) in [("en", "is not a size"), ("de", "ist keine Größe")] {
        let (_, form) = page(&owner, web.url("/requests")).await;
        let answer = owner
            .post(web.url("/requests"))
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_LANGUAGE, language)
            .form(&[
                ("_csrf", csrf_of(&form).as_str()),
                ("title", "Contracts"),
                ("days", "7"),
                ("max_files", "5"),
                ("max_size", "lots"),
                ("transfer_days", "7"),
            ])
            .answer()
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(expected) && html.contains("lots"),
            "{language}: {html}"
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM file_requests").await, 1);
}
