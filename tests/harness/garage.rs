//! A throwaway single-node Garage (S3-compatible object store, 2.x) on loopback, for
//! the suites' S3 mode (`FERRY_TEST_BLOB_STORE=s3`, see `mod.rs`).
//!
//! The recipe is the one in Garage's quick start, scripted: a small `garage.toml`
//! (SQLite metadata, `replication_factor = 1`, every port free and on 127.0.0.1, a
//! random `rpc_secret`), `garage server`, then — once `garage status` answers — the
//! one-time cluster set-up: `layout assign` of the node's id, `layout apply --version
//! 1`, `key create`. Buckets are made per test app with [`Garage::create_bucket`]. The
//! same recipe, as a shell script, is `benches/garage.sh`.
//!
//! Objects are listed with a plain ListObjectsV2 request signed here (AWS SigV4),
//! not through `garage bucket info`: that prints counters Garage updates
//! asynchronously, while a listing is read from the object table itself and names the
//! keys, so a test can assert which objects exist or are gone.

use std::{
    fs,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

/// The region Garage is configured with (`[s3_api] s3_region`), which clients sign with.
pub const REGION: &str = "garage";

/// Name of the access key the harness creates and grants every bucket to.
const KEY_NAME: &str = "ferry-test";

/// How long start-up (server, layout, key) may take before the harness gives up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running single-node Garage and the access key that may use its buckets; the
/// server is killed when dropped.
pub struct Garage {
    /// S3 API base URL, `http://127.0.0.1:PORT` (path-style addressing).
    pub endpoint: String,
    /// Access key id (`GK…`) of the harness's key.
    pub access_key_id: String,
    /// Secret of that key.
    pub secret_access_key: String,
    binary: PathBuf,
    config: PathBuf,
    server: Child,
}

/// The `garage` binary: on `PATH`, else where `cargo install` puts it. Panics with the
/// install command when there is none (tests never skip for a missing tool).
pub fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("garage"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|dir| dir.join("bin").join("garage"));
    on_path
        .chain(cargo_home)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("garage not found: install it with cargo install garage --locked (~8 min)")
        })
}

impl Garage {
    /// Starts Garage with its config, metadata and data in `dir`, lays out the single
    /// node and creates the harness's key. Panics with Garage's own output when a step
    /// fails (its server log is `dir/garage.log`).
    pub fn start(dir: &Path) -> Garage {
        let binary = binary();
        fs::create_dir_all(dir).expect("create Garage's dir");
        let dir = dir.canonicalize().expect("resolve Garage's dir");
        let port = || ferry_dev::services::free_port();
        let (s3_port, rpc_port, admin_port) = (port(), port(), port());
        let config = dir.join("garage.toml");
        fs::write(
            &config,
            format!(
                r#"metadata_dir = "{dir}/meta"
data_dir = "{dir}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
api_bind_addr = "127.0.0.1:{s3_port}"
s3_region = "{REGION}"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
"#,
                dir = dir.display(),
                secret = hex::encode(rand::random::<[u8; 32]>()),
            ),
        )
        .expect("write garage.toml");
        let server = spawn_server(&binary, &config);
        let mut garage = Garage {
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            binary,
            config,
            server,
        };
        garage.wait_until("`garage status` to answer", |g| {
            g.try_cli(&["status"]).is_ok()
        });
        let node_id = garage.cli(&["node", "id", "--quiet"]);
        // `<64 hex>@127.0.0.1:PORT`; `layout assign` takes the id (or a prefix of it).
        let node_id = node_id
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        garage.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node_id]);
        garage.cli(&["layout", "apply", "--version", "1"]);
        garage.wait_until("the S3 API to accept connections", |_| {
            std::net::TcpStream::connect(("127.0.0.1", s3_port)).is_ok()
        });
        let key = garage.cli(&["key", "create", KEY_NAME]);
        garage.access_key_id = table_value(&key, "Key ID");
        garage.secret_access_key = table_value(&key, "Secret key");
        garage
    }

    /// Kills the server with SIGKILL (an outage of the store).
    pub fn kill(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }

    /// Starts the server again on the same data, ports and keys, and waits until its
    /// S3 API answers.
    pub fn restart(&mut self) {
        self.server = spawn_server(&self.binary, &self.config);
        let port: u16 = self
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the endpoint names its port");
        self.wait_until("`garage status` to answer", |g| {
            g.try_cli(&["status"]).is_ok()
        });
        self.wait_until("the S3 API to accept connections", |_| {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Process id of the server (for the harness's exit watchdog).
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    /// Creates `bucket` and lets the harness's key read, write and own it.
    pub fn create_bucket(&self, bucket: &str) {
        self.cli(&["bucket", "create", bucket]);
        self.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", bucket, "--key", KEY_NAME,
        ]);
    }

    /// Runs `garage -c garage.toml args…` and returns its stdout; panics with its output
    /// when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|output| panic!("garage {} failed: {output}", args.join(" ")))
    }

    fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run {}: {e}", self.binary.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "{}\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn wait_until(&mut self, what: &str, ready: impl Fn(&Garage) -> bool) {
        let deadline = Instant::now() + START_TIMEOUT;
        while !ready(self) {
            if let Ok(Some(status)) = self.server.try_wait() {
                panic!(
                    "garage server exited during start-up ({status}); see its log beside {}",
                    self.config.display()
                );
            }
            assert!(
                Instant::now() < deadline,
                "Garage start-up: timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Keys of every object in `bucket`, in key order (ListObjectsV2, all pages).
    pub async fn list_objects(&self, bucket: &str) -> Vec<String> {
        let http = reqwest::Client::new();
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2".to_owned())];
            if let Some(token) = &token {
                query.push(("continuation-token", token.clone()));
            }
            let (url, headers) = self.sign_get(&format!("/{bucket}"), &query);
            let response = http
                .get(&url)
                .headers(headers)
                .send()
                .await
                .unwrap_or_else(|e| panic!("ListObjectsV2 on {bucket}: {e}"));
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert!(
                status.is_success(),
                "ListObjectsV2 on {bucket}: {status}: {body}"
            );
            keys.extend(xml_values(&body, "Key"));
            token = xml_values(&body, "NextContinuationToken")
                .into_iter()
                .next();
            if token.is_none() {
                return keys;
            }
        }
    }

    /// URL and headers of a SigV4-signed GET of `path` (already URI-safe) with
    /// `query`, no body. The signing steps are AWS's, for the `s3` service.
    fn sign_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> (String, reqwest::header::HeaderMap) {
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let host = self.endpoint.trim_start_matches("http://");
        let empty_sha256 = hex::encode(Sha256::digest(b""));
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k), uri_encode(v)))
            .collect();
        pairs.sort();
        let canonical_query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let signed_headers = "host;x-amz-content-sha256;x-amz-date";
        let canonical_request = format!(
            "GET\n{path}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{empty_sha256}\n\
             x-amz-date:{amz_date}\n\n{signed_headers}\n{empty_sha256}"
        );
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let key = [date.as_str(), REGION, "s3", "aws4_request"].iter().fold(
            format!("AWS4{}", self.secret_access_key).into_bytes(),
            |key, part| hmac_sha256(&key, part.as_bytes()).to_vec(),
        );
        let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
        let mut headers = reqwest::header::HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            headers.insert(name, value.parse().expect("a valid header value"));
        };
        set("x-amz-date", amz_date);
        set("x-amz-content-sha256", empty_sha256);
        set(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
                 Signature={signature}",
                self.access_key_id
            ),
        );
        (
            format!("{}{path}?{canonical_query}", self.endpoint),
            headers,
        )
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Starts `garage server` with `config`, its output appended to `garage.log` beside it.
fn spawn_server(binary: &Path, config: &Path) -> Child {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("garage.log"))
        .expect("open Garage's log");
    Command::new(binary)
        .arg("-c")
        .arg(config)
        .arg("server")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone Garage's log handle"))
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()))
}

/// The value of the `name:` row of a table the garage CLI prints (`Key ID:  GK…`).
fn table_value(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix(name)?
                .trim_start()
                .strip_prefix(':')
        })
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| panic!("no `{name}:` in the garage CLI's output:\n{output}"))
}

/// Text of every `<tag>…</tag>` in an S3 XML response, entities decoded.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(value, _)| value))
        .map(|value| {
            value
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

/// SigV4's URI encoding: every byte but `A-Za-z0-9-._~` as `%XX`.
fn uri_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// HMAC-SHA256 (RFC 2104), which SigV4 chains to derive its signing key.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A bucket name for `name` that S3's rules accept everywhere: lowercase letters,
/// digits and `-`, 3 to 63 characters, starting and ending with a letter or digit.
pub fn bucket_name(name: &str) -> String {
    let mut bucket: String = name
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => c,
            _ => '-',
        })
        .collect();
    bucket.truncate(63);
    let bucket = bucket.trim_matches('-').to_owned();
    assert!(
        bucket.len() >= 3,
        "no S3 bucket name can be made of {name:?}"
    );
    bucket
}
