//! One "browser" for the page tests: a cookie-keeping client that does not follow
//! redirects, readers for what the pages carry (CSRF and draft tokens), and the forms
//! and calls a visitor makes (signing up and in, drafting files).

use std::time::Duration;

use reqwest::{Client, Response, StatusCode, header, redirect::Policy};

use super::{Process, http::Exchange, tus};

/// An account password every suite signs up with: one the strength check
/// (`ferry_core::AccountPassword`) accepts — zxcvbn scores it 4, and no list holds it.
pub const STRONG_PASSWORD: &str = "lantern quiver oatmeal";

/// A cookie-keeping client that does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The value of the first `marker…"` attribute in `html` (`marker` ends with `="`).
pub fn attribute(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The page's CSRF token (`<meta name="csrf-token">`, also in every form).
pub fn csrf_of(html: &str) -> String {
    attribute(html, r#"<meta name="csrf-token" content=""#)
}

/// The upload page's draft token (upload.js puts it in the tus metadata).
pub fn draft_token_of(html: &str) -> String {
    attribute(html, r#"data-draft-token=""#)
}

/// GETs `url` as a browser would (asking for HTML): status and body.
pub async fn page(client: &Client, url: String) -> (StatusCode, String) {
    let response = client
        .get(url)
        .header(header::ACCEPT, "text/html")
        .answer()
        .await;
    (response.status(), response.text().await.unwrap())
}

/// GETs `url` as a browser set to `language` would (`Accept-Language`, asking for
/// HTML): status and body.
pub async fn page_in(client: &Client, url: String, language: &str) -> (StatusCode, String) {
    let response = client
        .get(url)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, language)
        .answer()
        .await;
    (response.status(), response.text().await.unwrap())
}

/// The fields of the sign-up and sign-in forms, as a browser posts them.
pub fn account_fields<'a>(
    csrf: &'a str,
    email: &'a str,
    password: &'a str,
) -> [(&'static str, &'a str); 3] {
    [("_csrf", csrf), ("email", email), ("password", password)]
}

/// Fills in the account form at `path` (`/signup` or `/signin`) as a cookie-keeping
/// browser does: loads the form for its CSRF token, then posts it asking for HTML.
/// The answer as it came (303 when it succeeded).
pub async fn submit_account_form(
    client: &Client,
    web: &Process,
    path: &str,
    email: &str,
    password: &str,
) -> Response {
    let (status, form) = page(client, web.url(path)).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    client
        .post(web.url(path))
        .header(header::ACCEPT, "text/html")
        .form(&account_fields(&csrf_of(&form), email, password))
        .answer()
        .await
}

/// The fields of the upload page's send form: the draft becomes a transfer that
/// lives `days`, with `max_downloads` ("" for no limit) and `password` ("" for none).
pub fn send_fields<'a>(
    csrf: &'a str,
    days: &'a str,
    max_downloads: &'a str,
    password: &'a str,
) -> [(&'static str, &'a str); 4] {
    [
        ("_csrf", csrf),
        ("days", days),
        ("max_downloads", max_downloads),
        ("password", password),
    ]
}

/// Signs a cookie-keeping `client` up as `email` through the sign-up form; the answer
/// as it came (303 when the account was made).
pub async fn sign_up(client: &Client, web: &Process, email: &str, password: &str) -> Response {
    submit_account_form(client, web, "/signup", email, password).await
}

/// Signs a cookie-keeping `client` up as `email` with [`STRONG_PASSWORD`] through the
/// sign-up form, asserting that the account was made (303): the client is signed in.
pub async fn register(client: &Client, web: &Process, email: &str) {
    let made = sign_up(client, web, email, STRONG_PASSWORD).await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER, "sign-up of {email}");
}

/// Signs a cookie-keeping `client` in as `email` through the sign-in form; the answer
/// as it came (303 when the password was right).
pub async fn sign_in(client: &Client, web: &Process, email: &str, password: &str) -> Response {
    submit_account_form(client, web, "/signin", email, password).await
}

/// POSTs `fields` to `url` as a browser submits a form (asking for HTML): the answer
/// as it came.
pub async fn post_form(client: &Client, url: String, fields: &[(&str, &str)]) -> Response {
    client
        .post(url)
        .header(header::ACCEPT, "text/html")
        .form(fields)
        .answer()
        .await
}

/// POSTs a form that carries nothing but the CSRF token of a page the `client` was
/// shown (`html`) to `url`, as the pages' one-button forms (close, send, sign out)
/// do, without asking for HTML: the answer as it came.
pub async fn press(client: &Client, url: String, html: &str) -> Response {
    client
        .post(url)
        .form(&[("_csrf", csrf_of(html).as_str())])
        .answer()
        .await
}

/// Picks `language` in the header's language switcher, as a browser on page `back`
/// submits it (`POST /language`): the answer as it came (303 back when accepted).
pub async fn choose_language(
    client: &Client,
    web: &Process,
    language: &str,
    back: &str,
) -> Response {
    client
        .post(web.url("/language"))
        .form(&[("lang", language), ("back", back)])
        .answer()
        .await
}

/// Sends the draft of the upload page `html` (`POST /send`) for 7 days with `fields`
/// on top (recipients, message, notify…): the answer as it came (303 to
/// `/sent/{token}` when sent, see [`sent_token`]).
pub async fn send_draft(
    client: &Client,
    web: &Process,
    html: &str,
    fields: &[(&str, &str)],
) -> Response {
    let csrf = csrf_of(html);
    let mut all = vec![("_csrf", csrf.as_str()), ("days", "7")];
    all.extend_from_slice(fields);
    client.post(web.url("/send")).form(&all).answer().await
}

/// Signs a cookie-keeping `client` out with the CSRF token of a page it was shown
/// (`html`); the answer as it came (303 when the session ended).
pub async fn sign_out(client: &Client, web: &Process, html: &str) -> Response {
    press(client, web.url("/signout"), html).await
}

/// Creates a file request through the signed-in `owner`'s form on `/requests`: a
/// "Holiday photos" request open 7 days for up to 10 files and 1 GB, what arrives kept
/// 14 days with no download limit, each of `fields` replacing its default. The new
/// request's link token (asserted: the form answered 303 and the request is listed).
pub async fn create_file_request(owner: &Client, web: &Process, fields: &[(&str, &str)]) -> String {
    let (status, form) = page(owner, web.url("/requests")).await;
    assert_eq!(status, StatusCode::OK, "GET /requests");
    let csrf = csrf_of(&form);
    let mut all: Vec<(&str, &str)> = vec![
        ("_csrf", csrf.as_str()),
        ("title", "Holiday photos"),
        ("message", ""),
        ("days", "7"),
        ("max_files", "10"),
        ("max_size", "1 GB"),
        ("transfer_days", "14"),
        ("transfer_max_downloads", ""),
    ];
    for (key, value) in fields {
        all.retain(|(k, _)| k != key);
        all.push((key, value));
    }
    let created = owner
        .post(web.url("/requests"))
        .header(header::ACCEPT, "text/html")
        .form(&all)
        .answer()
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "POST /requests");
    let (_, list) = page(owner, web.url("/requests")).await;
    let link = attribute(&list, "/r/");
    link.split(['"', '<', ' ']).next().unwrap().to_owned()
}

/// A finished tus draft upload of `bytes` as the upload page's script sends it, with
/// the page's `draft_token`; its upload id.
pub async fn draft_upload(
    client: &Client,
    web: &Process,
    name: &str,
    bytes: Vec<u8>,
    draft_token: &str,
) -> String {
    let created = tus::create_draft_upload(client, &web.url(""), name, bytes, draft_token)
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED, "draft upload {name}");
    tus::upload_id(&created).unwrap()
}

/// Puts the upload `id` into the browser's draft as upload.js does (`POST /draft` with
/// the page's `csrf`); the status it answers (200 when the file joined the draft).
pub async fn add_to_draft(client: &Client, web: &Process, csrf: &str, id: &str) -> StatusCode {
    client
        .post(web.url("/draft"))
        .header("X-CSRF-Token", csrf)
        .json(&serde_json::json!({ "upload_id": id }))
        .answer()
        .await
        .status()
}

/// The token of the transfer a `POST /send` made, from its redirect to
/// `/sent/{token}` (asserted: a 303).
pub fn sent_token(sent: &Response) -> String {
    assert_eq!(sent.status(), StatusCode::SEE_OTHER, "POST /send");
    let location = sent.headers()[header::LOCATION].to_str().unwrap();
    location.trim_start_matches("/sent/").to_owned()
}

/// The Chromium tests' directory (`tests/browser`), after checking that Chromium, node
/// and each of `packages` are installed: a missing one fails the test with the command
/// that installs it.
pub fn chromium_tests_dir(packages: &[&str]) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Chromium is not installed; install it: apt-get install chromium fonts-dejavu-core"
    );
    assert!(
        std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok(),
        "node is not installed; install it: apt-get install nodejs npm"
    );
    for package in packages {
        assert!(
            dir.join("node_modules").join(package).exists(),
            "{package} is not installed; install it: (cd tests/browser && npm ci)"
        );
    }
    dir
}

/// Where the Chromium tests save README's screenshots: the directory `FERRY_SCREENSHOTS`
/// names, if it is set. A relative one (`docs/screenshots`, as README says) is taken
/// from the repository's root, not from where cargo runs the test (`crates/ferry`).
pub fn screenshot_dir() -> Option<String> {
    let dir = std::env::var_os("FERRY_SCREENSHOTS")?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(root.join(dir).to_string_lossy().into_owned())
}

/// Runs `node tests/browser/<script> args…` (see [`chromium_tests_dir`]), asserts that
/// it succeeded and returns the last line it printed, its JSON report.
pub fn run_chromium_script(script: &str, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new("node")
        .arg(chromium_tests_dir(&["playwright-core"]).join(script))
        .args(args)
        .output()
        .unwrap();
    let stdout = script_succeeded(script, &out);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// What a node script (`what`) printed, after asserting that it exited 0; its output
/// and errors make the failure message otherwise.
pub fn script_succeeded(what: &str, out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Puts `bytes` as `name` into the draft of the upload page `html` as upload.js does
/// (a tus draft upload, then `POST /draft`), asserting both steps; the upload id.
pub async fn draft_file(
    client: &Client,
    web: &Process,
    html: &str,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let id = draft_upload(client, web, name, bytes, &draft_token_of(html)).await;
    let added = add_to_draft(client, web, &csrf_of(html), &id).await;
    assert_eq!(added, StatusCode::OK, "{name} joins the draft");
    id
}
