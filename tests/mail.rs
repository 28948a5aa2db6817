//! Black-box tests of e-mail: password reset, address verification, link mails, and
//! the mail jobs' retries, against a real SMTP server (aiosmtpd, `harness::smtp`).

mod harness;

use std::{collections::HashSet, time::Duration};

use harness::{
    Kind, Process, TestApp,
    browser::{self, STRONG_PASSWORD, browser, csrf_of, page, register, send_draft, sent_token},
    count, eventually,
    smtp::{MAIL_FROM, Received, SmtpServer, app_with_mail},
};
use reqwest::{Client, StatusCode};

const NEW_PASSWORD: &str = "crimson walrus tangerine ladder";
const WAIT: Duration = Duration::from_secs(60);

/// Signs `client` in as `email`; the status (303 when the password was right).
async fn sign_in(client: &Client, web: &Process, email: &str, password: &str) -> StatusCode {
    browser::sign_in(client, web, email, password)
        .await
        .status()
}

/// POSTs `fields` (and the CSRF token of the page at `form_path`) to `action`.
async fn submit(
    client: &Client,
    web: &Process,
    form_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, form) = page(client, web.url(form_path)).await;
    let csrf = csrf_of(&form);
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let answer = client
        .post(if action.starts_with("http") {
            action.to_owned()
        } else {
            web.url(action)
        })
        .header("Accept", "text/html")
        .form(&all)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// Asks for a password reset of `email` on `web`'s "forgot" form; the answer.
async fn forgot(client: &Client, web: &Process, email: &str) -> (StatusCode, String) {
    submit(client, web, "/forgot", "/forgot", &[("email", email)]).await
}

fn with_link<'a>(mails: &'a [Received], path: &str) -> Vec<&'a Received> {
    mails.iter().filter(|m| m.link(path).is_some()).collect()
}

/// Every process's log so far holds none of `secrets`.
fn assert_logs_hold_none(processes: &[&Process], secrets: &[&str]) {
    for process in processes {
        let log = process.log();
        for secret in secrets {
            assert!(
                !log.contains(secret),
                "{} logged {secret:?}:\n{}",
                process.name,
                log.lines()
                    .filter(|l| l.contains(secret))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_link_works_once_and_signs_out_every_session_on_every_web_process() {
    let smtp = SmtpServer::start("reset");
    let (mut app, web1, worker) = app_with_mail("mail_reset", &smtp, &[]).await;
    let url = smtp.url();
    let web2 = app
        .start(
            Kind::Web,
            &[("SMTP_URL", url.as_str()), ("MAIL_FROM", MAIL_FROM)],
        )
        .await;

    let ada = browser();
    register(&ada, &web1, "ada@example.org").await;
    let elsewhere = browser();
    assert_eq!(
        sign_in(&elsewhere, &web2, "ada@example.org", STRONG_PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (_, signin) = page(&browser(), web1.url("/signin")).await;
    assert!(
        signin.contains(r#"href="/forgot""#),
        "the sign-in page offers a reset"
    );

    // The same answer whether or not the address has an account.
    let asker = browser();
    let (known_status, known) = forgot(&asker, &web1, "Ada@Example.org").await;
    let (unknown_status, unknown) = forgot(&asker, &web1, "nobody@example.org").await;
    assert_eq!(known_status, StatusCode::OK);
    assert_eq!((known_status, &known), (unknown_status, &unknown));
    assert!(known.contains("If an account has this address"));

    let mails = smtp.wait_for("ada@example.org", 2, WAIT).await;
    let resets = with_link(&mails, "/reset/");
    assert_eq!(resets.len(), 1, "one reset mail");
    let reset = resets[0];
    assert!(reset.raw.contains("text/plain") && reset.raw.contains("text/html"));
    assert_eq!(reset.envelope_to, ["ada@example.org"]);
    let link = reset.link("/reset/").unwrap();
    assert!(link.starts_with(&web1.url("/reset/")), "{link}");
    let token = link.rsplit('/').next().unwrap().to_owned();

    // The unknown address got nothing; its outbox row is marked skipped.
    eventually("the unknown address's row to be skipped", WAIT, || async {
        (count(
            &app,
            "SELECT count(*) FROM mail_outbox WHERE skipped_at IS NOT NULL",
        )
        .await
            == 1)
            .then_some(())
    })
    .await;
    assert!(
        smtp.messages()
            .iter()
            .all(|m| m.envelope_to != ["nobody@example.org"])
    );

    // The link: a form, then the new password.
    let resetter = browser();
    let (status, form) = page(&resetter, link.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Choose a new password"));
    let path = format!("/reset/{token}");
    let (status, done) = submit(
        &resetter,
        &web1,
        &path,
        &path,
        &[("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("Password changed"));

    // Every session of the account is over, on the other web process too.
    assert_eq!(
        page(&elsewhere, web2.url("/me")).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(page(&ada, web1.url("/me")).await.0, StatusCode::SEE_OTHER);
    // The old password is refused; the new one works.
    assert_eq!(
        sign_in(&browser(), &web2, "ada@example.org", STRONG_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&browser(), &web2, "ada@example.org", NEW_PASSWORD).await,
        StatusCode::SEE_OTHER
    );

    // Used once: the link is dead, with a clear page.
    let (status, dead) = page(&browser(), link.clone()).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(dead.contains("does not work"), "{dead}");
    let (status, _) = submit(
        &browser(),
        &web1,
        "/forgot",
        &path,
        &[("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::GONE);

    // An expired link says so.
    forgot(&asker, &web2, "ada@example.org").await;
    let mails = smtp.wait_for("ada@example.org", 3, WAIT).await;
    let second = with_link(&mails, "/reset/")
        .into_iter()
        .map(|m| m.link("/reset/").unwrap())
        .find(|l| *l != link)
        .unwrap();
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 minute'")
        .execute(&app.pg)
        .await
        .unwrap();
    let (status, expired) = page(&browser(), second.clone()).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(expired.contains("expired"), "{expired}");

    let second_token = second.rsplit('/').next().unwrap().to_owned();
    assert_logs_hold_none(
        &[&web1, &web2, &worker],
        &[
            &token,
            &second_token,
            "ada@example.org",
            "nobody@example.org",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_smtp_server_down_mail_jobs_retry_and_every_message_arrives_exactly_once() {
    let mut smtp = SmtpServer::start("retry");
    smtp.stop();
    let (app, web, worker) = app_with_mail(
        "mail_retry",
        &smtp,
        &[("JOB_MAX_ATTEMPTS", "100"), ("SMTP_TIMEOUT", "2s")],
    )
    .await;

    let users = ["u1@example.org", "u2@example.org", "u3@example.org"];
    for user in users {
        register(&browser(), &web, user).await;
    }
    // Each verification mail's job fails and is retried (in the worker, with backoff)
    // while the server is down.
    eventually("the mail jobs to fail and be retried", WAIT, || async {
        let failures = worker
            .log()
            .lines()
            .filter(|l| l.contains("task.failed") && l.contains("SMTP: connection failed"))
            .count();
        (failures >= 2 * users.len()).then_some(())
    })
    .await;
    assert!(smtp.messages().is_empty());

    smtp.resume();
    for user in users {
        smtp.wait_for(user, 1, WAIT).await;
    }
    let all_done = || async {
        (count(
            &app,
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.mail' AND status = 'Done'",
        )
        .await
            == 3)
            .then_some(())
    };
    eventually("every mail job to be done", WAIT, all_done).await;

    // Deliver every job again, as a lost acknowledgement would: nothing is re-sent.
    sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', run_at = now(), lock_by = NULL,
                lock_at = NULL, done_at = NULL
         WHERE job_type = 'ferry.mail'",
    )
    .execute(&app.pg)
    .await
    .unwrap();
    eventually("every mail job to be done again", WAIT, all_done).await;

    let messages = smtp.messages();
    let ids: HashSet<String> = messages.iter().map(Received::message_id).collect();
    assert_eq!(messages.len(), 3, "each message once");
    assert_eq!(ids.len(), 3);
    let rows: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM mail_outbox")
        .fetch_all(&app.pg)
        .await
        .unwrap();
    let expected: HashSet<String> = rows.iter().map(|id| format!("<{id}@ferry.test>")).collect();
    assert_eq!(ids, expected, "Message-IDs derive from the outbox rows");
    assert_logs_hold_none(&[&web, &worker], &users);
}

/// Uploads `name` into the draft of the upload page `html`, as upload.js does.
async fn draft_upload(client: &Client, web: &Process, name: &str, html: &str) {
    browser::draft_file(client, web, html, name, b"quarterly numbers".to_vec()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_sender_mails_the_share_link_to_each_recipient_within_the_limits() {
    let smtp = SmtpServer::start("links");
    let (app, web, worker) = app_with_mail(
        "mail_links",
        &smtp,
        &[
            ("MAIL_RECIPIENTS_PER_SEND", "3"),
            ("LINK_MAILS_PER_ACCOUNT_PER_HOUR", "2"),
        ],
    )
    .await;

    let sender = browser();
    register(&sender, &web, "grace@example.org").await;
    let (_, upload) = page(&sender, web.url("/")).await;
    assert!(
        !upload.contains("name=\"recipients\""),
        "not before the address is confirmed"
    );
    let (_, me) = page(&sender, web.url("/me")).await;
    assert!(me.contains("not confirmed yet"));

    // Verification: the link works once.
    let mails = smtp.wait_for("grace@example.org", 1, WAIT).await;
    let verify = mails[0].link("/verify/").expect("a verification link");
    assert_eq!(page(&browser(), verify.clone()).await.0, StatusCode::OK);
    assert_eq!(page(&browser(), verify.clone()).await.0, StatusCode::GONE);
    let (_, me) = page(&sender, web.url("/me")).await;
    assert!(me.contains("Your address is confirmed."));

    let (_, upload) = page(&sender, web.url("/")).await;
    assert!(upload.contains("name=\"recipients\""));
    draft_upload(
        &sender,
        &web,
        "report\r\nBcc: evil@example.com.txt",
        &upload,
    )
    .await;

    // One too many recipients: refused, nothing sent, the draft kept.
    let (status, refused) = submit(
        &sender,
        &web,
        "/",
        "/send",
        &[
            ("days", "7"),
            (
                "recipients",
                "a@example.org, b@example.org, c@example.org, d@example.org",
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("too many recipients"), "{refused}");
    let (status, _) = submit(
        &sender,
        &web,
        "/",
        "/send",
        &[
            ("days", "7"),
            ("recipients", "a@example.org\r\nBcc: evil@example.com"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a header in the list is not an address"
    );

    let (_, form) = page(&sender, web.url("/")).await;
    let sent = send_draft(
        &sender,
        &web,
        &form,
        &[
            ("recipients", "a@example.org, B@example.org"),
            ("message", "Numbers attached.\r\nBcc: evil@example.com"),
            ("notify", "1"),
        ],
    )
    .await;
    let share_token = sent_token(&sent);
    let share_url = web.url(&format!("/s/{share_token}"));
    for recipient in ["a@example.org", "b@example.org"] {
        let mails = smtp.wait_for(recipient, 1, WAIT).await;
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert_eq!(mail.envelope_to, [recipient]);
        assert!(mail.body().contains(&share_url), "{}", mail.raw);
        assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
        assert!(
            !mail
                .headers()
                .split("\r\n")
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{}",
            mail.headers()
        );
    }
    assert!(
        smtp.messages()
            .iter()
            .all(|m| !m.envelope_to.iter().any(|t| t.contains("evil")))
    );

    // The first counted download tells the sender, once.
    let (_, share) = page(&browser(), share_url.clone()).await;
    let marker = format!("href=\"/get/{share_token}/");
    let start = share.find(&marker).expect("a download link") + "href=\"".len();
    let download = web.url(&share[start..start + share[start..].find('"').unwrap()]);
    for _ in 0..2 {
        let got = browser().get(&download).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::OK, "{download}");
        got.bytes().await.unwrap();
    }
    let notices = smtp.wait_for("grace@example.org", 2, WAIT).await;
    assert!(
        notices[1]
            .header("Subject")
            .unwrap()
            .contains("was downloaded")
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM mail_outbox WHERE kind = 'first_download'"
        )
        .await,
        1
    );

    // Per account: the second send is the last this hour.
    // (The first of these finds an empty draft, sends nothing and redirects.)
    for expected in [StatusCode::SEE_OTHER, StatusCode::TOO_MANY_REQUESTS] {
        let fields = [("days", "7"), ("recipients", "a@example.org")];
        let (status, _) = submit(&sender, &web, "/", "/send", &fields).await;
        assert_eq!(status, expected);
    }

    assert_logs_hold_none(
        &[&web, &worker],
        &[
            &share_token,
            "grace@example.org",
            "a@example.org",
            "b@example.org",
            verify.rsplit('/').next().unwrap(),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_url_no_e_mail_feature_is_shown() {
    let mut app = TestApp::new("mail_off").await;
    let web = app.start(Kind::Web, &[]).await;
    let client = browser();
    let (_, signin) = page(&client, web.url("/signin")).await;
    assert!(!signin.contains("/forgot"));
    assert_eq!(
        page(&client, web.url("/forgot")).await.0,
        StatusCode::NOT_FOUND
    );
    register(&client, &web, "lin@example.org").await;
    let (_, upload) = page(&client, web.url("/")).await;
    assert!(!upload.contains("recipients"));
    let (_, me) = page(&client, web.url("/me")).await;
    assert!(!me.contains("confirmed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_mail_setting_stops_start_up_naming_the_variable() {
    let app = TestApp::new("mail_config").await;
    for (extra, variable) in [
        (vec![("SMTP_URL", "http://mail.example.com")], "SMTP_URL"),
        (vec![("SMTP_URL", "smtp://127.0.0.1:25")], "MAIL_FROM"),
        (
            vec![
                ("SMTP_URL", "smtp://127.0.0.1:25"),
                ("MAIL_FROM", "not an address"),
            ],
            "MAIL_FROM",
        ),
    ] {
        for kind in ["web", "worker"] {
            let out = app.command(&[kind], &extra).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{kind} {extra:?}: {stderr}");
            assert!(stderr.contains(variable), "{kind} {extra:?}: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_password_reset_ends_every_session_of_the_account() {
    let mut app = TestApp::new("mail_admin_reset").await;
    let web = app.start(Kind::Web, &[]).await;
    let client = browser();
    register(&client, &web, "kim@example.org").await;
    assert_eq!(page(&client, web.url("/me")).await.0, StatusCode::OK);
    let out = app
        .command(
            &["admin", "users", "reset-password", "kim@example.org"],
            &[],
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(page(&client, web.url("/me")).await.0, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_requests_are_rate_limited_per_address_and_per_client() {
    let mut app = TestApp::new("mail_reset_limits").await;
    let env = [
        ("SMTP_URL", "smtp://127.0.0.1:9"),
        ("MAIL_FROM", MAIL_FROM),
        ("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", "1"),
        ("PASSWORD_RESETS_PER_IP_PER_HOUR", "3"),
    ];
    let web = app.start(Kind::Web, &env).await;
    let client = browser();
    let ask = |email: &'static str| {
        let (client, web) = (&client, &web);
        async move { forgot(client, web, email).await.0 }
    };
    assert_eq!(ask("one@example.org").await, StatusCode::OK);
    assert_eq!(
        ask("one@example.org").await,
        StatusCode::TOO_MANY_REQUESTS,
        "per address"
    );
    assert_eq!(ask("two@example.org").await, StatusCode::OK);
    assert_eq!(
        ask("three@example.org").await,
        StatusCode::TOO_MANY_REQUESTS,
        "per client"
    );
    assert_eq!(ask("not an address").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        count(&app, "SELECT count(*) FROM mail_outbox").await,
        2,
        "a refused request stores nothing"
    );
}
