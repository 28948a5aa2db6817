//! Black-box tests of malware scanning (issue 28 §7) against a real clamd (Debian's
//! `clamav-daemon`, started by `harness::clamd` on a signature database the harness
//! writes: one signature, for the EICAR test file). The EICAR file is never served
//! (a page for a browser, JSON for an API client, left out of archives), a clean file
//! is; with clamd down files wait and, with `SCAN_REQUIRED=true`, nothing unscanned
//! leaks out meanwhile; a worker killed while it holds a scan loses nothing; the owner
//! is told (a label on /me, a mail).

mod harness;

use std::time::Duration;

use harness::{
    Kind, Process, TestApp,
    browser::{self, STRONG_PASSWORD, browser, page, send_fields, sent_token},
    clamd::{Clamd, EICAR_SIGNATURE, eicar},
    count, curl,
    data::files_form,
    eventually,
    http::Exchange,
    smtp::SmtpServer,
};
use reqwest::{StatusCode, header};

const WAIT: Duration = Duration::from_secs(60);
const CLEAN: &[u8] = b"quarterly numbers, nothing to see here\n";

/// Web and worker scanning with `clamd`, with `extra` on top.
async fn scanning_app(
    test: &str,
    clamd: &Clamd,
    extra: &[(&str, &str)],
) -> (TestApp, Process, Process) {
    let mut app = TestApp::new(test).await;
    let url = clamd.url();
    let mut env = vec![("CLAMAV_URL", url.as_str())];
    env.extend_from_slice(extra);
    let web = app.start(Kind::Web, &env).await;
    let worker = app.start(Kind::Worker, &env).await;
    (app, web, worker)
}

/// Waits until no file of the app waits for its scan.
async fn scans_done(app: &TestApp) {
    eventually("every file to be scanned", WAIT, || async {
        (count(app, "SELECT count(*) FROM files WHERE scan = 'pending'").await == 0).then_some(())
    })
    .await;
}

/// `POST /` of `files` as one transfer: the share token and the files' paths.
async fn post_transfer(
    app: &TestApp,
    web: &Process,
    files: &[(&str, &[u8])],
) -> (String, Vec<String>) {
    let form = files_form(files.iter().map(|(n, b)| (n.to_string(), b.to_vec())));
    let response = app.http.post(web.url("/")).multipart(form).answer().await;
    assert_eq!(response.status(), StatusCode::OK, "POST /");
    let body = response.text().await.unwrap();
    let paths: Vec<String> = body.lines().map(curl::path_of).collect();
    let token = paths[0].split('/').nth(1).unwrap().to_owned();
    (token, paths)
}

/// GET `path` as an API client (JSON): status, `Retry-After`, body.
async fn api_get(
    app: &TestApp,
    web: &Process,
    path: &str,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let response = app
        .http
        .get(web.url(path))
        .header(header::ACCEPT, "application/json")
        .answer()
        .await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        retry_after,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// A message's words whatever lettre encoded them as: the subject (RFC 2047) and
/// the parts (quoted-printable or base64), decoded, one after the other.
fn readable(mail: &harness::smtp::Received) -> String {
    use base64::Engine;
    let b64 = |s: &str| {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    let mut text = String::new();
    if let Some(subject) = mail.header("Subject") {
        for word in subject.split_whitespace() {
            match word
                .strip_prefix("=?utf-8?b?")
                .or_else(|| word.strip_prefix("=?UTF-8?B?"))
                .and_then(|w| w.strip_suffix("?="))
            {
                Some(encoded) => text.push_str(&b64(encoded).unwrap_or_default()),
                None => text.push_str(word),
            }
            text.push(' ');
        }
    }
    text.push_str(&mail.body());
    for block in mail.raw.split("\r\n\r\n").skip(1) {
        let block = block.split("\r\n--").next().unwrap_or("");
        if let Some(decoded) = b64(block) {
            text.push_str(&decoded);
        }
    }
    text
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_eicar_file_is_never_served_and_a_clean_file_is() {
    let clamd = Clamd::start("eicar");
    let (app, web, _worker) = scanning_app("scan_eicar", &clamd, &[]).await;
    let (token, paths) = post_transfer(
        &app,
        &web,
        &[
            ("eicar.com", &eicar()),
            ("notes.txt", CLEAN),
            ("more.txt", CLEAN),
        ],
    )
    .await;
    scans_done(&app).await;
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM files WHERE scan = 'infected' AND scan_signature = '{EICAR_SIGNATURE}' AND scanned_at IS NOT NULL")).await,
        1,
        "the EICAR file is recorded infected, with clamd's signature"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM files WHERE scan = 'clean'").await,
        2
    );

    // An API client (curl) gets a JSON refusal; GET and HEAD alike, nothing counted.
    let (status, _, body) = api_get(&app, &web, &paths[0]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "malware_found");
    let head = app.head(web.url(&paths[0])).await;
    assert_eq!(head.status(), StatusCode::FORBIDDEN);
    for mode in ["get", "inline", "preview"] {
        let path = paths[0].replacen('/', &format!("/{mode}/"), 1);
        let (status, _, body) = api_get(&app, &web, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "/{mode}/…");
        assert!(
            !contains(&body, &eicar()),
            "/{mode}/… never sends the bytes"
        );
    }

    // A browser gets a page that says what was found and that no one could be told.
    let visitor = browser();
    let (status, html) = page(&visitor, web.url(&paths[0])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("contains malware"), "{html}");
    assert!(html.contains(EICAR_SIGNATURE));
    assert!(html.contains("uploaded anonymously"));
    let (status, share) = page(&visitor, web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        share.contains("Malware found"),
        "the share page labels the file"
    );
    assert!(
        !share.contains(&format!("/get/{token}/eicar.com")),
        "and offers no download of it"
    );
    assert!(share.contains(&format!("/get/{token}/notes.txt")));
    assert!(share.contains("uploaded anonymously"));

    // Both pages pass axe-core in Chromium, light and dark.
    let dir = browser::chromium_tests_dir(&["playwright-core", "@axe-core/playwright"]);
    let out = std::process::Command::new("node")
        .arg(dir.join("scanning.mjs"))
        .arg(web.url(""))
        .arg(&paths[0])
        .arg(format!("/s/{token}"))
        .output()
        .expect("run node");
    browser::script_succeeded("axe on the scanning pages", &out);

    // The clean files are served.
    let (status, _, body) = api_get(&app, &web, &paths[1]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, CLEAN);

    // Archives leave the infected file out (the stored bundle holds it: not used).
    eventually("the stored bundle", WAIT, || async {
        (count(
            &app,
            "SELECT count(*) FROM transfers WHERE bundle_blob_id IS NOT NULL",
        )
        .await
            == 1)
            .then_some(())
    })
    .await;
    for archive in [".zip", ".tar.gz"] {
        let (status, _, body) = api_get(&app, &web, &format!("/{token}{archive}")).await;
        assert_eq!(status, StatusCode::OK, "{archive}");
        let body = if archive == ".tar.gz" {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut out)
                .unwrap();
            out
        } else {
            body
        };
        assert!(
            contains(&body, b"notes.txt"),
            "{archive} holds the clean files"
        );
        assert!(contains(&body, CLEAN));
        assert!(
            !contains(&body, b"eicar.com"),
            "{archive} leaves the infected one out"
        );
        assert!(!contains(&body, &eicar()));
    }

    // A transfer of nothing but the infected file has no archive to give.
    let single = harness::put_file(&web.url("/eicar2.com"), eicar()).await;
    scans_done(&app).await;
    let token2 = single.split('/').nth(1).unwrap();
    let (status, _, body) = api_get(&app, &web, &format!("/{token2}.zip")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!contains(&body, &eicar()));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_clamd_down_files_wait_unserved_and_are_scanned_when_it_returns() {
    let mut clamd = Clamd::prepare("down");
    let (mut app, web, worker) =
        scanning_app("scan_down", &clamd, &[("SCAN_REQUIRED", "true")]).await;
    // A second web replica: uploads go to one, reads are asked of both.
    let url = clamd.url();
    let other = app
        .start(
            Kind::Web,
            &[("CLAMAV_URL", url.as_str()), ("SCAN_REQUIRED", "true")],
        )
        .await;
    let webs = [&web, &other];
    let (token, paths) = post_transfer(
        &app,
        &other,
        &[("notes.txt", CLEAN), ("eicar.com", &eicar())],
    )
    .await;

    // The scans fail while clamd is down (and are retried); the files stay pending.
    eventually(
        "the scan jobs to fail against a clamd that is down",
        WAIT,
        || async { worker.log().contains("scanning with clamd").then_some(()) },
    )
    .await;
    files_pending(&app, 2).await;

    // Nothing unscanned is served meanwhile: not the file, not an archive.
    for path in [
        &paths[0],
        &paths[1],
        &format!("/{token}.zip"),
        &format!("/{token}.tar.gz"),
    ] {
        for web in webs {
            let (status, retry_after, body) = api_get(&app, web, path).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(retry_after.as_deref(), Some("10"), "{path}");
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], "being_scanned", "{path}");
        }
    }
    let visitor = browser();
    let (status, html) = page(&visitor, web.url(&paths[0])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("being checked for malware"), "{html}");
    let (_, share) = page(&visitor, web.url(&format!("/s/{token}"))).await;
    assert!(share.contains("Being checked for malware"));
    assert!(!share.contains(&format!("/get/{token}/notes.txt")));
    files_pending(&app, 2).await;

    // clamd returns: the waiting scans run, the clean file is served, EICAR is not.
    clamd.resume();
    scans_done(&app).await;
    for web in webs {
        let (status, _, body) = api_get(&app, web, &paths[0]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, CLEAN);
        let (status, _, _) = api_get(&app, web, &paths[1]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = api_get(&app, web, &format!("/{token}.zip")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(contains(&body, CLEAN) && !contains(&body, &eicar()));
    }
}

/// Asserts that `n` files still wait for their scan.
async fn files_pending(app: &TestApp, n: i64) {
    assert_eq!(
        count(app, "SELECT count(*) FROM files WHERE scan = 'pending'").await,
        n,
        "files waiting for their scan"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_while_it_holds_a_scan_loses_nothing() {
    let mut clamd = Clamd::prepare("killed");
    let (mut app, web, mut worker) =
        scanning_app("scan_killed", &clamd, &[("SCAN_REQUIRED", "true")]).await;
    let (_, paths) =
        post_transfer(&app, &web, &[("eicar.com", &eicar()), ("notes.txt", CLEAN)]).await;

    // The first worker holds the scans (retrying against a clamd that is down) when it
    // is SIGKILLed.
    eventually("the worker to hold both scans", WAIT, || async {
        (count(
            &app,
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.scan' AND status = 'Running'",
        )
        .await
            == 2)
            .then_some(())
    })
    .await;
    worker.kill();
    files_pending(&app, 2).await;
    assert_eq!(
        api_get(&app, &web, &paths[1]).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );

    // Another worker takes the orphaned scans over and finishes them once clamd is up.
    clamd.resume();
    let url = clamd.url();
    let _second = app
        .start(Kind::Worker, &[("CLAMAV_URL", url.as_str())])
        .await;
    scans_done(&app).await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM files WHERE scan = 'infected'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM files WHERE scan = 'clean'").await,
        1
    );
    eventually("both scan jobs done", WAIT, || async {
        (count(
            &app,
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'ferry.scan' AND status = 'Done'",
        )
        .await
            == 2)
            .then_some(())
    })
    .await;
    let (status, _, body) = api_get(&app, &web, &paths[1]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, CLEAN);
    assert_eq!(
        api_get(&app, &web, &paths[0]).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_of_an_infected_file_is_told_on_me_and_by_mail() {
    let clamd = Clamd::start("owner");
    let smtp = SmtpServer::start("scan-owner");
    let smtp_url = smtp.url();
    let (app, web, _worker) = scanning_app(
        "scan_owner",
        &clamd,
        &[
            ("SMTP_URL", smtp_url.as_str()),
            ("MAIL_FROM", "Ferry <files@ferry.test>"),
        ],
    )
    .await;
    let owner = browser();
    let answer = browser::sign_up(&owner, &web, "ada@example.org", STRONG_PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    // Confirmed by following the verification mail's link.
    let mails = smtp.wait_for("ada@example.org", 1, WAIT).await;
    let verify = mails[0].link("/verify/").expect("a verification link");
    assert_eq!(page(&browser(), verify).await.0, StatusCode::OK);

    let (_, upload) = page(&owner, web.url("/")).await;
    browser::draft_file(&owner, &web, &upload, "eicar.com", eicar()).await;
    browser::draft_file(&owner, &web, &upload, "notes.txt", CLEAN.to_vec()).await;
    let sent = owner
        .post(web.url("/send"))
        .form(&send_fields(&browser::csrf_of(&upload), "3", "", ""))
        .answer()
        .await;
    let token = sent_token(&sent);
    scans_done(&app).await;

    let mails = smtp.wait_for("ada@example.org", 2, WAIT).await;
    let notice = mails
        .iter()
        .map(readable)
        .find(|text| text.contains("Malware found"))
        .expect("a malware notice");
    assert!(notice.contains(EICAR_SIGNATURE), "{notice}");
    assert!(notice.contains("eicar.com"));

    let (_, me) = page(&owner, web.url("/me")).await;
    assert!(me.contains("1 file blocked: malware found"), "{me}");
    let (_, share) = page(&browser(), web.url(&format!("/s/{token}"))).await;
    assert!(share.contains("has been told"), "{share}");
    assert_eq!(
        api_get(&app, &web, &format!("/{token}/eicar.com")).await.0,
        StatusCode::FORBIDDEN
    );

    // One notice, however often the verdict is recorded.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM mail_outbox WHERE kind = 'malware_found'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_clamav_url_files_are_not_scanned_and_scan_required_is_refused() {
    let (app, web) = TestApp::with_web("scan_off", &[]).await;
    let path = harness::put_file(&web.url("/plain.txt"), CLEAN.to_vec()).await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM files WHERE scan = 'off'").await,
        1
    );
    assert_eq!(api_get(&app, &web, &path).await.0, StatusCode::OK);

    let out = app
        .command(&["web"], &[("SCAN_REQUIRED", "true")])
        .output()
        .expect("run ferry web");
    assert_eq!(
        out.status.code(),
        Some(2),
        "SCAN_REQUIRED without CLAMAV_URL"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CLAMAV_URL"), "{stderr}");
    let out = app
        .command(&["worker"], &[("CLAMAV_URL", "clamd:3310")])
        .output()
        .expect("run ferry worker");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a CLAMAV_URL that is not tcp://"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLAMAV_URL"));
}
