//! What a person sees of a share, checked with the real components: Chromium
//! screenshots the share link's QR code and `zbarimg` (Debian's `zbar-tools`) reads it
//! back; Chromium plays and seeks a video (made by `ffmpeg`) and an audio preview, reads a text preview, opens a PDF
//! preview, and is never made to render an uploaded HTML or SVG file. What a preview
//! costs — against a download limit, before a password — is checked over HTTP.

mod harness;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use harness::{
    Kind, Process, TestApp,
    browser::{browser, csrf_of, draft_file, page, run_chromium_script, send_fields, sent_token},
    curl,
    data::files_form,
    files_finished,
    http::Exchange,
};
use reqwest::{Client, StatusCode, header};

/// Runs `node looks.mjs args…` and returns its JSON report.
fn looks(args: &[&str]) -> serde_json::Value {
    run_chromium_script("looks.mjs", args)
}

/// A scratch directory for one test's files and screenshots.
fn scratch(name: &str, port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-looks-{name}-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What `zbarimg` reads from the picture at `path`.
fn decode_qr(path: &Path) -> String {
    // zbarimg fails when it finds no code in the picture.
    let out = run_tool(
        Command::new("zbarimg").args(["--quiet", "--raw"]).arg(path),
        "zbar-tools",
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_qr_codes_on_the_sent_and_share_pages_decode_to_the_exact_share_link() {
    assert!(
        Command::new("zbarimg").arg("--version").output().is_ok(),
        "zbarimg is not installed; install it: apt-get install -y zbar-tools"
    );
    let mut app = TestApp::new("looks_qr").await;
    let web = app.start(Kind::Web, &[]).await;
    let dir = scratch("qr", web.port);
    let file = dir.join("hello.txt");
    std::fs::write(&file, "hello, phone\n").unwrap();

    let report = looks(&[
        "qr",
        &web.url(""),
        file.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let link = report["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&web.url("/s/")), "{link}");
    assert_eq!(
        decode_qr(&dir.join("qr-sent.png")),
        link,
        "the sent page's code"
    );
    assert_eq!(
        decode_qr(&dir.join("qr-share.png")),
        link,
        "the share page's code"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A WAV of `seconds` of a 440 Hz tone, 44.1 kHz, 16-bit stereo (about 10 MiB a
/// minute): real audio every browser plays, made without any encoder.
fn wav(seconds: u32) -> Vec<u8> {
    let (rate, channels) = (44_100u32, 2u16);
    let frames = rate * seconds;
    let data_len = frames * u32::from(channels) * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for frame in 0..frames {
        let t = f64::from(frame) / f64::from(rate);
        let sample = ((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16;
        for _ in 0..channels {
            out.extend_from_slice(&sample.to_le_bytes());
        }
    }
    out
}

/// A real 10 s VP8 WebM video (320×240 test pattern with a moving counter), made by
/// `ffmpeg` (Debian's): no video is committed.
fn webm(dir: &Path) -> Vec<u8> {
    let path = dir.join("clip.webm");
    run_tool(
        Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc=duration=10:size=320x240:rate=15")
            .args([
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-b:v",
                "500k",
                "-f",
                "webm",
            ])
            .arg(&path),
        "ffmpeg",
    );
    std::fs::read(&path).unwrap()
}

/// A minimal valid one-page PDF that says `text` (with a correct cross-reference
/// table, so viewers need not repair it).
fn pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 36 Tf 72 700 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

const TEXT: &str = "Notes for the review.\n<script>alert(\"text ran\")</script>\nEnd of notes.\n";
const HTML: &str =
    "<!doctype html><html><body><h1>Hi</h1><script>alert(\"html ran\")</script></body></html>";
const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(\"svg ran\")</script></svg>";

/// Uploads `files` as one transfer with the curl API (`headers` added); returns its
/// token.
async fn upload(web: &Process, files: Vec<(&str, Vec<u8>)>, headers: &[(&str, &str)]) -> String {
    let response = curl::post_files(&Client::new(), web, files_form(files), headers).await;
    assert_eq!(response.status(), StatusCode::OK);
    curl::token_of(&response.text().await.unwrap())
}

/// Waits until the worker has finished every file (their sniffed types recorded).
async fn finished(app: &TestApp) {
    files_finished(app, Duration::from_secs(60)).await;
}

/// `GET /preview/{token}/{name}` by `client`, with `Range: range` when given (as a
/// player asks): the answer as it came.
async fn preview(
    client: &Client,
    web: &Process,
    token: &str,
    name: &str,
    range: Option<&str>,
) -> reqwest::Response {
    let request = client.get(web.url(&format!("/preview/{token}/{name}")));
    match range {
        Some(range) => request.header(header::RANGE, range),
        None => request,
    }
    .answer()
    .await
}

/// Asserts that the Chromium player of `report` (`looks.mjs`' report of one media
/// element) sought past its target and played on, in a file of `seconds`.
fn assert_sought_and_played(report: &serde_json::Value, seconds: f64, what: &str) {
    assert!(
        report["at"].as_f64().unwrap() >= report["target"].as_f64().unwrap(),
        "the {what} sought and played on: {report}"
    );
    assert!(
        (report["duration"].as_f64().unwrap() - seconds).abs() < 0.5,
        "{report}"
    );
}

/// Runs `command`, a program of the Debian package `package`: a missing program fails
/// the test with the command that installs it, a failing run with its output.
fn run_tool(command: &mut Command, package: &str) -> std::process::Output {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command.output().unwrap_or_else(|e| {
        panic!("{program} is not installed ({e}); install it: apt-get install -y {package}")
    });
    harness::succeeded(&program, &out);
    out
}

async fn downloads_counted(app: &TestApp) -> i64 {
    harness::count(app, "SELECT coalesce(sum(downloads), 0)::bigint FROM files").await
}

#[tokio::test(flavor = "multi_thread")]
async fn previews_play_and_seek_show_text_as_text_open_pdfs_and_never_render_html_or_svg() {
    let (app, web, _worker) = TestApp::with_web_and_worker("looks_previews").await;
    let dir = scratch("previews", web.port);
    let clip = webm(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let tone = wav(60);
    let token = upload(
        &web,
        vec![
            ("clip.webm", clip),
            ("tone.wav", tone.clone()),
            ("notes.txt", TEXT.as_bytes().to_vec()),
            ("doc.pdf", pdf("Hello from Ferry")),
            ("page.html", HTML.as_bytes().to_vec()),
            ("image.svg", SVG.as_bytes().to_vec()),
        ],
        &[],
    )
    .await;
    finished(&app).await;

    // Over HTTP first: a preview of a transfer without a limit is served with Range,
    // byte for byte, and counts nothing.
    let client = Client::new();
    let part = preview(
        &client,
        &web,
        &token,
        "tone.wav",
        Some("bytes=1000000-1000099"),
    )
    .await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 1000000-1000099/{}", tone.len()).as_str()
    );
    assert_eq!(part.headers()[header::CONTENT_TYPE], "audio/x-wav");
    assert_eq!(part.bytes().await.unwrap(), &tone[1_000_000..1_000_100]);
    let text = preview(&client, &web, &token, "notes.txt", None).await;
    assert_eq!(
        text.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(text.headers()["x-content-type-options"], "nosniff");
    // The PDF the viewer shows comes under the downloads' own headers.
    let pdf = preview(&client, &web, &token, "doc.pdf", None).await;
    let headers = pdf.headers();
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    for active in ["page.html", "image.svg"] {
        let refused = preview(&client, &web, &token, active, None).await;
        assert_eq!(
            refused.status(),
            StatusCode::NOT_FOUND,
            "{active} has no preview"
        );
    }
    let (_, html) = page(&client, web.url(&format!("/s/{token}"))).await;
    assert!(
        html.contains("&lt;script&gt;alert(&quot;text ran&quot;)&lt;/script&gt;")
            || html.contains("&lt;script&gt;alert(\"text ran\")&lt;/script&gt;"),
        "the text preview is escaped: {html}"
    );
    assert_eq!(downloads_counted(&app).await, 0, "previews are free here");

    // In Chromium.
    let shots = harness::browser::screenshot_dir();
    let mut args = vec!["previews".to_owned(), web.url(&format!("/s/{token}"))];
    args.extend(shots.clone());
    let report = looks(&args.iter().map(String::as_str).collect::<Vec<_>>());
    println!("{report:#}");
    assert_eq!(
        report["dialogs"],
        serde_json::json!([]),
        "no upload's script ran"
    );
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .contains("<script>alert(\"text ran\")</script>"),
        "the text shows as text"
    );
    let video = &report["video"];
    assert_sought_and_played(video, 10.0, "video player");
    assert_eq!(
        video["size"],
        serde_json::json!([320, 240]),
        "frames decoded: {video}"
    );
    assert!(
        report["media"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == 206 && r["url"].as_str().unwrap().ends_with("/clip.webm")),
        "the video came with Range, answered 206: {}",
        report["media"]
    );
    assert_sought_and_played(&report["audio"], 60.0, "player");
    let seeks: Vec<_> = report["media"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["status"] == 206
                && r["contentRange"]
                    .as_str()
                    .is_some_and(|range| !range.starts_with("bytes 0-"))
                && r["url"].as_str().unwrap().ends_with("/tone.wav")
        })
        .collect();
    assert!(
        !seeks.is_empty(),
        "seeking fetched a later part of the file with Range, answered 206: {}",
        report["media"]
    );
    let pdf = &report["pdf"];
    assert_eq!(
        pdf["downloaded"], false,
        "the PDF opens in the viewer: {pdf}"
    );
    assert_eq!(pdf["viewer"], "application/pdf", "{pdf}");
    for active in ["page.html", "image.svg"] {
        let seen = &report["active"][active];
        assert_eq!(seen["shown"], 0, "{active}: {seen}");
        assert_eq!(seen["previewLinks"], 0, "{active}: {seen}");
        for way in ["plain", "inline/", "get/"] {
            assert_eq!(
                seen["results"][way]["download"], active,
                "{active} via {way} is a download, never a page: {seen}"
            );
        }
        assert!(
            seen["results"]["preview/"]["download"].is_null(),
            "{active} has no preview: {seen}"
        );
        assert_eq!(seen["results"]["preview/"]["response"], 404, "{seen}");
    }
    assert_eq!(
        downloads_counted(&app).await,
        6,
        "only the HTML and SVG downloads counted (three each), no preview"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn previews_of_a_max_downloads_1_transfer_are_downloads_and_cannot_pass_the_limit() {
    let (app, web, _worker) = TestApp::with_web_and_worker("looks_limited").await;
    let tone = wav(3);
    let token = upload(
        &web,
        vec![
            ("notes.txt", TEXT.as_bytes().to_vec()),
            ("tone.wav", tone.clone()),
        ],
        &[("Max-Downloads", "1")],
    )
    .await;
    finished(&app).await;

    // The share page reads and shows nothing of the files: previews wait for a click.
    let client = browser();
    let (status, html) = page(&client, web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("Notes for the review"),
        "no free text preview: {html}"
    );
    assert!(
        !html.contains("<audio"),
        "no player loading the file: {html}"
    );
    assert!(
        html.contains(&format!("action=\"/preview/{token}/notes.txt\"")),
        "{html}"
    );
    assert!(
        html.contains("Each preview uses one of the downloads"),
        "{html}"
    );
    assert_eq!(downloads_counted(&app).await, 0);

    // A text preview is the download.
    let previewed = preview(&client, &web, &token, "notes.txt", None).await;
    assert_eq!(previewed.status(), StatusCode::OK);
    assert_eq!(previewed.headers()["x-remaining-downloads"], "0");
    assert_eq!(previewed.text().await.unwrap(), TEXT);
    for path in ["preview", "get", "inline"] {
        let again = Client::new()
            .get(web.url(&format!("/{path}/{token}/notes.txt")))
            .answer()
            .await;
        assert_eq!(
            again.status(),
            StatusCode::NOT_FOUND,
            "/{path}/ after the preview"
        );
    }

    // The player's first request (a Range from 0) is the audio's one download; a plain
    // GET after it gets nothing.
    let player = preview(&client, &web, &token, "tone.wav", Some("bytes=0-")).await;
    assert_eq!(player.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(player.bytes().await.unwrap().len(), tone.len());
    // A seek is a resume under that download's grant: back a little (within what a
    // resume may re-send, half this small file) it plays on for free; back to the
    // start it would be a second copy, and there is no download left for one.
    let near_end = preview(&client, &web, &token, "tone.wav", Some("bytes=400000-")).await;
    assert_eq!(near_end.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(near_end.bytes().await.unwrap(), &tone[400_000..]);
    let from_start = preview(&client, &web, &token, "tone.wav", Some("bytes=100-")).await;
    assert_eq!(from_start.status(), StatusCode::NOT_FOUND);
    let plain = preview(&client, &web, &token, "tone.wav", None).await;
    assert_eq!(
        plain.status(),
        StatusCode::NOT_FOUND,
        "a plain GET would be a second copy"
    );
    assert_eq!(
        downloads_counted(&app).await,
        2,
        "one per file, each its limit"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_protected_share_previews_nothing_before_it_is_unlocked() {
    let (app, web, _worker) = TestApp::with_web_and_worker("looks_password").await;
    let sender = browser();
    let (_, upload_page) = page(&sender, web.url("/")).await;
    let csrf = csrf_of(&upload_page);
    let notes = TEXT.as_bytes().to_vec();
    draft_file(&sender, &web, &upload_page, "notes.txt", notes).await;
    let sent = sender
        .post(web.url("/send"))
        .form(&send_fields(&csrf, "3", "", "correct horse battery"))
        .send()
        .await
        .unwrap();
    let token = sent_token(&sent);
    finished(&app).await;

    let recipient = browser();
    let (status, locked) = page(&recipient, web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(locked.contains("Password required"), "{locked}");
    assert!(!locked.contains("Notes for the review"), "{locked}");
    assert!(!locked.contains("/preview/"), "{locked}");
    let previewed = preview(&recipient, &web, &token, "notes.txt", None).await;
    assert_eq!(previewed.status(), StatusCode::FORBIDDEN);

    let unlocked = recipient
        .post(web.url(&format!("/s/{token}/unlock")))
        .form(&[
            ("_csrf", csrf_of(&locked).as_str()),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unlocked.status(), StatusCode::SEE_OTHER);
    let (_, open) = page(&recipient, web.url(&format!("/s/{token}"))).await;
    assert!(open.contains("Notes for the review"), "{open}");
    let previewed = preview(&recipient, &web, &token, "notes.txt", None).await;
    assert_eq!(previewed.status(), StatusCode::OK);
    assert_eq!(previewed.text().await.unwrap(), TEXT);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_page_shows_the_first_64_kib_of_at_most_three_text_files() {
    let (app, web, _worker) = TestApp::with_web_and_worker("looks_text_bound").await;
    // 64 KiB less one byte of `a`, then an `é` across the 64 KiB boundary, then more.
    let mut long = vec![b'a'; 64 * 1024 - 1];
    long.extend_from_slice("é".as_bytes());
    long.extend_from_slice(b"TAIL-MARKER\n");
    long.extend(std::iter::repeat_n(b'z', 200 * 1024));
    let token = upload(
        &web,
        vec![
            ("long.txt", long.clone()),
            ("second.txt", b"SECOND-BODY\n".to_vec()),
            ("third.md", b"THIRD-BODY\n".to_vec()),
            ("fourth.rs", b"fn main() { /* FOURTH-BODY */ }\n".to_vec()),
        ],
        &[],
    )
    .await;
    finished(&app).await;

    let (status, html) = page(&Client::new(), web.url(&format!("/s/{token}"))).await;
    assert_eq!(status, StatusCode::OK);
    let shown = "a".repeat(64 * 1024 - 1);
    assert!(
        html.contains(&format!(">{shown}</pre>")),
        "the first 64 KiB, cut before the split é"
    );
    assert!(!html.contains("TAIL-MARKER") && !html.contains('\u{FFFD}'));
    assert!(html.contains("The first 64 KiB."), "says there is more");
    assert!(html.contains("SECOND-BODY") && html.contains("THIRD-BODY"));
    assert!(
        !html.contains("FOURTH-BODY"),
        "a fourth text file is not read"
    );
    assert!(
        html.contains(&format!("href=\"/preview/{token}/fourth.rs\"")),
        "it gets a link instead: {}",
        &html[html.len().saturating_sub(3000)..]
    );
    let whole = preview(&Client::new(), &web, &token, "long.txt", None).await;
    assert_eq!(
        whole.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(
        whole.bytes().await.unwrap(),
        long,
        "the route serves it all"
    );
    assert_eq!(downloads_counted(&app).await, 0);
    assert_eq!(
        harness::count(
            &app,
            "SELECT count(*) FROM transfers WHERE last_download_at IS NOT NULL"
        )
        .await,
        1,
        "a free preview still holds off the purge, as a download does"
    );
}
