//! A real SMTP server for the mail tests: `tests/smtp/server.py` on aiosmtpd (Debian
//! `python3-aiosmtpd`; `scripts/test` installs it). Every message it accepts is a
//! file in its directory; [`SmtpServer::messages`] reads them back. It can be
//! stopped and started again on the same port (mail jobs then retry).

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use super::{Kind, Process, TestApp};

/// The sender the suites' deployments mail from (`MAIL_FROM`).
pub const MAIL_FROM: &str = "Ferry <files@ferry.test>";

/// A fresh app ([`TestApp::new`]) with a web process and a worker that send mail
/// through `smtp` from [`MAIL_FROM`] (so the mail pages exist), both started with
/// `extra` on top.
pub async fn app_with_mail(
    test: &str,
    smtp: &SmtpServer,
    extra: &[(&str, &str)],
) -> (TestApp, Process, Process) {
    let mut app = TestApp::new(test).await;
    let url = smtp.url();
    let mut env = vec![("SMTP_URL", url.as_str()), ("MAIL_FROM", MAIL_FROM)];
    env.extend_from_slice(extra);
    let web = app.start(Kind::Web, &env).await;
    let worker = app.start(Kind::Worker, &env).await;
    (app, web, worker)
}

/// How to install what the server needs.
pub const INSTALL: &str = "apt-get install -y python3-aiosmtpd";

/// A Python that imports aiosmtpd: `python3` on PATH, else Debian's own.
fn python() -> &'static str {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate;
        }
    }
    panic!("the mail tests need aiosmtpd: {INSTALL}")
}

/// One received message.
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope's recipients (`RCPT TO`), as the server saw them.
    pub envelope_to: Vec<String>,
    /// The message as it arrived (headers and body, CR LF).
    pub raw: String,
}

impl Received {
    /// The header block (everything before the first empty line).
    pub fn headers(&self) -> &str {
        self.raw.split("\r\n\r\n").next().unwrap_or("")
    }

    /// The value of the first header `name` (unfolded), if any.
    pub fn header(&self, name: &str) -> Option<String> {
        let unfolded = self.headers().replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// `Message-ID`.
    pub fn message_id(&self) -> String {
        self.header("Message-ID")
            .expect("every message has a Message-ID")
    }

    /// The body with quoted-printable soft line breaks undone (links are whole).
    pub fn body(&self) -> String {
        let body = self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        body.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The first `…{path}TOKEN` link in the body, whole (`path` like `/reset/`).
    pub fn link(&self, path: &str) -> Option<String> {
        let body = self.body();
        let at = body.find(path)?;
        let start = body[..at].rfind("http")?;
        let end = at
            + path.len()
            + body[at + path.len()..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(body.len() - at - path.len());
        Some(body[start..end].to_owned())
    }
}

/// The SMTP server process and where it keeps messages.
pub struct SmtpServer {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl SmtpServer {
    /// Starts a server on a free port, keeping messages in a fresh directory.
    pub fn start(name: &str) -> SmtpServer {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("test-smtp")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the SMTP server's directory");
        let mut server = SmtpServer {
            port: ferry_dev::services::free_port(),
            dir,
            child: None,
        };
        server.resume();
        server
    }

    /// `SMTP_URL` for this server (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGKILL): connections are refused until [`SmtpServer::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, keeping what it received.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the SMTP server is running already");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smtp/server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the SMTP server's first line");
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        self.child = Some(child);
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.join(name)).unwrap();
                let (first, raw) = text.split_once("\r\n").unwrap();
                Received {
                    envelope_to: first
                        .trim_start_matches("X-Test-Envelope-To: ")
                        .split(',')
                        .map(str::to_owned)
                        .collect(),
                    raw: raw.to_owned(),
                }
            })
            .collect()
    }

    /// The messages to `address`, once there are at least `n` (panics after `timeout`).
    pub async fn wait_for(&self, address: &str, n: usize, timeout: Duration) -> Vec<Received> {
        super::eventually(&format!("{n} message(s) to {address}"), timeout, || async {
            let to: Vec<Received> = self
                .messages()
                .into_iter()
                .filter(|m| m.envelope_to.iter().any(|t| t == address))
                .collect();
            (to.len() >= n).then_some(to)
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
