//! Black-box tests of the web UI and its security: the draft in the session, accounts,
//! CSRF, rate limits shared by replicas, and a real Chromium driving the pages.

mod harness;

use harness::browser::{
    account_fields, add_to_draft, send_fields, sent_token, sign_in, sign_out, sign_up,
};
use harness::http::Exchange;

use std::{process::Command, time::Duration};

use harness::{
    Kind, Process, TestApp,
    browser::{
        STRONG_PASSWORD, browser, chromium_tests_dir, csrf_of, draft_token_of, page,
        script_succeeded,
    },
    files_finished,
};
use reqwest::{Client, StatusCode, header, redirect::Policy};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ferry_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// Uploads `name` with tus as a draft upload, then adds it to the browser's draft,
/// with the tokens of the upload page `html`, as upload.js does.
async fn draft_upload(client: &Client, web: &Process, name: &str, bytes: &[u8], html: &str) {
    let csrf = csrf_of(html);
    let draft_token = draft_token_of(html);
    let created =
        harness::tus::create_draft_upload(client, &web.url(""), name, bytes.to_vec(), &draft_token)
            .await
            .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert!(
        created.headers().get("x-share-url").is_none(),
        "a draft upload is not shared on its own"
    );
    let id = harness::tus::upload_id(&created).unwrap();
    assert_eq!(add_to_draft(client, web, &csrf, &id).await, StatusCode::OK);
}

/// Signs `client` out through `through` with the CSRF token of the page `html`, then
/// asserts that `/me` on `check` no longer knows it (a redirect to sign in): `why`.
async fn sign_out_and_check(
    client: &Client,
    through: &Process,
    html: &str,
    check: &Process,
    why: &str,
) {
    let signout = sign_out(client, through, html).await;
    assert_eq!(signout.status(), StatusCode::SEE_OTHER);
    let me = client.get(check.url("/me")).answer().await;
    assert_eq!(me.status(), StatusCode::SEE_OTHER, "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_draft_survives_sigkill_of_every_web_process_and_is_sent_as_one_transfer() {
    let mut app = TestApp::new("draft_survives").await;
    let mut a = app.start(Kind::Web, &[]).await;
    let mut b = app.start(Kind::Web, &[]).await;
    let client = browser();
    let (_, html) = page(&client, a.url("/")).await;
    let csrf = csrf_of(&html);
    draft_upload(&client, &a, "first.txt", b"one", &html).await;
    draft_upload(&client, &b, "Tom & Jerry's <b>best<b>.txt", b"two", &html).await;

    a.kill();
    b.kill();
    let c = app.start(Kind::Web, &[]).await;
    let (status, html) = page(&client, c.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("first.txt"),
        "draft kept across the death of every web process"
    );
    // `<`/`>` are replaced in names, `/` ends them; `&` survives and is escaped (`'` needs
    // no escaping: every attribute is double-quoted).
    assert!(
        html.contains("Tom &amp; Jerry's _b_best_b_.txt"),
        "names are HTML-escaped"
    );
    assert!(!html.contains("<b>"), "never raw markup");

    let sent = client
        .post(c.url("/send"))
        .form(&send_fields(&csrf, "3", "2", ""))
        .answer()
        .await;
    let token = sent_token(&sent);
    let (_, sent_page) = page(&client, c.url(&format!("/sent/{token}"))).await;
    assert!(
        sent_page.contains(&format!("/s/{token}")),
        "the share link is shown"
    );

    let stranger = browser();
    let (status, share) = page(&stranger, c.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(share.contains("2 files for you"));
    assert!(share.contains("2 downloads left"));
    let (_, empty) = page(&client, c.url("/")).await;
    assert!(
        empty.contains("No files yet."),
        "the draft is emptied by sending"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn files_added_to_the_draft_at_the_same_time_through_two_processes_all_land() {
    let (mut app, a) = TestApp::with_web("draft_concurrent", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    let client = browser();
    let (_, html) = page(&client, a.url("/")).await;
    let names: Vec<String> = (0..12).map(|i| format!("parallel-{i}.txt")).collect();
    let uploads = names.iter().enumerate().map(|(i, name)| {
        let web = if i % 2 == 0 { &a } else { &b };
        draft_upload(&client, web, name, name.as_bytes(), &html)
    });
    futures::future::join_all(uploads).await;
    let (_, html) = page(&client, b.url("/")).await;
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !html.contains(n.as_str()))
        .collect();
    assert!(missing.is_empty(), "lost from the draft: {missing:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_renews_the_session_id_and_pages_carry_security_headers() {
    let (_app, web) = TestApp::with_web("signin_renews", &[]).await;
    let client = browser();
    let response = client.get(web.url("/signup")).answer().await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
    let csrf = csrf_of(&html);
    let signup = client
        .post(web.url("/signup"))
        .form(&account_fields(&csrf, "Ada@Example.org", STRONG_PASSWORD))
        .answer()
        .await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    let before = session_cookie(&signup).expect("signing up starts a session");
    let (_, me) = page(&client, web.url("/me")).await;
    assert!(me.contains("Signed in as ada@example.org"));

    // Signing in again (any sign-in) must change the session id.
    let signin = sign_in(&client, &web, "ada@example.org", STRONG_PASSWORD).await;
    assert_eq!(signin.status(), StatusCode::SEE_OTHER);
    let after = session_cookie(&signin).expect("sign-in sets a new session cookie");
    assert_ne!(before, after, "session id renewed at sign-in");
    // The pre-sign-in session id is worthless now.
    let fresh = || Client::builder().redirect(Policy::none()).build().unwrap();
    let old = fresh()
        .get(web.url("/me"))
        .header(header::COOKIE, &before)
        .answer()
        .await;
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "the old session is not signed in"
    );
    let new = fresh()
        .get(web.url("/me"))
        .header(header::COOKIE, &after)
        .answer()
        .await;
    assert_eq!(new.status(), StatusCode::OK);
    let (_, me) = page(&client, web.url("/me")).await;
    sign_out_and_check(&client, &web, &me, &web, "signed out").await;

    let wrong = client
        .post(web.url("/signin"))
        .form(&[
            (
                "_csrf",
                csrf_of(&page(&client, web.url("/signin")).await.1).as_str(),
            ),
            ("email", "ada@example.org"),
            ("password", "wrong password!"),
        ])
        .answer()
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

/// Sessions live only in Redis (a single node, or the cluster in
/// `FERRY_TEST_REDIS=cluster` mode): any web process reads, renews and ends a session
/// that another one wrote.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_written_through_one_web_is_read_and_ended_through_another() {
    let (mut app, a) = TestApp::with_web("session_two_webs", &[]).await;
    let b = app.start(Kind::Web, &[]).await;
    // One cookie jar for both: cookies are per host, not per port.
    let client = browser();
    let signup = sign_up(&client, &a, "grace@example.org", STRONG_PASSWORD).await;
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&signup).is_some(), "web A wrote a session");

    let (status, me) = page(&client, b.url("/me")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "web B reads the session web A wrote"
    );
    assert!(me.contains("Signed in as grace@example.org"), "{me}");

    let why = "signing out through web B ends the session for web A";
    sign_out_and_check(&client, &b, &me, &a, why).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_without_the_csrf_token_is_rejected() {
    let (app, web) = TestApp::with_web("csrf", &[]).await;
    let client = browser();
    let (_, html) = page(&client, web.url("/signup")).await;
    let _real = csrf_of(&html);
    for (path, form) in [
        (
            "/signup",
            vec![
                ("email", "x@example.org"),
                ("password", "long enough password"),
            ],
        ),
        (
            "/signin",
            vec![
                ("_csrf", "forged"),
                ("email", "x@example.org"),
                ("password", "long enough password"),
            ],
        ),
        ("/send", vec![("days", "3")]),
        ("/signout", vec![]),
    ] {
        let response = client.post(web.url(path)).form(&form).answer().await;
        assert!(
            matches!(
                response.status(),
                StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
            ),
            "{path}: {}",
            response.status()
        );
    }
    let draft = client
        .post(web.url("/draft"))
        .json(&serde_json::json!({ "upload_id": "x" }))
        .answer()
        .await;
    assert_eq!(draft.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser().get(web.url("/me")).answer().await.status(),
        StatusCode::SEE_OTHER
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pg)
        .await
        .unwrap();
    assert_eq!(users, 0, "nothing happened");
}

#[tokio::test(flavor = "multi_thread")]
async fn share_password_guessing_hits_429_across_two_processes_and_the_right_password_unlocks() {
    let (app, [a, b]) =
        TestApp::with_webs("password_rate_limit", &[("UNLOCK_ATTEMPTS_PER_IP", "6")]).await;
    let sender = browser();
    let upload_page = page(&sender, a.url("/")).await.1;
    let csrf = csrf_of(&upload_page);
    draft_upload(&sender, &a, "secret.txt", b"top secret", &upload_page).await;
    let sent = sender
        .post(a.url("/send"))
        .form(&send_fields(&csrf, "1", "", "open sesame"))
        .answer()
        .await;
    let token = sent.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/sent/")
        .to_owned();

    let curl = app.get(b.url(&format!("/{token}/secret.txt"))).await;
    assert_eq!(
        curl.status(),
        StatusCode::FORBIDDEN,
        "locked without the password"
    );
    // Nor can a name be probed: a file that does not exist answers the same.
    let probe = app.get(b.url(&format!("/{token}/no-such-file.txt"))).await;
    assert_eq!(probe.status(), StatusCode::FORBIDDEN, "no name probing");

    let guesser = browser();
    let mut statuses = Vec::new();
    for attempt in 0..8 {
        let web = if attempt % 2 == 0 { &a } else { &b };
        let (status, html) = page(&guesser, web.url(&format!("/s/{token}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Password required"));
        let response = guesser
            .post(web.url(&format!("/s/{token}/unlock")))
            .header("X-Forwarded-For", "198.51.100.1")
            .form(&[
                ("_csrf", csrf_of(&html).as_str()),
                ("password", &format!("guess {attempt}")),
            ])
            .answer()
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key(header::RETRY_AFTER));
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        vec![403, 403, 403, 403, 403, 403, 429, 429],
        "6 guesses per minute, counted across both processes"
    );

    let friend = browser();
    let (_, html) = page(&friend, b.url(&format!("/s/{token}"))).await;
    // The limit is per client: another address (told by the trusted proxy) may try.
    let unlocked = friend
        .post(b.url(&format!("/s/{token}/unlock")))
        .header("X-Forwarded-For", "198.51.100.2")
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("password", "open sesame"),
        ])
        .answer()
        .await;
    assert_eq!(unlocked.status(), StatusCode::SEE_OTHER);
    let download = friend
        .get(a.url(&format!("/{token}/secret.txt")))
        .answer()
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"top secret");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_guessing_is_rate_limited_per_account() {
    let (_app, web) =
        TestApp::with_web("signin_rate_limit", &[("SIGNIN_ATTEMPTS_PER_ACCOUNT", "3")]).await;
    let client = browser();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let csrf = csrf_of(&page(&client, web.url("/signin")).await.1);
        let response = client
            .post(web.url("/signin"))
            .form(&account_fields(
                &csrf,
                "victim@example.org",
                "not the password",
            ))
            .answer()
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_an_allowed_origin_uploads_with_tus_js_client_and_reads_the_file_back() {
    let dir = chromium_tests_dir(&["playwright-core", "tus-js-client"]);
    let (allowed_port, other_port) = (
        ferry_dev::services::free_port(),
        ferry_dev::services::free_port(),
    );
    let allowed = format!("http://localhost:{allowed_port}");
    let (mut app, web) = TestApp::with_web(
        "cors",
        &[(
            "CORS_ALLOWED_ORIGINS",
            &format!("https://app.example.com, {allowed}"),
        )],
    )
    .await;
    let plain = app.start(Kind::Web, &[]).await;
    let client = Client::new();
    let preflight = |web: &Process, origin: &str| {
        client
            .request(reqwest::Method::OPTIONS, web.url("/files/"))
            .header(header::ORIGIN, origin)
            .header("Access-Control-Request-Method", "PATCH")
            .header(
                "Access-Control-Request-Headers",
                "tus-resumable,upload-offset,content-type",
            )
            .send()
    };

    // A preflight from the allowed origin is answered for tus's methods and headers.
    let answer = preflight(&web, &allowed).await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let headers = answer.headers();
    assert_eq!(headers["access-control-allow-origin"], allowed.as_str());
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed_headers.contains("upload-offset"),
        "{allowed_headers}"
    );
    assert!(!headers.contains_key("access-control-allow-credentials"));
    // Another origin, or a deployment without CORS_ALLOWED_ORIGINS: no CORS headers.
    let refused = preflight(&web, "https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let none = preflight(&plain, &allowed).await.unwrap();
    assert!(!none.headers().contains_key("access-control-allow-origin"));
    // A request with an Origin that is not on the list is still served (browsers send
    // Origin on same-origin POSTs too); only the CORS headers are withheld.
    let put = client
        .put(web.url("/hello.txt"))
        .header(header::ORIGIN, "https://evil.example")
        .body("hello")
        .answer()
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert!(!put.headers().contains_key("access-control-allow-origin"));
    let exposed = client
        .put(web.url("/hello.txt"))
        .header(header::ORIGIN, &allowed)
        .body("hello")
        .answer()
        .await;
    let exposed = exposed.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("x-url-delete"), "{exposed}");

    // The real client in a real browser, from a page on the allowed origin and from
    // one that is not.
    let out = Command::new("node")
        .arg(dir.join("cors.mjs"))
        .arg(web.url(""))
        .arg(allowed_port.to_string())
        .arg(other_port.to_string())
        .output()
        .unwrap();
    script_succeeded("browser test", &out);
    assert_eq!(
        harness::count(
            &app,
            "SELECT count(*) FROM files WHERE name = 'from-another-origin.bin'"
        )
        .await,
        1,
        "one upload (the allowed page's) became a file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_works_end_to_end_in_chromium() {
    let dir = chromium_tests_dir(&["playwright-core", "tus-js-client"]);
    let (app, web, _worker) = TestApp::with_web_and_worker("browser_e2e").await;
    let files = std::env::temp_dir().join(format!("ferry-e2e-{}", web.port));
    std::fs::create_dir_all(&files).unwrap();
    let text = files.join("notes.txt");
    std::fs::write(
        &text,
        "Meeting notes: ship the file drop that scales out.\n",
    )
    .unwrap();
    let photo = files.join("sunset.png");
    let image = image::RgbImage::from_fn(960, 640, |x, y| {
        let sky = 255 - (y * 200 / 640) as u8;
        image::Rgb([sky, (120 + x * 60 / 960) as u8, (200 - y * 150 / 640) as u8])
    });
    image.save(&photo).unwrap();

    let mut command = Command::new("node");
    command
        .arg(dir.join("e2e.mjs"))
        .arg(web.url(""))
        .arg(&text)
        .arg(&photo);
    if let Some(shots) = harness::browser::screenshot_dir() {
        command.arg(shots);
    }
    let out = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&files);
    script_succeeded("browser test", &out);
    files_finished(&app, Duration::from_secs(30)).await;
}
