//! Accessibility and the colour themes, in a real Chromium with axe-core: every page
//! (file requests too: the owner's list and a request's upload page) in light and dark
//! (the system's preference, and the header's toggle) has no serious or critical axe
//! violation, and the upload page works with the keyboard alone
//! (tests/browser/accessibility.mjs drives the browser). With `FERRY_SCREENSHOTS=DIR`
//! it saves the dark-mode screenshots of README (`dark-upload.png`, `dark-share.png`).

mod harness;

use std::{process::Command, time::Duration};

use harness::{
    Kind, TestApp,
    browser::{
        STRONG_PASSWORD, browser, chromium_tests_dir, create_file_request, page, register,
        screenshot_dir, script_succeeded,
    },
    eventually,
    smtp::{SmtpServer, app_with_mail},
};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn every_page_passes_axe_in_both_themes_and_uploads_work_by_keyboard() {
    let dir = chromium_tests_dir(&["playwright-core", "@axe-core/playwright"]);
    let smtp = SmtpServer::start("accessibility");
    // Mail on, so the mail pages (forgot, reset, verify, recipients) exist; two wrong
    // share passwords are enough to see the 429 page.
    let (app, web, _worker) = app_with_mail(
        "accessibility",
        &smtp,
        &[("UNLOCK_ATTEMPTS_PER_IP_AND_TRANSFER", "2")],
    )
    .await;

    // An admin with a confirmed address, for /me, /admin and the recipients field.
    let email = "admin@ferry.test";
    let client = browser();
    register(&client, &web, email).await;
    app.make_admin(email).await;
    app.confirm_email(email).await;
    // One file request of theirs, for /requests and the request's own page.
    create_file_request(&client, &web, &[]).await;

    let file = std::env::temp_dir().join(format!("ferry-a11y-{}.txt", web.port));
    std::fs::write(&file, "Minutes of the accessibility review.\n").unwrap();
    let mut command = Command::new("node");
    command
        .arg(dir.join("accessibility.mjs"))
        .arg(web.url(""))
        .arg(&file)
        .arg(email)
        .arg(STRONG_PASSWORD);
    if let Some(shots) = screenshot_dir() {
        command.arg(shots);
    }
    let out = command.output().unwrap();
    let _ = std::fs::remove_file(&file);
    script_succeeded("accessibility test", &out);
    // The keyboard-only send and the three themed sends made real transfers.
    eventually(
        "the transfers sent from the browser",
        Duration::from_secs(30),
        || async {
            let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM transfers")
                .fetch_one(&app.pg)
                .await
                .ok()?;
            (sent >= 5).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_theme_toggle_sets_a_cookie_goes_back_only_on_this_site_and_refuses_other_themes() {
    let mut app = TestApp::new("theme_toggle").await;
    let web = app.start(Kind::Web, &[]).await;
    let client = browser();
    let choose = |theme: &'static str, back: &'static str| {
        client
            .post(web.url("/theme"))
            .form(&[("theme", theme), ("back", back)])
            .send()
    };

    let dark = choose("dark", "/signin?next=1").await.unwrap();
    assert_eq!(dark.status(), StatusCode::SEE_OTHER);
    assert_eq!(dark.headers()["location"], "/signin?next=1");
    let cookie = dark.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("ferry_theme=dark;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let (_, html) = page(&client, web.url("/signin")).await;
    assert!(
        html.contains(r#"<html lang="en" dir="ltr" data-theme="dark">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="dark" aria-pressed="true""#),
        "{html}"
    );

    for elsewhere in [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
    ] {
        let answer = choose("light", elsewhere).await.unwrap();
        assert_eq!(answer.headers()["location"], "/", "back={elsewhere}");
    }
    let (_, html) = page(&client, web.url("/")).await;
    assert!(html.contains(r#"data-theme="light""#));

    let system = choose("system", "/").await.unwrap();
    let removal = system.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    let (_, html) = page(&client, web.url("/")).await;
    assert!(!html.contains("data-theme="), "system: no data-theme");

    let sepia = choose("sepia", "/").await.unwrap();
    assert_eq!(sepia.status(), StatusCode::BAD_REQUEST);
    let refusal = sepia.text().await.unwrap();
    assert!(refusal.contains("light, dark or system"), "{refusal}");
}
