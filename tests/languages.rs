//! Languages, black-box: every page a person can land on, asked for in German,
//! French, Spanish and Arabic (`Accept-Language`), shows no English message — for
//! each catalogue message whose English differs from that language's, the English
//! is nowhere in the page (its text, its titles and labels, the script's strings).
//! That is the "untranslated string" detector: a sentence hard-coded in English
//! where a key belongs shows up here. Arabic pages are right to left. The header's
//! switcher (a cookie) wins over the browser's header; a bad cookie or header means
//! English, never an error. A password-reset mail arrives in the language of the
//! request that asked for it, a link mail and the first-download notice in the
//! sender's. In Chromium, the upload page's script speaks the
//! page's language (plural forms included) and the Arabic layout mirrors without
//! overflowing (tests/browser/languages.mjs).

mod harness;

use std::time::Duration;

use ferry_core::i18n::{self, Locale};
use harness::{
    Kind, Process, TestApp,
    browser::{
        browser, choose_language, csrf_of, draft_file, page, page_in, register,
        run_chromium_script, send_draft, send_fields, sent_token,
    },
    eventually,
    http::Exchange,
    smtp::{SmtpServer, app_with_mail},
};
use reqwest::{Client, StatusCode, header};

/// Stands for every argument of a message, so what is left is the fixed text.
const MARK: &str = "\u{e000}";
/// Fixed text shorter than this is only looked for as a whole text or label (a
/// short fragment such as "up to" could be part of any sentence).
const MIN_FRAGMENT_CHARS: usize = 12;

/// What of English must not appear on a page in `locale`: each message that reads
/// differently there, whole (no arguments) or as its fixed fragments.
fn english_of(locale: Locale) -> Vec<(&'static str, String, bool)> {
    let args: Vec<_> = i18n::NUMBER_ARGUMENTS
        .iter()
        .chain(&i18n::TEXT_ARGUMENTS)
        .map(|name| (*name, MARK.into()))
        .collect();
    let mut english = Vec::new();
    for key in Locale::keys() {
        let en = Locale::En.t_args(key, &args);
        let theirs = locale.t_args(key, &args);
        if en == theirs {
            continue;
        }
        if !en.contains(MARK) {
            english.push((key, en.trim().to_owned(), true));
            continue;
        }
        for fragment in en.split(MARK) {
            let fragment =
                fragment.trim_matches(|c: char| c.is_whitespace() || "().,:“”".contains(c));
            if fragment.chars().count() >= MIN_FRAGMENT_CHARS && !theirs.contains(fragment) {
                english.push((key, fragment.to_owned(), false));
            }
        }
    }
    english
}

/// The text a person meets on `html`: text between tags, and the values of
/// attributes that are read or shown (labels, placeholders, the script's strings).
fn texts(html: &str) -> Vec<String> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    let mut texts = Vec::new();
    for piece in html.split('<') {
        let (tag, text) = piece.split_once('>').unwrap_or((piece, ""));
        let text = unescape(text.trim());
        if !text.is_empty() {
            texts.push(text.trim_end_matches(" · Ferry").to_owned());
        }
        for attribute in [
            "aria-label=\"",
            "placeholder=\"",
            "title=\"",
            "alt=\"",
            "data-copied=\"",
            "data-copied-status=\"",
            "data-strings=\"",
        ] {
            let mut rest = tag;
            while let Some(at) = rest.find(attribute) {
                rest = &rest[at + attribute.len()..];
                let value = rest.split('"').next().unwrap_or("");
                texts.push(unescape(value));
            }
        }
    }
    texts
}

/// The English messages (key and text) that `html`, a page in `locale`, shows.
fn english_on(html: &str, locale: Locale) -> Vec<String> {
    let texts = texts(html);
    english_of(locale)
        .into_iter()
        .filter(|(_, english, whole)| {
            texts.iter().any(|text| {
                if *whole {
                    text == english
                        || (english.chars().count() >= 16 && text.contains(english.as_str()))
                } else {
                    text.contains(english.as_str())
                }
            })
        })
        .map(|(key, english, _)| format!("{key}: {english:?}"))
        .collect()
}

/// Drafts `name` on `client`'s upload page and sends it with `password` ("" for
/// none) and a download limit; the transfer's token.
async fn send(client: &Client, web: &Process, name: &str, password: &str) -> String {
    let (_, upload) = page(client, web.url("/")).await;
    draft_file(client, web, &upload, name, b"Quarterly notes.\n".to_vec()).await;
    let sent = client
        .post(web.url("/send"))
        .form(&send_fields(&csrf_of(&upload), "7", "5", password))
        .send()
        .await
        .unwrap();
    sent_token(&sent)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_in_every_language_shows_no_english_and_arabic_reads_right_to_left() {
    let smtp = SmtpServer::start("languages");
    let (app, web, _worker) = app_with_mail("languages_pages", &smtp, &[]).await;

    // An admin (address not yet confirmed, so /me offers to send the link again) with
    // a sent transfer, a password-protected one, and a file waiting in the draft.
    let admin = browser();
    let email = "admin@ferry.test";
    register(&admin, &web, email).await;
    app.make_admin(email).await;
    let open = send(&admin, &web, "notes.txt", "").await;
    let locked = send(&admin, &web, "plans.txt", "open sesame").await;
    let (_, upload) = page(&admin, web.url("/")).await;
    draft_file(&admin, &web, &upload, "draft.txt", b"waiting".to_vec()).await;

    // A file request (one open, one with a password, one closed), with a file sent
    // into the open one, so /me shows what arrived.
    let request = harness::browser::create_file_request(&admin, &web, &[]).await;
    let guarded =
        harness::browser::create_file_request(&admin, &web, &[("password", "harbour lights")])
            .await;
    let closed = harness::browser::create_file_request(&admin, &web, &[]).await;
    let (_, list) = page(&admin, web.url("/requests")).await;
    let shut = admin
        .post(web.url(&format!("/requests/{closed}/close")))
        .form(&[("_csrf", harness::browser::csrf_of(&list).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(shut.status(), StatusCode::SEE_OTHER);
    let put = reqwest::Client::new()
        .put(web.url(&format!("/r/{request}/brief.pdf")))
        .body(b"%PDF brief".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);

    let visitor = browser();
    let pages: Vec<(&Client, String, StatusCode)> = vec![
        (&admin, "/requests".into(), StatusCode::OK),
        (&visitor, format!("/r/{request}"), StatusCode::OK),
        (&visitor, format!("/r/{request}?sent=2"), StatusCode::OK),
        (&visitor, format!("/r/{guarded}"), StatusCode::OK),
        (&visitor, format!("/r/{closed}"), StatusCode::GONE),
        (&admin, "/".into(), StatusCode::OK),
        (&admin, "/me".into(), StatusCode::OK),
        (&admin, "/tokens".into(), StatusCode::OK),
        (&admin, format!("/sent/{open}"), StatusCode::OK),
        (&admin, format!("/s/{open}"), StatusCode::OK),
        (&admin, "/admin".into(), StatusCode::OK),
        (&admin, "/admin/users".into(), StatusCode::OK),
        (&admin, "/admin/transfers".into(), StatusCode::OK),
        (&visitor, "/signin".into(), StatusCode::OK),
        (&visitor, "/signup".into(), StatusCode::OK),
        (&visitor, "/forgot".into(), StatusCode::OK),
        (&visitor, format!("/s/{locked}"), StatusCode::OK),
        (&visitor, "/no/such/page".into(), StatusCode::NOT_FOUND),
        (
            &visitor,
            "/s/no-such-transfer".into(),
            StatusCode::NOT_FOUND,
        ),
        (&visitor, "/admin".into(), StatusCode::NOT_FOUND),
        (&visitor, "/reset/no-such-token".into(), StatusCode::GONE),
    ];

    // The detector finds English where English is: on the English pages.
    let (_, english) = page(&visitor, web.url("/signin")).await;
    assert!(
        english.contains(r#"<html lang="en" dir="ltr""#),
        "{english}"
    );
    let found = english_on(&english, Locale::De);
    assert!(found.len() > 5, "the detector sees English: {found:?}");

    let mut untranslated = Vec::new();
    for locale in [Locale::De, Locale::Fr, Locale::Es, Locale::Ar] {
        for (client, path, status) in &pages {
            let (got, html) = page_in(client, web.url(path), locale.code()).await;
            assert_eq!(got, *status, "{} {path}", locale.code());
            let root = format!(r#"<html lang="{}" dir="{}""#, locale.code(), locale.dir());
            assert!(html.contains(&root), "{} {path}: {html}", locale.code());
            for english in english_on(&html, locale) {
                untranslated.push(format!("{} {path}: {english}", locale.code()));
            }
        }
    }
    assert!(
        untranslated.is_empty(),
        "English on pages in other languages:\n{}",
        untranslated.join("\n")
    );
    let (_, arabic) = page_in(&visitor, web.url("/signin"), "ar").await;
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl""#), "{arabic}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_switchers_cookie_wins_over_accept_language_and_bad_values_mean_english() {
    let mut app = TestApp::new("languages_switcher").await;
    let web = app.start(Kind::Web, &[]).await;
    let client = browser();

    // The header alone: by q-value, a region falls back to its language.
    let (_, html) = page_in(&client, web.url("/signin"), "ja, de-AT;q=0.9, en;q=0.5").await;
    assert!(html.contains(r#"<html lang="de" dir="ltr""#), "{html}");

    // The switcher: a cookie for a year, then back to the page it was used on.
    let chosen = choose_language(&client, &web, "es", "/signin?next=1").await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    assert_eq!(chosen.headers()[header::LOCATION], "/signin?next=1");
    let cookie = chosen.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("ferry_lang=es;"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let answer = client
        .get(web.url("/signin"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "fr")
        .send()
        .await
        .unwrap();
    let vary = answer.headers()[header::VARY].to_str().unwrap().to_owned();
    assert!(
        vary.contains("Accept-Language") && vary.contains("Cookie"),
        "{vary}"
    );
    let html = answer.text().await.unwrap();
    assert!(
        html.contains(r#"<html lang="es" dir="ltr""#),
        "the cookie wins: {html}"
    );
    assert!(
        html.contains(r#"value="es" lang="es" dir="ltr" aria-pressed="true""#),
        "{html}"
    );
    assert!(html.contains("Español") && html.contains("العربية") && html.contains("Deutsch"));

    // Elsewhere is never followed back to; a language Ferry lacks sets nothing.
    let away = choose_language(&client, &web, "de", "//evil.example/").await;
    assert_eq!(away.headers()[header::LOCATION], "/");
    let klingon = choose_language(&browser(), &web, "tlh", "/").await;
    assert_eq!(klingon.status(), StatusCode::SEE_OTHER);
    assert!(klingon.headers().get(header::SET_COOKIE).is_none());

    // A bad cookie or header: English, and no error.
    for (cookie, language) in [
        ("ferry_lang=tlh", "de;q=abc, *;q=2"),
        ("ferry_lang=DE-at", ";;;,,q=0.5"),
        ("ferry_lang=", "x-klingon"),
    ] {
        let answer = Client::new()
            .get(web.url("/signin"))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, language)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{cookie} / {language}");
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(r#"<html lang="en" dir="ltr""#),
            "{cookie} / {language}: {html}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_reset_mail_arrives_in_the_language_it_was_asked_in() {
    let smtp = SmtpServer::start("languages-mail");
    let (_app, web, _worker) = app_with_mail("languages_mail", &smtp, &[]).await;
    let email = "grete@example.org";
    register(&browser(), &web, email).await;

    let asker = browser();
    let (_, form) = page_in(&asker, web.url("/forgot"), "de-DE,de;q=0.9").await;
    let asked = asker
        .post(web.url("/forgot"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "de-DE,de;q=0.9")
        .form(&[("_csrf", csrf_of(&form).as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    let answer = asked.text().await.unwrap();
    assert!(
        answer.contains(&Locale::De.t("check-mail-title")),
        "{answer}"
    );

    let mails = smtp.wait_for(email, 2, Duration::from_secs(60)).await;
    let reset = mails
        .iter()
        .find(|m| m.link("/reset/").is_some())
        .expect("a reset mail");
    let body = reset.body();
    assert!(body.contains(r#"lang="de""#), "{body}");
    assert!(body.contains("Passwort"), "{body}");
    assert!(!body.contains("Someone (hopefully you)"), "{body}");
    // The address's confirmation mail was asked for in English (no header): it is.
    let verify = mails
        .iter()
        .find(|m| m.link("/verify/").is_some())
        .expect("a verification mail");
    assert!(
        verify.body().contains("Confirm that this address"),
        "{}",
        verify.body()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upload_pages_script_speaks_the_pages_language_in_chromium() {
    let (_app, web) = TestApp::with_web("languages_chromium", &[]).await;
    let dir = std::env::temp_dir().join(format!("ferry-languages-{}", web.port));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("bericht.txt");
    let b = dir.join("tableau.csv");
    std::fs::write(&a, vec![b'x'; 1_500_000]).unwrap();
    std::fs::write(&b, "a;b\n1;2\n").unwrap();
    for locale in [Locale::Ar, Locale::De] {
        let mut args = vec![
            web.url(""),
            locale.code().to_owned(),
            a.display().to_string(),
            b.display().to_string(),
        ];
        if let Some(shots) = harness::browser::screenshot_dir() {
            args.push(shots);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = run_chromium_script("languages.mjs", &args);
        let code = locale.code();
        assert_eq!(report["lang"], code, "{report}");
        assert_eq!(report["dir"], locale.dir(), "{report}");
        let ready = locale.t_args("js-ready", &[("done", 2.into())]);
        assert_eq!(report["said"], ready.as_str(), "{code}: {report}");
        assert_eq!(
            report["size"],
            locale.size(1_500_000).as_str(),
            "{code}: {report}"
        );
        assert_eq!(
            report["copied"],
            locale.t("copied-status").as_str(),
            "{code}: {report}"
        );
        assert_eq!(report["overflows"], false, "{code}: {report}");
        assert_eq!(report["logoAtStart"], true, "{code}: {report}");
        assert_eq!(
            report["violations"],
            serde_json::json!([]),
            "{code}: {report}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn link_mails_and_the_first_download_notice_are_in_the_senders_language() {
    let smtp = SmtpServer::start("languages-notice");
    let (app, web, _worker) = app_with_mail("languages_notice", &smtp, &[]).await;
    let sender = browser();
    let email = "marie@example.org";
    register(&sender, &web, email).await;
    app.confirm_email(email).await;
    // The sender chose French with the switcher; the downloader's browser is English.
    let chosen = choose_language(&sender, &web, "fr", "/").await;
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
    let (_, upload) = page(&sender, web.url("/")).await;
    assert!(upload.contains(r#"<html lang="fr""#));
    draft_file(
        &sender,
        &web,
        &upload,
        "rapport.txt",
        b"Chiffres.\n".to_vec(),
    )
    .await;
    // A form error says what to change in her language too.
    let refused = send_draft(&sender, &web, &upload, &[("recipients", "ami-at-example")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refusal = refused.text().await.unwrap();
    let expected = Locale::Fr.t_args(
        "send-error-not-address",
        &[("address", "ami-at-example".into())],
    );
    assert!(refusal.contains(&expected), "{refusal}");
    let sent = send_draft(
        &sender,
        &web,
        &upload,
        &[("recipients", "ami@example.org"), ("notify", "1")],
    )
    .await;
    let token = sent_token(&sent);

    let link = &smtp
        .wait_for("ami@example.org", 1, Duration::from_secs(60))
        .await[0];
    assert!(link.body().contains(r#"lang="fr""#), "{}", link.body());
    assert!(link.body().contains("avec Ferry"), "{}", link.body());

    let got = browser()
        .get(web.url(&format!("/get/{token}/rapport.txt")))
        .header(header::ACCEPT_LANGUAGE, "en")
        .answer()
        .await;
    assert_eq!(got.status(), StatusCode::OK);
    got.bytes().await.unwrap();
    // (Her address was confirmed by hand: whether its mail went out first varies.)
    let notice = eventually(
        "the first-download notice",
        Duration::from_secs(60),
        || async {
            smtp.messages()
                .into_iter()
                .find(|m| m.envelope_to == [email] && m.body().contains("rapport.txt"))
        },
    )
    .await;
    assert!(notice.body().contains(r#"lang="fr""#), "{}", notice.body());
    assert!(
        notice.body().contains("Votre transfert"),
        "{}",
        notice.body()
    );
}
