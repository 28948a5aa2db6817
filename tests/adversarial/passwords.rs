//! Issue 26, items 10 and 11: passwords, tried as an attacker (and a careless user)
//! would — a crowd of addresses guessing a share password to lock its recipient out,
//! and sign-ups with passwords that are first on every attacker's list.

use reqwest::{Client, StatusCode, header};

use crate::harness::http::Exchange;
use crate::harness::{
    Process, TestApp,
    browser::{
        STRONG_PASSWORD, account_fields, add_to_draft, browser, csrf_of, draft_token_of,
        draft_upload, page, send_fields, sent_token, sign_up,
    },
};

/// The sign-up form's CSRF token, for `client`.
async fn signup_csrf(client: &Client, web: &Process) -> String {
    let (status, html) = page(client, web.url("/signup")).await;
    assert_eq!(status, StatusCode::OK);
    csrf_of(&html)
}

async fn users(app: &TestApp) -> i64 {
    crate::harness::count(app, "SELECT count(*) FROM users").await
}

#[tokio::test(flavor = "multi_thread")]
async fn weak_sign_up_passwords_get_400_with_the_reason_on_the_form_and_no_account() {
    let (app, web) =
        TestApp::with_web("adv_weak_passwords", &[("SIGNUP_ATTEMPTS_PER_IP", "100")]).await;
    let email = "grace.hopper@example.org";
    let client = browser();
    let (_, form) = page(&client, web.url("/signup")).await;
    assert!(
        form.contains("At least 10 characters") && form.contains("common passwords"),
        "the form says the rule before anyone gets it wrong"
    );

    // Each is at least 10 characters: the old rule took them all.
    let ten_spaces = " ".repeat(10);
    for (password, reason) in [
        ("aaaaaaaaaa", "Repeats like"),
        (ten_spaces.as_str(), "Repeats like"),
        ("password1234", "This is a very common password"),
        ("grace.hopper", "be your e-mail address"),
        ("Grace.Hopper1906", "would be easy to guess"),
    ] {
        let response = sign_up(&client, &web, email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{password:?} refused"
        );
        let html = response.text().await.unwrap();
        let notice = html
            .split(r#"role="alert">"#)
            .nth(1)
            .unwrap_or_else(|| panic!("{password:?}: no reason on the form:\n{html}"));
        let notice = notice.split("</div>").next().unwrap();
        assert!(notice.contains(reason), "{password:?}: {notice}");
        assert!(
            html.contains(r#"value="grace.hopper@example.org""#),
            "the form keeps the address"
        );
    }
    assert_eq!(users(&app).await, 0, "no account for a refused password");

    // A client that does not ask for HTML gets the same reason as JSON.
    let csrf = signup_csrf(&client, &web).await;
    let api = client
        .post(web.url("/signup"))
        .form(&account_fields(&csrf, email, "password1234"))
        .answer()
        .await;
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("That password would be easy to guess. This is a very common password."),
        "{body}"
    );
    assert_eq!(users(&app).await, 0);

    let strong = sign_up(&client, &web, email, STRONG_PASSWORD).await;
    assert_eq!(strong.status(), StatusCode::SEE_OTHER);
    assert_eq!(strong.headers()["location"], "/me");
    assert_eq!(users(&app).await, 1);
}

/// Sends one file from a fresh browser as a transfer protected by `password`; returns
/// the send answer.
async fn send_protected(web: &Process, sender: &Client, password: &str) -> reqwest::Response {
    let (_, upload_page) = page(sender, web.url("/")).await;
    let csrf = csrf_of(&upload_page);
    let id = draft_upload(
        sender,
        web,
        "secret.txt",
        b"top secret".to_vec(),
        &draft_token_of(&upload_page),
    )
    .await;
    assert_eq!(add_to_draft(sender, web, &csrf, &id).await, StatusCode::OK);
    sender
        .post(web.url("/send"))
        .form(&send_fields(&csrf, "1", "", password))
        .answer()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_password_needs_eight_characters_and_no_more() {
    let (_app, web) = TestApp::with_web("adv_share_password_length", &[]).await;
    let sender = browser();
    let (_, upload_page) = page(&sender, web.url("/")).await;
    assert!(
        upload_page.contains(r#"minlength="8""#) && upload_page.contains("At least 8 characters"),
        "the form says so"
    );
    let short = send_protected(&web, &sender, "1234567").await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = short.json().await.unwrap();
    assert_eq!(
        body["message"], "Choose a password of at least 8 characters.",
        "{body}"
    );
    // No strength estimate: the link is the first secret, and guessing is rate limited.
    let sent = send_protected(&web, &sender, "12345678").await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
}

/// One browser at one client address (told by the trusted proxy, loopback), with the
/// share page's CSRF token.
struct Guesser {
    client: Client,
    address: String,
    csrf: String,
}

impl Guesser {
    async fn new(web: &Process, token: &str, address: &str) -> Guesser {
        let client = browser();
        let (status, html) = page(&client, web.url(&format!("/s/{token}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Password required"));
        Guesser {
            client,
            address: address.to_owned(),
            csrf: csrf_of(&html),
        }
    }

    async fn try_password(&self, web: &Process, token: &str, password: &str) -> StatusCode {
        let response = self
            .client
            .post(web.url(&format!("/s/{token}/unlock")))
            .header("X-Forwarded-For", &self.address)
            .header(header::ACCEPT, "text/html")
            .form(&[("_csrf", self.csrf.as_str()), ("password", password)])
            .answer()
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = response.headers()[header::RETRY_AFTER]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=600).contains(&wait), "Retry-After {wait}");
        }
        response.status()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_wrong_guesses_from_six_addresses_do_not_lock_the_recipient_out() {
    // The defaults, spelled out: 10 attempts per address per minute, 50 wrong guesses
    // per transfer per 10 minutes, then 5 per address and transfer.
    let (app, web) = TestApp::with_web(
        "adv_unlock_lockout",
        &[
            ("UNLOCK_ATTEMPTS_PER_IP", "10"),
            ("UNLOCK_ATTEMPTS_PER_TRANSFER", "50"),
            ("UNLOCK_ATTEMPTS_PER_IP_AND_TRANSFER", "5"),
        ],
    )
    .await;
    let sent = send_protected(&web, &browser(), "open sesame").await;
    let token = sent_token(&sent);

    // Six addresses take turns: 60 wrong guesses, 10 each.
    let mut crowd = Vec::new();
    for n in 1..=6 {
        crowd.push(Guesser::new(&web, &token, &format!("203.0.113.{n}")).await);
    }
    let mut statuses = Vec::new();
    for round in 0..10 {
        for guesser in &crowd {
            let guess = format!("guess {round} from {}", guesser.address);
            statuses.push(guesser.try_password(&web, &token, &guess).await.as_u16());
        }
    }
    assert_eq!(
        statuses,
        [[403; 50].as_slice(), [429; 10].as_slice()].concat(),
        "50 wrong guesses per transfer; past them, every one of these addresses has \
         used its own 5"
    );

    // The recipient, at a seventh address, with the right password: in (before: 429
    // for the rest of the 10 minutes).
    let recipient = Guesser::new(&web, &token, "203.0.113.7").await;
    assert_eq!(
        recipient.try_password(&web, &token, "open sesame").await,
        StatusCode::SEE_OTHER
    );
    let (status, share_page) = page(&recipient.client, web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(share_page.contains("secret.txt"), "unlocked");

    // The crowd stays limited, even with the right password.
    for guesser in &crowd {
        assert_eq!(
            guesser.try_password(&web, &token, "open sesame").await,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            guesser.address
        );
    }
    // A new address gets its own 5 wrong guesses, no more: N addresses get at most
    // 50 + 5 N guesses per 10 minutes.
    let newcomer = Guesser::new(&web, &token, "203.0.113.8").await;
    let mut statuses = Vec::new();
    for attempt in 0..7 {
        let guess = format!("newcomer guess {attempt}");
        statuses.push(newcomer.try_password(&web, &token, &guess).await.as_u16());
    }
    assert_eq!(statuses, [403, 403, 403, 403, 403, 429, 429]);

    // Every counter expires within its window (-2: already gone; -1 would be never).
    let counters: Vec<String> = app
        .redis_keys()
        .into_iter()
        .filter(|k| k.contains("rate:unlock"))
        .collect();
    // One per transfer and one per address and transfer, at least (the per-address
    // ones last a minute).
    assert!(counters.len() >= 9, "{counters:?}");
    for key in counters {
        let out = std::process::Command::new("redis-cli")
            .args(["-c", "-u", &app.redis_nodes()[0], "TTL", &key])
            .output()
            .expect("redis-cli");
        let ttl: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(ttl == -2 || (1..=600).contains(&ttl), "{key}: TTL {ttl}");
    }
}
