//! Items 1, 4, 9 (drafts), 10 and 14: the server-rendered pages, sessions and accounts,
//! tried as an attacker would — crawling without cookies, signing up in bulk, stealing
//! upload ids, taking Redis away, and naming files like markup.

use std::time::Duration;

use reqwest::{Client, StatusCode, header, redirect::Policy};

use crate::harness::browser::{
    account_fields, add_to_draft, draft_file, draft_upload, post_form, register, send_fields,
    sent_token, sign_in,
};
use crate::harness::http::{Exchange, retry_after};
use crate::harness::{
    Kind, Process, TestApp,
    browser::{STRONG_PASSWORD, browser, csrf_of, draft_token_of, page},
    unique_temp_path,
};

/// Keys under this app's Redis prefix (on every node, in cluster mode).
fn redis_keys(app: &TestApp) -> usize {
    app.redis_keys().len()
}

/// Shares `body` as `name` with the curl API; returns the share token.
async fn share(app: &TestApp, web: &Process, name: &str, body: &'static str) -> String {
    let url = app
        .http
        .put(web.url(&format!("/{name}")))
        .body(body)
        .answer_text()
        .await;
    url.trim().rsplit('/').nth(1).unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_cookieless_page_views_write_almost_nothing_to_redis() {
    let (app, web) = TestApp::with_web("adv_cookieless", &[]).await;
    let token = share(&app, &web, "crawled.txt", "crawl me").await;
    let share_page = format!("/s/{token}");
    let before = redis_keys(&app);
    let crawler = Client::builder().redirect(Policy::none()).build().unwrap();
    for _ in 0..50 {
        for path in ["/", "/signin", "/signup", share_page.as_str()] {
            let (status, html) = page(&crawler, web.url(path)).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(html.contains("csrf-token"), "{path} is a real page");
        }
    }
    let after = redis_keys(&app);
    println!("200 cookieless page views: Redis keys {before} -> {after}");
    assert!(
        after <= before + 5,
        "200 cookieless views wrote {} Redis keys",
        after - before
    );
}

/// The session keys of this app, and the remaining TTL (ms) of each.
fn sessions_with_ttl(app: &TestApp) -> Vec<(String, i64)> {
    app.redis_keys()
        .into_iter()
        .filter(|k| k.contains("session:"))
        .map(|key| {
            let out = std::process::Command::new("redis-cli")
                .args(["-c", "-u", &app.redis_nodes()[0], "PTTL", &key])
                .output()
                .expect("redis-cli");
            let ttl = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            (key, ttl)
        })
        .collect()
}

/// No write on a read: page views of a visitor with a session leave the session as
/// it is in Redis (its TTL running down, no cookie sent) until half its `SESSION_TTL`
/// has passed; the next view restarts its TTL once — same key, same data, the same
/// cookie sent back with a fresh `Max-Age` — and idle for a whole TTL it is gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_sessions_page_views_write_nothing_until_half_its_ttl_then_renew_it_once() {
    let (app, web) = TestApp::with_web("adv_session_renewal", &[("SESSION_TTL", "6s")]).await;
    let client = browser();
    let wrote = client
        .post(web.url("/api/session"))
        .json(&serde_json::json!({ "key": "k", "value": "kept" }))
        .answer()
        .await;
    assert_eq!(wrote.status(), StatusCode::NO_CONTENT);
    let written = std::time::Instant::now();
    let first = sessions_with_ttl(&app);
    assert_eq!(first.len(), 1, "{first:?}");
    let session_cookie = |response: &reqwest::Response| {
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with("ferry_session="))
    };
    let first_cookie = session_cookie(&wrote).expect("the session cookie");
    let read = |client: &Client| {
        let request = client.get(web.url("/api/session")).send();
        async move {
            let response = request.await.unwrap();
            let set_cookie = session_cookie(&response);
            let body: serde_json::Value = response.json().await.unwrap();
            (set_cookie, body["values"]["k"].clone())
        }
    };
    // Well within the first half: twenty reads, no write.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..20 {
        let (set_cookie, value) = read(&client).await;
        assert_eq!(set_cookie, None, "a read sent the session cookie again");
        assert_eq!(value, "kept");
    }
    let still = sessions_with_ttl(&app);
    assert_eq!(still.len(), 1);
    assert_eq!(still[0].0, first[0].0, "the same key");
    assert!(
        still[0].1 <= first[0].1 - 1000,
        "its TTL ran down: {} ms then {} ms",
        first[0].1,
        still[0].1
    );
    // Past half the TTL: the next view renews it, once.
    tokio::time::sleep(Duration::from_millis(3200).saturating_sub(written.elapsed())).await;
    let (set_cookie, value) = read(&client).await;
    let set_cookie = set_cookie.expect("the renewal sends the cookie again");
    assert_eq!(
        set_cookie.split(';').next(),
        first_cookie.split(';').next(),
        "the same session, so requests in flight with it lose nothing"
    );
    assert!(set_cookie.contains("Max-Age=6"), "{set_cookie}");
    assert_eq!(value, "kept");
    let renewed = sessions_with_ttl(&app);
    assert_eq!(renewed.len(), 1, "{renewed:?}");
    assert_eq!(renewed[0].0, first[0].0, "the same key");
    assert!(renewed[0].1 > 5000, "a full TTL again: {renewed:?}");
    let (set_cookie, _) = read(&client).await;
    assert_eq!(set_cookie, None, "renewed once, not on every view after");
    // Idle for a whole TTL: gone.
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let (_, value) = read(&client).await;
    assert_eq!(value, serde_json::Value::Null, "an idle session expires");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_client_that_learns_an_upload_id_cannot_put_it_in_its_draft() {
    let (_app, web) = TestApp::with_web("adv_draft_owner", &[]).await;
    let owner = browser();
    let (_, owner_page) = page(&owner, web.url("/")).await;
    let id = draft_upload(
        &owner,
        &web,
        "mine.txt",
        b"bytes".to_vec(),
        &draft_token_of(&owner_page),
    )
    .await;

    // The attacker learned the upload id (a log line, a shoulder) and has its own page.
    let attacker = browser();
    let (_, attacker_page) = page(&attacker, web.url("/")).await;
    let status = add_to_draft(&attacker, &web, &csrf_of(&attacker_page), &id).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "the attacker added someone else's upload: {status}"
    );
    // Nor with an upload of its own that claims the owner's token read back from HEAD:
    // the token is bound to the draft, so it only ever lets the owner in.
    let (_, attacker_view) = page(&attacker, web.url("/")).await;
    assert!(!attacker_view.contains("mine.txt"));

    // The owner can.
    let status = add_to_draft(&owner, &web, &csrf_of(&owner_page), &id).await;
    assert_eq!(status, StatusCode::OK);
    let (_, owner_view) = page(&owner, web.url("/")).await;
    assert!(owner_view.contains("mine.txt"));
}

/// A visitor cookie and its CSRF token, from one view of the sign-up page.
pub(crate) async fn signup_tokens(web: &Process) -> (String, String) {
    let response = Client::new()
        .get(web.url("/signup"))
        .header(header::ACCEPT, "text/html")
        .answer()
        .await;
    // Every cookie the page set (the visitor cookie; a session cookie on older builds).
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(
        !cookie.is_empty(),
        "the page gives a cookie for its CSRF token"
    );
    let csrf = csrf_of(&response.text().await.unwrap());
    (cookie, csrf)
}

/// Posts the sign-up form with the cookie and CSRF token [`signup_tokens`] fetched
/// once, as a client without a cookie jar does.
async fn sign_up_with_tokens(
    client: &Client,
    web: &Process,
    (cookie, csrf): &(String, String),
    email: &str,
) -> reqwest::Response {
    client
        .post(web.url("/signup"))
        .header(header::COOKIE, cookie)
        .form(&account_fields(csrf, email, STRONG_PASSWORD))
        .answer()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_concurrent_sign_ups_keep_the_web_under_256_mib() {
    // The per-IP limit is raised so that the hashing bound is what is exercised.
    let (_app, web) =
        TestApp::with_web("adv_signup_flood", &[("SIGNUP_ATTEMPTS_PER_IP", "100000")]).await;
    let tokens = signup_tokens(&web).await;
    let client = Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let attempts = (0..500).map(|i| {
        let (client, web, tokens) = (&client, &web, &tokens);
        async move {
            sign_up_with_tokens(client, web, tokens, &format!("flood-{i}@example.org"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let busy = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let peak_mib = web.peak_rss_kib() / 1024;
    println!(
        "500 concurrent sign-ups: {created} created, {busy} told 503; peak RSS {peak_mib} MiB"
    );
    assert_eq!(
        created + busy,
        500,
        "every attempt is created or told to retry: {statuses:?}"
    );
    assert!(created > 0);
    assert!(peak_mib < 256, "peak RSS {peak_mib} MiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_from_one_ip_past_the_limit_gets_429_with_retry_after() {
    let (app, web) =
        TestApp::with_web("adv_signup_limit", &[("SIGNUP_ATTEMPTS_PER_IP", "3")]).await;
    let tokens = signup_tokens(&web).await;
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    for i in 0..3 {
        let response =
            sign_up_with_tokens(&client, &web, &tokens, &format!("ok-{i}@example.org")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let refused = sign_up_with_tokens(&client, &web, &tokens, "one-too-many@example.org").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after(&refused);
    assert!(
        (1..=600).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        crate::harness::count(&app, "SELECT count(*) FROM users").await,
        3
    );
}

/// Asserts `response` is the "try again" answer: 503, `Retry-After`, a human page.
async fn assert_unavailable(what: &str, response: reqwest::Response) -> String {
    let status = response.status();
    let retry_after = response.headers().get("retry-after").cloned();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap();
    println!("Redis down: {what} -> {status}");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert!(retry_after.is_some(), "{what}: no Retry-After");
    assert!(kind.starts_with("text/html"), "{what}: {kind}");
    assert!(body.contains("</html>"), "{what}: a small human page");
    body
}

/// Unlocks share `token` as a browser with the CSRF token `csrf` does, with the
/// password its tests send ("open sesame"): the answer as it came.
async fn unlock(client: &Client, web: &Process, token: &str, csrf: &str) -> reqwest::Response {
    post_form(
        client,
        web.url(&format!("/s/{token}/unlock")),
        &[("_csrf", csrf), ("password", "open sesame")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_stopped_pages_and_forms_answer_503_and_recover_without_a_restart() {
    let dir = unique_temp_path("adv-redis");
    let mut redis =
        ferry_dev::services::start_redis(&dir.join("redis"), ferry_dev::services::free_port())
            .unwrap();
    let mut app = TestApp::with_services("adv_redis_down", None, Some(redis.url.clone())).await;
    let web = app.start(Kind::Web, &[]).await;

    // Before the outage: a member signed in, and a password-protected transfer.
    let member = browser();
    register(&member, &web, "member@example.org").await;
    let (_, upload_page) = page(&member, web.url("/")).await;
    draft_file(&member, &web, &upload_page, "locked.txt", b"bytes".to_vec()).await;
    let member_csrf = csrf_of(&upload_page);
    let sent = post_form(
        &member,
        web.url("/send"),
        &send_fields(&member_csrf, "1", "", "open sesame"),
    )
    .await;
    let token = sent_token(&sent);
    let visitor = browser();
    let (_, visitor_page) = page(&visitor, web.url("/")).await;
    let visitor_csrf = csrf_of(&visitor_page);
    let visitor_upload = draft_upload(
        &visitor,
        &web,
        "later.txt",
        b"bytes".to_vec(),
        &draft_token_of(&visitor_page),
    )
    .await;

    redis.stop();

    // A visitor with a session: every page is 503, not a signed-out page or a 500.
    for path in ["/", "/me", "/signin", &format!("/s/{token}")] {
        let response = member
            .get(web.url(path))
            .header(header::ACCEPT, "text/html")
            .answer()
            .await;
        assert_unavailable(&format!("signed-in GET {path}"), response).await;
    }
    // Every form.
    let creds = [
        ("_csrf", visitor_csrf.as_str()),
        ("email", "new@example.org"),
        ("password", "another password"),
    ];
    for path in ["/signup", "/signin"] {
        let response = post_form(&visitor, web.url(path), &creds).await;
        assert_unavailable(&format!("POST {path}"), response).await;
    }
    let response = post_form(
        &member,
        web.url("/send"),
        &[("_csrf", &member_csrf), ("days", "1")],
    )
    .await;
    assert_unavailable("signed-in POST /send", response).await;
    let response = post_form(&member, web.url("/signout"), &[("_csrf", &member_csrf)]).await;
    assert_unavailable("signed-in POST /signout", response).await;
    let response = visitor
        .post(web.url("/draft"))
        .header("X-CSRF-Token", &visitor_csrf)
        .json(&serde_json::json!({ "upload_id": visitor_upload }))
        .answer()
        .await;
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "POST /draft"
    );
    assert!(response.headers().contains_key("retry-after"));
    // The share password cannot be checked: it says so.
    let answer = unlock(&visitor, &web, &token, &visitor_csrf).await;
    let body = assert_unavailable("POST unlock", answer).await;
    assert!(
        body.contains("can&#39;t be checked right now")
            || body.contains("can't be checked right now"),
        "{body}"
    );
    assert!(!body.contains("not right"), "{body}");
    // Also for a visitor whose session itself cannot be loaded.
    let answer = unlock(&member, &web, &token, &member_csrf).await;
    let body = assert_unavailable("signed-in POST unlock", answer).await;
    assert!(body.contains("can't be checked right now"), "{body}");
    // Cookieless page views need no Redis at all: they still work.
    let (status, _) = page(&Client::new(), web.url("/signin")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a cookieless page view needs no Redis"
    );

    redis.start().unwrap();

    // The same process recovers: the share password is checked, sign-in works.
    crate::harness::eventually("unlock to work again", Duration::from_secs(30), || async {
        let r = unlock(&visitor, &web, &token, &visitor_csrf).await;
        (r.status() == StatusCode::SEE_OTHER).then_some(())
    })
    .await;
    let (status, share) = page(&visitor, web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(share.contains("locked.txt"), "unlocked after recovery");
    let fresh = browser();
    let signed_in = sign_in(&fresh, &web, "member@example.org", STRONG_PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let (status, me) = page(&fresh, web.url("/me")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(me.contains("Signed in as member@example.org"));
    assert!(
        web.log().contains("web listening"),
        "same process throughout"
    );
    drop(web);
    drop(app);
    drop(redis);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_file_names_and_e_mail_addresses_render_as_text_on_every_page() {
    let (app, web) = TestApp::with_web("adv_escaping", &[]).await;
    let hostile_name = "<img src=x onerror=alert(1)>&\"'.txt";
    let hostile_email = "<img/src=x/onerror=alert(1)>@evil.example";
    let raw_markup = ["<img", "onerror=alert(1)>", "<script>alert"];
    let no_markup = |what: &str, html: &str| {
        for raw in raw_markup {
            assert!(!html.contains(raw), "{what} contains raw `{raw}`:\n{html}");
        }
    };

    // Signed up with a hostile address: the header and /me show it as text.
    let member = browser();
    let (_, signup_page) = page(&member, web.url("/signup")).await;
    let signed_up = member
        .post(web.url("/signup"))
        .form(&account_fields(
            &csrf_of(&signup_page),
            hostile_email,
            STRONG_PASSWORD,
        ))
        .answer()
        .await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);

    // The hostile name in the draft (upload page) …
    let (_, upload_page) = page(&member, web.url("/")).await;
    draft_file(&member, &web, &upload_page, hostile_name, b"bytes".to_vec()).await;
    let csrf = csrf_of(&upload_page);
    let (_, upload_page) = page(&member, web.url("/")).await;
    no_markup("upload page", &upload_page);
    assert!(
        upload_page.contains("onerror=alert(1)_&amp;_'.txt"),
        "{upload_page}"
    );
    assert!(upload_page.contains("&lt;img/src=x/onerror=alert(1)&gt;@evil.example"));

    // … then sent: the share page and /me.
    let sent = member
        .post(web.url("/send"))
        .form(&[("_csrf", csrf.as_str()), ("days", "1")])
        .answer()
        .await;
    let token = sent_token(&sent);
    let (_, sent_page) = page(&member, web.url(&format!("/sent/{token}"))).await;
    no_markup("sent page", &sent_page);
    let (_, share_page) = page(&browser(), web.url(&format!("/s/{token}"))).await;
    no_markup("share page", &share_page);
    assert!(share_page.contains("onerror=alert(1)_&amp;_'.txt"));
    let (status, me) = page(&member, web.url("/me")).await;
    assert_eq!(status, StatusCode::OK);
    no_markup("/me", &me);
    assert!(me.contains("Signed in as &lt;img/src=x/onerror=alert(1)&gt;@evil.example."));
    assert!(me.contains("onerror=alert(1)_&amp;_'.txt"));

    // A name sent straight through the curl API, with quotes for attribute contexts.
    let token = share(
        &app,
        &web,
        "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E.txt",
        "x",
    )
    .await;
    let (_, share_page) = page(&browser(), web.url(&format!("/s/{token}"))).await;
    no_markup("curl share page", &share_page);
}
