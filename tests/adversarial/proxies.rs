//! Items 8, 9 and 13: the client address behind real proxies, secrets kept out of the
//! logs, and metrics kept off the app port.
//!
//! The proxies connect to Ferry from 127.0.0.2 (`source`/`proxy_bind`) and only that
//! address is in `TRUSTED_PROXIES`, so a client talking to Ferry directly from
//! 127.0.0.1 is an untrusted peer, as it would be on a real network.

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::{Client, StatusCode, header};
use serde_json::Value;

use crate::harness::{
    Kind, Process, TestApp,
    browser::{browser, csrf_of},
    count,
    data::b64,
    eventually,
};

const PROXY_SOURCE: &str = "127.0.0.2";
const TRUSTED: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.2/32");

/// A proxy child process and its scratch directory, stopped on drop.
struct Proxy {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Proxy {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn scratch(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ferry-adv-{kind}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn(program: &str, args: &[&str], install: &str) -> Child {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}); install it: {install}"))
}

async fn wait_until_serving(proxy: &Proxy) {
    let http = Client::new();
    let url = proxy.url("/healthz");
    eventually("the proxy to serve", Duration::from_secs(30), || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            http.get(url)
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
        }
    })
    .await;
}

/// HAProxy as deploy/haproxy.cfg configures it: `option forwardfor` appends the
/// address it saw to whatever `X-Forwarded-For` the client sent.
async fn haproxy(web: &Process) -> Proxy {
    let dir = scratch("haproxy");
    let port = ferry_dev::services::free_port();
    let config = format!(
        "global\n  maxconn 500\ndefaults\n  mode http\n  option forwardfor\n  timeout connect 2s\n  \
         timeout client 60s\n  timeout server 60s\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  http-request set-header X-Forwarded-Proto http\n  \
         default_backend web\n\
         backend web\n  server web1 127.0.0.1:{web} source {PROXY_SOURCE}\n",
        web = web.port
    );
    let cfg = dir.join("haproxy.cfg");
    fs::write(&cfg, config).unwrap();
    let child = spawn(
        "haproxy",
        &["-db", "-f", cfg.to_str().unwrap()],
        "apt-get install haproxy",
    );
    let proxy = Proxy { child, port, dir };
    wait_until_serving(&proxy).await;
    proxy
}

/// nginx as deploy/nginx.conf configures it (`$proxy_add_x_forwarded_for`), plus the
/// RFC 7239 `Forwarded` header built the way nginx's documentation suggests, and
/// `X-Forwarded-Proto: https` as a TLS-terminating nginx would send.
async fn nginx(web: &Process) -> Proxy {
    let dir = scratch("nginx");
    let port = ferry_dev::services::free_port();
    let d = dir.display();
    let config = format!(
        r#"daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  map $http_forwarded $proxy_add_forwarded {{
    ""      "for=$remote_addr";
    default "$http_forwarded, for=$remote_addr";
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{web};
      proxy_bind {PROXY_SOURCE};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Forwarded $proxy_add_forwarded;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
}}
"#,
        web = web.port
    );
    let cfg = dir.join("nginx.conf");
    fs::write(&cfg, config).unwrap();
    let child = spawn(
        "nginx",
        &["-c", cfg.to_str().unwrap(), "-p", dir.to_str().unwrap()],
        "apt-get install nginx-light",
    );
    let proxy = Proxy { child, port, dir };
    wait_until_serving(&proxy).await;
    proxy
}

/// The `http.client_ip` of the logged request that carried `marker` as its user agent.
async fn logged_client_ip(web: &Process, marker: &str) -> String {
    eventually(
        "the request's log line",
        Duration::from_secs(10),
        || async {
            web.log()
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .find(|v| v["span"]["http.user_agent"] == marker || v["http.user_agent"] == marker)
                .map(|v| {
                    v["span"]["http.client_ip"]
                        .as_str()
                        .or(v["http.client_ip"].as_str())
                        .unwrap_or_default()
                        .to_owned()
                })
        },
    )
    .await
}

async fn probe(url: String, marker: &str, headers: &[(&str, &str)]) {
    let mut request = Client::new().get(url).header(header::USER_AGENT, marker);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_x_forwarded_for_never_becomes_the_client_address_directly_or_through_haproxy_or_nginx()
 {
    let mut app = TestApp::new("adv_client_ip").await;
    let web = app.start(Kind::Web, &[TRUSTED]).await;
    let haproxy = haproxy(&web).await;
    let nginx = nginx(&web).await;
    let forged = [("X-Forwarded-For", "203.0.113.66")];

    // Straight to Ferry: the peer is not a trusted proxy, so the header is ignored.
    probe(web.url("/healthz"), "direct-forged", &forged).await;
    assert_eq!(logged_client_ip(&web, "direct-forged").await, "127.0.0.1");

    // Through HAProxy and nginx: they append the real peer (127.0.0.1) to the forged
    // value; the right-most untrusted address is the real one.
    probe(haproxy.url("/healthz"), "haproxy-forged", &forged).await;
    assert_eq!(logged_client_ip(&web, "haproxy-forged").await, "127.0.0.1");
    probe(nginx.url("/healthz"), "nginx-forged", &forged).await;
    assert_eq!(logged_client_ip(&web, "nginx-forged").await, "127.0.0.1");

    // Forged on two header lines: every line counts, in order.
    let two_lines = Client::new()
        .get(haproxy.url("/healthz"))
        .header(header::USER_AGENT, "haproxy-two-lines")
        .header("X-Forwarded-For", "198.51.100.1")
        .header("X-Forwarded-For", "198.51.100.2")
        .send()
        .await
        .unwrap();
    assert_eq!(two_lines.status(), StatusCode::OK);
    assert_eq!(
        logged_client_ip(&web, "haproxy-two-lines").await,
        "127.0.0.1"
    );
    // No proxy header at all through a trusted proxy: the address it connected from.
    probe(haproxy.url("/healthz"), "haproxy-plain", &[]).await;
    assert_eq!(logged_client_ip(&web, "haproxy-plain").await, "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_client_ip_header_forwarded_the_rfc_7239_header_is_read_and_x_forwarded_for_ignored() {
    let mut app = TestApp::new("adv_forwarded").await;
    let web = app
        .start(Kind::Web, &[TRUSTED, ("CLIENT_IP_HEADER", "forwarded")])
        .await;
    let nginx = nginx(&web).await;
    probe(
        nginx.url("/healthz"),
        "nginx-forwarded",
        &[
            ("Forwarded", "for=\"[2001:db8::66]:4711\";proto=https"),
            ("X-Forwarded-For", "203.0.113.66"),
        ],
    )
    .await;
    assert_eq!(logged_client_ip(&web, "nginx-forwarded").await, "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_forged_x_forwarded_for_through_haproxy_does_not_escape_the_sign_in_limit() {
    let mut app = TestApp::new("adv_xff_rate_limit").await;
    let web = app
        .start(Kind::Web, &[TRUSTED, ("SIGNIN_ATTEMPTS_PER_IP", "3")])
        .await;
    let haproxy = haproxy(&web).await;
    let mut statuses = Vec::new();
    for attempt in 0..6 {
        let client = browser();
        let form = client
            .get(haproxy.url("/signin"))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let response = client
            .post(haproxy.url("/signin"))
            .header("X-Forwarded-For", format!("198.51.100.{attempt}"))
            .form(&[
                ("_csrf", csrf_of(&form).as_str()),
                ("email", &format!("nobody{attempt}@example.com")),
                ("password", "wrong-password-123"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert!(
        statuses[..3]
            .iter()
            .all(|s| *s != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses[3..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "a forged X-Forwarded-For reset the per-IP bucket: {statuses:?}"
    );
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

async fn write_session(url: String) -> Vec<String> {
    let response = Client::new()
        .post(url)
        .header("X-Forwarded-Proto", "https")
        .json(&serde_json::json!({ "key": "k", "value": "v" }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    set_cookies(&response)
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_secure_when_a_trusted_proxy_says_https_and_only_then() {
    let mut app = TestApp::new("adv_secure_cookie").await;
    let web = app.start(Kind::Web, &[TRUSTED]).await;
    let nginx = nginx(&web).await;

    let via_tls_proxy = write_session(nginx.url("/api/session")).await;
    assert!(!via_tls_proxy.is_empty());
    assert!(
        via_tls_proxy
            .iter()
            .all(|c| c.to_ascii_lowercase().contains("; secure")),
        "{via_tls_proxy:?}"
    );
    // A client claiming https itself is not believed.
    let forged = write_session(web.url("/api/session")).await;
    assert!(!forged.is_empty());
    assert!(
        forged
            .iter()
            .all(|c| !c.to_ascii_lowercase().contains("; secure")),
        "{forged:?}"
    );
    // An https PUBLIC_URL marks every cookie Secure, whoever asks.
    let public = app
        .start(Kind::Web, &[("PUBLIC_URL", "https://files.example.com")])
        .await;
    let behind_https = write_session(public.url("/api/session")).await;
    assert!(!behind_https.is_empty());
    assert!(
        behind_https
            .iter()
            .all(|c| c.to_ascii_lowercase().contains("; secure")),
        "{behind_https:?}"
    );
}

fn assert_absent(logs: &str, secret: &str, what: &str) {
    assert!(
        secret.len() >= 8,
        "{what} {secret:?} is too short to search"
    );
    assert!(
        !logs.contains(secret),
        "the logs contain the {what} {secret}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn share_tokens_deletion_tokens_and_upload_ids_never_appear_in_any_log() {
    let mut app = TestApp::new("adv_secrets_in_logs").await;
    let web = app.start(Kind::Web, &[]).await;
    let worker = app.start(Kind::Worker, &[]).await;
    let http = &app.http;

    // curl API: upload, download, HEAD, archive, a wrong deletion, the real deletion.
    let put = http
        .put(web.url("/secret-report.txt?x=1"))
        .body("the bytes of a secret report")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let delete_url = put.headers()["x-url-delete"].to_str().unwrap().to_owned();
    let share_url = put.text().await.unwrap().trim().to_owned();
    let path = share_url.splitn(4, '/').nth(3).unwrap().to_owned();
    let token = path.split('/').next().unwrap().to_owned();
    let deletion_token = delete_url.rsplit('/').next().unwrap().to_owned();
    for url in [
        web.url(&format!("/{path}")),
        web.url(&format!("/get/{path}")),
        web.url(&format!("/{token}.zip")),
        web.url(&format!("/s/{token}")),
    ] {
        http.get(url).send().await.unwrap().bytes().await.unwrap();
    }
    http.head(web.url(&format!("/{path}")))
        .send()
        .await
        .unwrap();
    http.delete(web.url(&format!("/{path}/wrong-deletion-token")))
        .send()
        .await
        .unwrap();

    // tus: create, patch, head, and look it up.
    let meta = format!("filename {}", b64(b"tus-secret.bin"));
    let created = http
        .post(web.url("/files/"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let upload_id = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let patch = http
        .patch(web.url(&format!("/files/{upload_id}")))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(vec![7u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::NO_CONTENT);
    http.head(web.url(&format!("/files/{upload_id}")))
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    let deleted = http.delete(delete_url.clone()).send().await.unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());

    // Let the worker run the jobs these requests queued (finish, purge), then read
    // every log line any process wrote.
    eventually(
        "the queued jobs to run",
        Duration::from_secs(30),
        || async {
            let pending = count(
                &app,
                "SELECT count(*) FROM apalis.jobs WHERE status NOT IN ('Done', 'Failed', 'Killed')",
            )
            .await;
            (pending == 0).then_some(())
        },
    )
    .await;
    let logs = format!("{}{}", web.log(), worker.log());
    assert!(logs.contains("HTTP request"), "no access log lines at all");
    assert_absent(&logs, &token, "share token");
    assert_absent(&logs, &deletion_token, "deletion token");
    assert_absent(&logs, &upload_id, "tus upload id");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_served_on_metrics_port_and_not_on_the_public_app_port() {
    let mut app = TestApp::new("adv_metrics_port").await;
    let metrics_port = ferry_dev::services::free_port().to_string();
    let web = app
        .start(Kind::Web, &[("METRICS_PORT", metrics_port.as_str())])
        .await;
    let public = app.http.get(web.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = format!("http://127.0.0.1:{metrics_port}/metrics");
    let text = eventually("metrics on METRICS_PORT", Duration::from_secs(10), || {
        let (http, url) = (app.http.clone(), private.clone());
        async move {
            let text = http.get(url).send().await.ok()?.text().await.ok()?;
            text.contains("ferry_http_requests_total").then_some(text)
        }
    })
    .await;
    assert!(
        text.contains(r#"route="/{name}",method="GET",status="404""#),
        "{text}"
    );
}
