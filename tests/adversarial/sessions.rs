//! Items 3, 6, 8 and 12: what a visitor's cookies, drafts and share links are bound
//! to. A visitor cookie planted before sign-in reaches nothing the victim drafts or
//! sends after it, and cookies are `__Host-` over https (item 3); sending without an
//! account stores nothing on the server (item 6); https responses pin https (item 8);
//! share links never follow a client's `Host` (item 12). Each test says what the code
//! before these changes did.

use std::{
    process::{Child, Stdio},
    sync::Arc,
    time::Duration,
};

use reqwest::{Client, StatusCode, cookie::Jar, header, redirect::Policy};

use crate::harness::browser::{add_to_draft, draft_upload};
use crate::harness::curl;
use crate::harness::http::Exchange;
use crate::harness::{
    Kind, Process, TestApp,
    browser::{browser, csrf_of, draft_token_of, page},
    count, eventually,
};

const PASSWORD: &str = crate::harness::browser::STRONG_PASSWORD;

/// A browser (keeps cookies, follows no redirect) whose cookie jar the test can write
/// into, as a sibling subdomain or a plain-http page on the same host could.
fn browser_with_jar() -> (Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    (client, jar)
}

/// A client that keeps no cookies: the test sends every `Cookie` header itself.
fn cookieless() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The share link web answers a `PUT /hello.txt` with (asserted: 200) when a client
/// names `evil.example` as the host, in `Host` and `X-Forwarded-Host`, with `headers`
/// on top.
async fn link_asked_for_by_evil(web: &Process, headers: &[(&str, &str)]) -> String {
    let mut evil = vec![
        ("Host", "evil.example"),
        ("X-Forwarded-Host", "evil.example"),
    ];
    evil.extend_from_slice(headers);
    curl::link(&cookieless(), web, "hello.txt", "hello", &evil).await
}

/// Every `Set-Cookie` of `response`, as sent.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `Set-Cookie` in `cookies` that sets exactly cookie `name`.
fn cookie_named<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find(|c| c.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        .map(String::as_str)
}

/// `name=value` of a `Set-Cookie`, as a `Cookie` header sends it back.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap().trim()
}

/// The value of a `Set-Cookie`.
fn value(set_cookie: &str) -> &str {
    pair(set_cookie).split_once('=').unwrap().1
}

/// The attributes of a `Set-Cookie`, lower-cased (`path=/`, `secure`, …).
fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// GETs `path` as a browser (asking for HTML), sending `cookie` if any.
async fn get(
    client: &Client,
    web: &Process,
    path: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = client
        .get(web.url(path))
        .header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.answer().await
}

/// POSTs a form as a browser (asking for HTML), sending `cookie` if any.
async fn post_form(
    client: &Client,
    web: &Process,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client
        .post(web.url(path))
        .header(header::ACCEPT, "text/html")
        .form(form);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.answer().await
}

/// Sends the draft of `client`'s session (`POST /send` for one day) with the CSRF
/// token `csrf`, as the upload page's form does: the answer as it came.
async fn send_for_a_day(client: &Client, web: &Process, csrf: &str) -> reqwest::Response {
    post_form(
        client,
        web,
        "/send",
        None,
        &[("_csrf", csrf), ("days", "1")],
    )
    .await
}

/// The `Location` of a redirect.
fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Signs a cookie-keeping `client` up (`path` `/signup`) or in (`/signin`) as `email`.
async fn account(client: &Client, web: &Process, path: &str, email: &str) -> reqwest::Response {
    let (status, form) = page(client, web.url(path)).await;
    assert_eq!(status, StatusCode::OK);
    let response = post_form(
        client,
        web,
        path,
        None,
        &[
            ("_csrf", &csrf_of(&form)),
            ("email", email),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(location(&response), "/me", "{path} as {email}");
    response
}

/// Uploads `name` into a cookie-keeping `client`'s draft as upload.js does (tus with
/// the page's draft token, then `POST /draft`).
async fn draft_file(client: &Client, web: &Process, name: &str) {
    let (_, upload_page) = page(client, web.url("/")).await;
    let id = draft_upload(
        client,
        web,
        name,
        b"bytes".to_vec(),
        &draft_token_of(&upload_page),
    )
    .await;
    assert_eq!(
        add_to_draft(client, web, &csrf_of(&upload_page), &id).await,
        StatusCode::OK,
        "{name} joins the draft"
    );
}

/// The upload page of a cookie-keeping `client`.
async fn upload_page(client: &Client, web: &Process) -> String {
    let (status, html) = page(client, web.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// Before: the draft was a keyed hash of the visitor cookie's nonce alone, and sign-in
/// kept that nonce. An attacker who planted their own `ferry_visitor` in the victim's
/// browser saw, on their own upload page, every file the victim drafted after signing
/// in, and their `POST /send` sent it to a link they could download. The sign-in
/// answer set no new visitor cookie; signing out and in from another browser showed an
/// empty draft (it belonged to the cookie, not the account).
#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_cookie_planted_before_sign_in_reaches_nothing_the_victim_drafts_after() {
    let (app, web) = TestApp::with_web("adv_visitor_fixation", &[]).await;

    // The attacker gets a visitor cookie (and the CSRF token that goes with it) …
    let (attacker, _) = browser_with_jar();
    let viewed = get(&attacker, &web, "/", None).await;
    let cookies = set_cookies(&viewed);
    let planted =
        value(cookie_named(&cookies, "ferry_visitor").expect("a visitor cookie")).to_owned();
    let attacker_csrf = csrf_of(&viewed.text().await.unwrap());
    // … and plants that exact cookie in the victim's browser.
    let (victim, victim_jar) = browser_with_jar();
    victim_jar.add_cookie_str(
        &format!("ferry_visitor={planted}; Path=/"),
        &web.url("/").parse().unwrap(),
    );

    // The victim drafts a file before signing in (the attacker can see that one: the
    // cookie is theirs) …
    draft_file(&victim, &web, "drafted-before-sign-in.txt").await;
    // … then signs up: a new visitor nonce comes with the session.
    let signed_up = account(&victim, &web, "/signup", "victim@example.org").await;
    let cookies = set_cookies(&signed_up);
    let rotated = cookie_named(&cookies, "ferry_visitor").unwrap_or_else(|| {
        panic!("sign-in sets no new visitor cookie: {cookies:?}");
    });
    assert_ne!(value(rotated), planted, "sign-in kept the planted nonce");
    assert!(
        cookie_named(&cookies, "ferry_session").is_some(),
        "{cookies:?}"
    );

    // What was drafted before sign-in followed the victim into the account.
    let before = upload_page(&victim, &web).await;
    assert!(before.contains("drafted-before-sign-in.txt"), "{before}");
    draft_file(&victim, &web, "victim-secret.txt").await;
    let victim_view = upload_page(&victim, &web).await;
    assert!(victim_view.contains("victim-secret.txt"));
    assert!(victim_view.contains("drafted-before-sign-in.txt"));

    // The attacker, with the planted cookie, sees none of it …
    let attacker_view = upload_page(&attacker, &web).await;
    assert!(
        !attacker_view.contains("victim-secret.txt"),
        "the attacker sees the victim's draft"
    );
    assert!(!attacker_view.contains("drafted-before-sign-in.txt"));
    // … cannot send it (their draft is empty: nothing is sent) …
    let sent = send_for_a_day(&attacker, &web, &attacker_csrf).await;
    assert_eq!(location(&sent), "/", "the attacker's /send made a transfer");
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);
    // … and the CSRF token minted for the planted cookie does not authorise anything in
    // the victim's signed-in browser.
    let forged = send_for_a_day(&victim, &web, &attacker_csrf).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 0);

    // Signed out, this browser shows nothing of the account; the account's draft waits
    // for it in another browser.
    let signed_out = post_form(
        &victim,
        &web,
        "/signout",
        None,
        &[("_csrf", &csrf_of(&victim_view))],
    )
    .await;
    assert_eq!(location(&signed_out), "/");
    let after = upload_page(&victim, &web).await;
    assert!(!after.contains("victim-secret.txt"), "{after}");
    let elsewhere = browser();
    account(&elsewhere, &web, "/signin", "victim@example.org").await;
    let there = upload_page(&elsewhere, &web).await;
    assert!(
        there.contains("victim-secret.txt") && there.contains("drafted-before-sign-in.txt"),
        "the account's draft is bound to the account: {there}"
    );
    // And sent from there, as one transfer of the account.
    let sent = send_for_a_day(&elsewhere, &web, &csrf_of(&there)).await;
    assert!(location(&sent).starts_with("/sent/"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM transfers t JOIN users u ON u.id = t.owner_id \
             WHERE u.email = 'victim@example.org'"
        )
        .await,
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM files").await, 2);
}

/// Before: the draft belonged to the browser's visitor cookie, so whoever signed in
/// next in a browser (without signing out first) found the previous account's files in
/// their draft. With account-bound drafts the same happened by another road: sign-in
/// moved "the draft of this request" — the signed-in account's own — into the new
/// account.
#[tokio::test(flavor = "multi_thread")]
async fn signing_in_as_another_account_takes_nothing_from_the_first_accounts_draft() {
    let (_app, web) = TestApp::with_web("adv_draft_switch", &[]).await;
    account(&browser(), &web, "/signup", "second@example.org").await;

    let shared = browser();
    account(&shared, &web, "/signup", "first@example.org").await;
    draft_file(&shared, &web, "first-only.txt").await;
    // Someone else signs in on the same browser without signing out first.
    account(&shared, &web, "/signin", "second@example.org").await;
    let second = upload_page(&shared, &web).await;
    assert!(second.contains("second@example.org"), "{second}");
    assert!(
        !second.contains("first-only.txt"),
        "the second account got the first account's draft"
    );
    // The first account still has it.
    let first = browser();
    account(&first, &web, "/signin", "first@example.org").await;
    assert!(upload_page(&first, &web).await.contains("first-only.txt"));
}

/// Checks that `set_cookie` is a `__Host-` cookie a browser accepts: `Secure`,
/// `Path=/`, no `Domain`.
fn assert_host_cookie(set_cookie: &str) {
    assert!(set_cookie.starts_with("__Host-"), "{set_cookie}");
    let attributes = attributes(set_cookie);
    assert!(attributes.iter().any(|a| a == "secure"), "{set_cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{set_cookie}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{set_cookie}"
    );
}

/// A visit as a browser would make it (every `Cookie` header by hand: a real browser
/// would not send `Secure` cookies over the test's plain http): a page view, a
/// sign-up, a counted download of a limited file. Returns every `Set-Cookie` each step
/// answered with, the `Cookie` header of the signed-in visitor, and the download's
/// path.
struct Visit {
    page: Vec<String>,
    signup: Vec<String>,
    download: Vec<String>,
    signed_in: String,
    path: String,
}

async fn visit(web: &Process, email: &str) -> Visit {
    let http = cookieless();
    let viewed = get(&http, web, "/", None).await;
    let page_cookies = set_cookies(&viewed);
    let visitor = page_cookies
        .iter()
        .find(|c| c.contains("ferry_visitor="))
        .unwrap_or_else(|| panic!("no visitor cookie: {page_cookies:?}"));
    let visitor = pair(visitor).to_owned();
    let csrf = csrf_of(&viewed.text().await.unwrap());
    let signed_up = post_form(
        &http,
        web,
        "/signup",
        Some(&visitor),
        &[("_csrf", &csrf), ("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(location(&signed_up), "/me");
    let signup = set_cookies(&signed_up);
    let signed_in = signup
        .iter()
        .map(|c| pair(c))
        .collect::<Vec<_>>()
        .join("; ");

    let shared = http
        .put(web.url("/once.bin"))
        .header("Max-Downloads", "1")
        .body(vec![7u8; 4096])
        .answer()
        .await;
    assert_eq!(shared.status(), StatusCode::OK);
    let url = shared.text().await.unwrap();
    let path = curl::path_of(&url);
    let downloaded = http.get(web.url(&path)).answer().await;
    assert_eq!(downloaded.status(), StatusCode::OK);
    let download = set_cookies(&downloaded);
    Visit {
        page: page_cookies,
        signup,
        download,
        signed_in,
        path,
    }
}

/// Before: every cookie was named `ferry_…` whatever `PUBLIC_URL` said, so a sibling
/// subdomain (`Domain=`) or a plain-http page on the same host could plant a visitor
/// cookie a browser then sent to the https site.
#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_host_prefixed_secure_and_whole_host_when_public_url_is_https_and_only_then() {
    let (mut app, https) = TestApp::with_web(
        "adv_host_cookies",
        &[("PUBLIC_URL", "https://files.example.com")],
    )
    .await;
    let seen = visit(&https, "https@example.org").await;
    let visitor = cookie_named(&seen.page, "__Host-ferry_visitor")
        .unwrap_or_else(|| panic!("visitor cookie not __Host-: {:?}", seen.page));
    assert_host_cookie(visitor);
    let session = cookie_named(&seen.signup, "__Host-ferry_session")
        .unwrap_or_else(|| panic!("session cookie not __Host-: {:?}", seen.signup));
    assert_host_cookie(session);
    assert_host_cookie(
        cookie_named(&seen.signup, "__Host-ferry_visitor").expect("the rotated visitor cookie"),
    );
    let resume = seen
        .download
        .iter()
        .find(|c| c.starts_with("__Host-ferry_resume_"))
        .unwrap_or_else(|| panic!("resume cookie not __Host-: {:?}", seen.download));
    assert_host_cookie(resume);
    for cookie in seen.page.iter().chain(&seen.signup).chain(&seen.download) {
        assert!(
            cookie.starts_with("__Host-"),
            "an unprefixed cookie: {cookie}"
        );
    }
    // The server reads the names it gives: the session signs in, and the resume cookie
    // lets another address resume the used-up download (HEAD answers only such a
    // client).
    let me = get(&cookieless(), &https, "/me", Some(&seen.signed_in)).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert!(me.text().await.unwrap().contains("https@example.org"));
    let elsewhere = Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let head = |cookie: Option<String>| {
        let mut request = elsewhere.head(https.url(&seen.path));
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        async move { request.answer().await.status() }
    };
    assert_eq!(head(None).await, StatusCode::NOT_FOUND);
    assert_eq!(head(Some(pair(resume).to_owned())).await, StatusCode::OK);

    // Plain http, by PUBLIC_URL or by the request: the plain names, not Secure.
    let http = app
        .start(Kind::Web, &[("PUBLIC_URL", "http://files.example.com")])
        .await;
    let from_request = app.start(Kind::Web, &[]).await;
    for (web, email) in [
        (&http, "http@example.org"),
        (&from_request, "req@example.org"),
    ] {
        let seen = visit(web, email).await;
        assert!(
            cookie_named(&seen.page, "ferry_visitor").is_some(),
            "{:?}",
            seen.page
        );
        assert!(
            cookie_named(&seen.signup, "ferry_session").is_some(),
            "{:?}",
            seen.signup
        );
        assert!(
            seen.download.iter().any(|c| c.starts_with("ferry_resume_")),
            "{:?}",
            seen.download
        );
        for cookie in seen.page.iter().chain(&seen.signup).chain(&seen.download) {
            assert!(!cookie.starts_with("__Host-"), "{cookie}");
            assert!(
                !attributes(cookie).iter().any(|a| a == "secure"),
                "{cookie}"
            );
        }
        let me = get(&cookieless(), web, "/me", Some(&seen.signed_in)).await;
        assert!(me.text().await.unwrap().contains(email));
    }
}

/// Before: every send by a visitor without an account wrote "what you just sent" into
/// a session, so a client that kept no session cookie (a script) made a new 7-day
/// session key per send — 100 sends, 100 keys in Redis, no 429.
#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_sends_without_an_account_store_no_session_and_each_sent_page_is_its_senders() {
    let (app, web) = TestApp::with_web("adv_sends_no_session", &[]).await;
    // A script: it keeps its visitor cookie and drops every other.
    let bot = cookieless();
    let viewed = get(&bot, &web, "/", None).await;
    let visitor =
        pair(cookie_named(&set_cookies(&viewed), "ferry_visitor").expect("a visitor cookie"))
            .to_owned();
    let html = viewed.text().await.unwrap();
    let (csrf, draft_token) = (csrf_of(&html), draft_token_of(&html));
    let before = app.redis_keys();

    let mut sent = Vec::new();
    let mut after_first = Vec::new();
    for i in 0..100 {
        let id = draft_upload(
            &bot,
            &web,
            &format!("file-{i}.txt"),
            b"bytes".to_vec(),
            &draft_token,
        )
        .await;
        let added = bot
            .post(web.url("/draft"))
            .header(header::COOKIE, &visitor)
            .header("X-CSRF-Token", &csrf)
            .json(&serde_json::json!({ "upload_id": id }))
            .answer()
            .await;
        assert_eq!(added.status(), StatusCode::OK, "send {i}: POST /draft");
        let response = post_form(
            &bot,
            &web,
            "/send",
            Some(&visitor),
            &[("_csrf", &csrf), ("days", "1")],
        )
        .await;
        let to = location(&response);
        let token = to
            .strip_prefix("/sent/")
            .expect("redirected to its page")
            .to_owned();
        let cookies = set_cookies(&response);
        assert!(
            cookie_named(&cookies, "ferry_session").is_none(),
            "send {i} set a session: {cookies:?}"
        );
        let cookie = cookie_named(&cookies, "ferry_sent")
            .unwrap_or_else(|| panic!("send {i}: no ferry_sent cookie: {cookies:?}"));
        let attributes = attributes(cookie);
        for expected in [
            format!("path={}", to.to_ascii_lowercase()),
            "httponly".into(),
        ] {
            assert!(attributes.contains(&expected), "{cookie}");
        }
        assert!(
            attributes.contains(&"samesite=strict".to_owned()),
            "{cookie}"
        );
        sent.push((token, pair(cookie).to_owned()));
        if i == 0 {
            after_first = app.redis_keys();
        }
    }
    let after = app.redis_keys();
    println!(
        "100 sends without an account: Redis keys {} before, {} after the first, {} after all: {after:?}",
        before.len(),
        after_first.len(),
        after.len()
    );
    assert!(
        !after.iter().any(|k| k.contains("session:")),
        "a send stored a session: {after:?}"
    );
    assert!(
        after.len() <= after_first.len(),
        "Redis keys grew with the sends: {} after one, {} after 100: {after:?}",
        after_first.len(),
        after.len()
    );
    assert_eq!(count(&app, "SELECT count(*) FROM transfers").await, 100);

    // Each page answers its sender — the link and the delete form — and no one else.
    let stranger = cookieless();
    let stranger_visitor = pair(
        cookie_named(
            &set_cookies(&get(&stranger, &web, "/", None).await),
            "ferry_visitor",
        )
        .unwrap(),
    )
    .to_owned();
    for (i, (token, cookie)) in sent.iter().enumerate() {
        let path = format!("/sent/{token}");
        let own = get(&bot, &web, &path, Some(&format!("{visitor}; {cookie}"))).await;
        assert_eq!(own.status(), StatusCode::OK, "{path}");
        let own = own.text().await.unwrap();
        assert!(own.contains(&format!("/s/{token}\"")), "{path}: the link");
        assert!(
            own.contains(&format!("action=\"/s/{token}/delete\"")),
            "{path}: the delete form"
        );
        let (other_token, other_cookie) = &sent[(i + 1) % sent.len()];
        assert_ne!(other_token, token);
        let forged = format!("ferry_sent={}", "0".repeat(32));
        for (who, cookie) in [
            ("no cookie", None),
            ("another visitor", Some(stranger_visitor.clone())),
            ("the sender's visitor cookie alone", Some(visitor.clone())),
            (
                "a forged ferry_sent",
                Some(format!("{stranger_visitor}; {forged}")),
            ),
            ("another transfer's cookie", Some(other_cookie.clone())),
        ] {
            let response = get(&stranger, &web, &path, cookie.as_deref()).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}: {who}");
        }
    }

    // A signed-in sender's send works the same, in a real cookie jar (which sends each
    // cookie only to its own page); the account's one session is all Redis holds.
    let member = browser();
    account(&member, &web, "/signup", "member@example.org").await;
    draft_file(&member, &web, "member.txt").await;
    let member_page = upload_page(&member, &web).await;
    let response = send_for_a_day(&member, &web, &csrf_of(&member_page)).await;
    let to = location(&response);
    let token = to.trim_start_matches("/sent/").to_owned();
    let (status, html) = page(&member, web.url(&to)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/s/{token}\"")) && html.contains("/delete\""));
    let (status, _) = page(&browser(), web.url(&to)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&member, web.url(&format!("/sent/{}", sent[0].0))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a page of someone else's send"
    );
    let sessions = app
        .redis_keys()
        .into_iter()
        .filter(|k| k.contains("session:"))
        .count();
    assert_eq!(sessions, 1, "the member's session only");
}

/// The `Strict-Transport-Security` of a GET of `path` on `web` with `headers`.
async fn hsts(web: &Process, path: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut request = cookieless().get(web.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.answer().await;
    response
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Before: no `Strict-Transport-Security` on any response, so a first visit by a
/// typed `files.example.com` (plain http) could be held on http by anyone on the path.
#[tokio::test(flavor = "multi_thread")]
async fn hsts_goes_to_https_clients_only_and_follows_hsts_max_age() {
    let (mut app, https) =
        TestApp::with_web("adv_hsts", &[("PUBLIC_URL", "https://files.example.com")]).await;
    let year = Some("max-age=31536000".to_owned());
    assert_eq!(hsts(&https, "/", &[]).await, year);
    assert_eq!(hsts(&https, "/healthz", &[]).await, year);
    assert_eq!(
        hsts(&https, "/no/such/page/here", &[]).await,
        year,
        "on a 404 too"
    );

    // Links from the request: https when a trusted proxy (127.0.0.0/8 here) says so.
    let proxied = app.start(Kind::Web, &[]).await;
    let forwarded = [("X-Forwarded-Proto", "https")];
    assert_eq!(hsts(&proxied, "/", &forwarded).await, year);
    assert_eq!(hsts(&proxied, "/", &[]).await, None, "plain http");
    assert_eq!(
        hsts(&proxied, "/", &[("X-Forwarded-Proto", "http")]).await,
        None
    );
    // The same header from a client that is no trusted proxy is not believed.
    let direct = app
        .start(Kind::Web, &[("TRUSTED_PROXIES", "10.0.0.0/8")])
        .await;
    assert_eq!(hsts(&direct, "/", &forwarded).await, None);

    let off = app
        .start(Kind::Web, &with_public_https(("HSTS_MAX_AGE", "0s")))
        .await;
    assert_eq!(hsts(&off, "/", &[]).await, None, "HSTS_MAX_AGE=0s");
    let day = app
        .start(Kind::Web, &with_public_https(("HSTS_MAX_AGE", "1d")))
        .await;
    assert_eq!(hsts(&day, "/", &[]).await, Some("max-age=86400".to_owned()));
}

/// A web process's settings for a deployment served at `https://files.example.com`,
/// with `setting` on top.
fn with_public_https(setting: (&'static str, &'static str)) -> [(&'static str, &'static str); 2] {
    [("PUBLIC_URL", "https://files.example.com"), setting]
}

/// Kills a child process that a failed assertion left running.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Before: with `PUBLIC_URL` unset the web started, and every share link was built
/// from the request's `Host` (and, from a trusted proxy — HAProxy passed a client's
/// own — `X-Forwarded-Host`): whoever sent `Host: evil.example` was handed links to
/// evil.example.
#[tokio::test(flavor = "multi_thread")]
async fn the_web_refuses_to_start_without_public_url_and_links_never_follow_a_forged_host() {
    let mut app = TestApp::new("adv_public_url").await;
    app.unset_env.push("PUBLIC_URL_FROM_REQUEST");
    for extra in [&[][..], &[("PUBLIC_URL_FROM_REQUEST", "false")][..]] {
        let mut child = Reaped(
            app.command(&["web"], extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let status = eventually(
            "the web without PUBLIC_URL to exit",
            Duration::from_secs(15),
            || {
                let exited = child.0.try_wait().unwrap();
                async move { exited }
            },
        )
        .await;
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("PUBLIC_URL"), "names PUBLIC_URL: {stderr}");
    }

    // With it, the web starts, and links use it whatever the client says its host is.
    let web = app
        .start(Kind::Web, &[("PUBLIC_URL", "https://files.example.com")])
        .await;
    let link = link_asked_for_by_evil(&web, &[("X-Forwarded-Proto", "http")]).await;
    assert!(
        link.trim().starts_with("https://files.example.com/") && !link.contains("evil"),
        "{link}"
    );
    let plain = app
        .start(Kind::Web, &[("PUBLIC_URL", "http://files.example.com")])
        .await;
    let link = link_asked_for_by_evil(&plain, &[]).await;
    assert!(
        link.trim().starts_with("http://files.example.com/"),
        "{link}"
    );
}
