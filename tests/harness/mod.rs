//! Test harness: runs the real `ferry` binary as child processes against real
//! Postgres and Redis.
//!
//! Backing services: `DATABASE_URL`/`REDIS_URL` when set (CI, a developer's machine),
//! otherwise throwaway servers started once per test binary from the installed server
//! binaries. Isolation: every [`TestApp`] gets its own database (created from the
//! admin URL, dropped afterwards) and its own Redis key prefix.
//!
//! Redis mode: `FERRY_TEST_REDIS=cluster` runs every [`TestApp`] on a Redis Cluster —
//! its processes get `REDIS_CLUSTER_URLS` instead of `REDIS_URL`. The cluster is the
//! one named by `REDIS_CLUSTER_URLS` when that is set, otherwise three throwaway
//! masters started once per test binary (`cluster.rs`). Unset (or `node`): one Redis,
//! as above. Tests that bring a Redis of their own ([`TestApp::with_services`]), to
//! stop and restart it, stay on that single node in both modes.
//!
//! Blob store mode: `FERRY_TEST_BLOB_STORE=s3` runs every [`TestApp`] on S3 — a
//! single-node Garage started once per test binary (`garage.rs`; the `garage` binary
//! must be installed: `cargo install garage --locked`). Every app gets a bucket of its
//! own, named after its database, and its processes get `BLOB_STORE=s3` and the
//! `S3_*`/`AWS_*` settings; [`TestApp::with_services`] apps too, since the store is not
//! one of the services a test stops. [`TestApp::s3_objects`] lists what is in the
//! app's bucket. Unset (or `postgres`): the default store, blob chunks in Postgres.
//! Buckets are not emptied or removed after a test: the whole Garage, data and all, is
//! removed when the test binary exits.
//!
//! Logs of the child processes go to `target/test-logs/<test>/<process>.log`, and also
//! to the terminal when `TEST_LOG=1`.
//!
//! Write a new test with the helpers the suites share rather than spelling the
//! requests out again (`duplicates` run over `tests/` shows where a test repeats
//! another):
//! - starting: [`TestApp::with_web`], [`TestApp::with_webs`] (N web processes),
//!   [`TestApp::with_web_and_worker`], [`smtp::app_with_mail`], [`TestApp::start`],
//!   [`TestApp::start_clock`]; `ferry admin`: [`TestApp::admin`]; accounts:
//!   [`TestApp::make_admin`], [`TestApp::confirm_email`];
//! - requests: [`http::Exchange`] (`.answer()`, `.answer_text()`, `.try_answer()` for
//!   polls), [`TestApp::get`], [`TestApp::get_range`], [`TestApp::head`]; what came
//!   back: [`http::header_text`], [`http::retry_after`], [`http::cookie_pair`];
//! - waiting: [`eventually`], [`count_eventually`], [`counts_eventually`],
//!   [`blobs_come_to`], [`files_finished`]; what the database holds: [`count`],
//!   [`assert_counts`];
//! - the curl API: [`curl::put`] (with headers), [`curl::put_chunked`], [`curl::link`],
//!   [`curl::share`], [`curl::post_files`] (multipart, with [`data::files_form`]),
//!   [`curl::delete`], [`curl::path_of`], [`curl::token_of`];
//! - tus: [`tus::announce`], [`tus::create`], [`tus::create_with_upload`],
//!   [`tus::create_stalled`], [`tus::head`], [`tus::patch`];
//! - pages: [`browser::browser`], [`browser::page`], [`browser::register`] (sign-up
//!   asserted), [`browser::sign_up`], [`browser::sign_in`], [`browser::sign_out`],
//!   [`browser::post_form`], [`browser::press`] (a CSRF-only form),
//!   [`browser::choose_language`], [`browser::draft_upload`], [`browser::add_to_draft`],
//!   [`browser::draft_file`], [`browser::send_draft`], [`browser::send_fields`],
//!   [`browser::sent_token`];
//! - file requests: [`browser::create_file_request`], [`requests::owner_with_request`];
//! - processes and files: [`succeeded`] (a command's exit), [`unique_temp_path`];
//! - Chromium: [`browser::chromium_tests_dir`], [`browser::run_chromium_script`],
//!   [`browser::script_succeeded`], [`browser::screenshot_dir`].

#![allow(dead_code)]

pub mod browser;
pub mod clamd;
pub mod cluster;
pub mod curl;
pub mod data;
pub mod garage;
pub mod http;
pub mod requests;
pub mod rig;
pub mod smtp;
pub mod tls;
pub mod tokens;
pub mod tus;

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use self::http::Exchange;
use ferry_dev::services;
use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use sqlx::{Connection, PgConnection, PgPool};

/// Path of the binary under test (built by cargo for this test target).
pub const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// A session secret good enough for tests (every web process of a test shares it).
pub const SESSION_SECRET: &str = "test-secret-test-secret-test-secret-test-secret-0123456789";

struct Backing {
    admin_url: String,
    /// The single Redis; in cluster mode, the cluster's first node.
    redis_url: String,
    /// Cluster mode: the cluster's node URLs.
    redis_cluster: Option<Vec<String>>,
    _servers: Vec<services::Server>,
    _cluster: Option<cluster::Cluster>,
}

/// Whether the suites run on a Redis Cluster (`FERRY_TEST_REDIS=cluster`).
pub fn cluster_mode() -> bool {
    match std::env::var("FERRY_TEST_REDIS").as_deref() {
        Ok("cluster") => true,
        Ok("node") | Ok("") | Err(_) => false,
        Ok(other) => panic!("FERRY_TEST_REDIS={other:?}: expected `node` or `cluster`"),
    }
}

/// The blob store the suites run on: `postgres` (the default) or `s3`
/// (`FERRY_TEST_BLOB_STORE`), as `BLOB_STORE` names it.
pub fn blob_store_mode() -> &'static str {
    match std::env::var("FERRY_TEST_BLOB_STORE").as_deref() {
        Ok("s3") => "s3",
        Ok("postgres") | Ok("") | Err(_) => "postgres",
        Ok(other) => panic!("FERRY_TEST_BLOB_STORE={other:?}: expected `postgres` or `s3`"),
    }
}

/// Whether the suites run on S3 (a Garage started by the harness).
pub fn s3_mode() -> bool {
    blob_store_mode() == "s3"
}

static BACKING: OnceLock<Backing> = OnceLock::new();

static GARAGE: OnceLock<garage::Garage> = OnceLock::new();

/// The test binary's Garage, started on first use: in S3 mode by every app, otherwise
/// by the tests that need a bucket besides Postgres ([`TestApp::attach_s3_bucket`]).
fn shared_garage() -> &'static garage::Garage {
    GARAGE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ferry-test-garage-{}", std::process::id()));
        let garage = garage::Garage::start(&dir);
        reap_on_exit(&[garage.pid()], &dir);
        garage
    })
}

fn backing() -> &'static Backing {
    BACKING.get_or_init(|| {
        let database_url = std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty());
        let redis_url = std::env::var("REDIS_URL").ok().filter(|v| !v.is_empty());
        let dir = std::env::temp_dir().join(format!("ferry-test-services-{}", std::process::id()));
        let mut servers = Vec::new();
        let admin_url = database_url.unwrap_or_else(|| {
            let started = services::start_postgres(&dir.join("postgres"), services::free_port());
            throwaway(
                &mut servers,
                started,
                "no DATABASE_URL, and a throwaway Postgres",
            )
        });
        let mut cluster = None;
        let (redis_url, redis_cluster) = if cluster_mode() {
            let urls: Vec<String> = match std::env::var("REDIS_CLUSTER_URLS") {
                Ok(urls) if !urls.trim().is_empty() => {
                    urls.split(',').map(|u| u.trim().to_owned()).collect()
                }
                _ => {
                    let started = cluster::Cluster::start(&dir.join("redis-cluster"));
                    let urls = started.urls.clone();
                    cluster = Some(started);
                    urls
                }
            };
            (urls[0].clone(), Some(urls))
        } else {
            let url = redis_url.unwrap_or_else(|| {
                let started = services::start_redis(&dir.join("redis"), services::free_port());
                throwaway(&mut servers, started, "no REDIS_URL, and a throwaway Redis")
            });
            (url, None)
        };
        // Statics are never dropped: a watchdog stops our servers when this test
        // process exits, however it exits.
        let mut pids: Vec<u32> = servers.iter().filter_map(services::Server::pid).collect();
        pids.extend(cluster.iter().flat_map(cluster::Cluster::pids));
        if !pids.is_empty() {
            reap_on_exit(&pids, &dir);
        }
        Backing {
            admin_url,
            redis_url,
            redis_cluster,
            _servers: servers,
            _cluster: cluster,
        }
    })
}

/// The URL of a throwaway server the harness `started`, which joins `servers` (kept
/// for the test binary's life); a server that could not be started fails the test,
/// `what` saying which.
fn throwaway(
    servers: &mut Vec<services::Server>,
    started: ferry_dev::Result<services::Server>,
    what: &str,
) -> String {
    let server = started.unwrap_or_else(|e| panic!("{what} could not be started: {e}"));
    let url = server.url.clone();
    servers.push(server);
    url
}

fn reap_on_exit(pids: &[u32], dir: &std::path::Path) {
    let pids = pids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let script = format!(
        "while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill -TERM {pids} 2>/dev/null; \
         for i in $(seq 50); do kill -0 {pids} 2>/dev/null || break; sleep 0.2; done; \
         kill -KILL {pids} 2>/dev/null; rm -rf '{dir}'",
        parent = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

use std::os::unix::process::CommandExt;

/// Replaces the database name in a Postgres URL.
fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("DATABASE_URL is a URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// Uploads `body` with `curl -T`'s request (`PUT url`) and returns the path of the
/// download URL Ferry answers with (`/<id>/<name>`).
pub async fn put_file(url: &str, body: Vec<u8>) -> String {
    let answer = reqwest::Client::new().put(url).body(body).answer().await;
    assert_eq!(answer.status(), reqwest::StatusCode::OK, "PUT {url}");
    let download = answer.text().await.unwrap();
    curl::path_of(&download)
}

/// A path under the system's temporary directory that no other call (in this or any
/// test process) gets: `ferry-{name}-{uuid}`. Not created: a service started there
/// makes it, or the caller does.
pub fn unique_temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ferry-{name}-{}", uuid::Uuid::new_v4().simple()))
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `sql` (a `SELECT count(*) …`, as [`count`] runs it) every 100 ms until
/// `done` holds for its value, and returns that value; panics naming `what` after
/// `timeout`.
pub async fn count_eventually(
    app: &TestApp,
    what: &str,
    timeout: Duration,
    sql: &str,
    done: impl Fn(i64) -> bool,
) -> i64 {
    let [n] = counts_eventually(app, what, timeout, [sql], |[n]| done(n)).await;
    n
}

/// Like [`count_eventually`] for a condition on several counts at once: polls every
/// one of `queries` until `done` holds for their values (in order), and returns them.
pub async fn counts_eventually<const N: usize>(
    app: &TestApp,
    what: &str,
    timeout: Duration,
    queries: [&str; N],
    done: impl Fn([i64; N]) -> bool,
) -> [i64; N] {
    eventually(what, timeout, || async {
        let mut counts = [0; N];
        for (n, sql) in counts.iter_mut().zip(queries) {
            *n = count(app, sql).await;
        }
        done(counts).then_some(counts)
    })
    .await
}

/// Asserts that a finished command (`what`) exited 0, with its output and errors as
/// the failure's message; what it printed on stdout.
pub fn succeeded(what: &str, out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a `SELECT count(*) …` (or any single-bigint query) against the app's database.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&app.pg)
        .await
        .unwrap()
}

/// Asserts what the app's database holds: for each `(query, expected)`, that the
/// count `query` returns ([`count`]) is `expected`; a failure names the query.
pub async fn assert_counts(app: &TestApp, expected: &[(&str, i64)]) {
    for (sql, n) in expected {
        assert_eq!(count(app, sql).await, *n, "{sql}");
    }
}

/// Waits up to `timeout` until the app stores exactly `n` blobs: the bytes of
/// refused, cut or abandoned uploads have been given back (or the uploads under way
/// have begun to store theirs).
pub async fn blobs_come_to(app: &TestApp, n: i64, timeout: Duration) {
    let what = format!("the app to store {n} blobs");
    count_eventually(app, &what, timeout, "SELECT count(*) FROM blobs", |blobs| {
        blobs == n
    })
    .await;
}

/// Waits up to `timeout` until the worker has finished every file of the app (each
/// one's type sniffed and recorded: `files.ready`).
pub async fn files_finished(app: &TestApp, timeout: Duration) {
    eventually("the worker to finish every file", timeout, || async {
        let unready: i64 = sqlx::query_scalar("SELECT count(*) FROM files WHERE NOT ready")
            .fetch_one(&app.pg)
            .await
            .ok()?;
        (unready == 0).then_some(())
    })
    .await;
}

/// The process types the harness can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Web,
    Worker,
    Clock,
}

impl Kind {
    fn command(self) -> &'static str {
        match self {
            Kind::Web => "web",
            Kind::Worker => "worker",
            Kind::Clock => "clock",
        }
    }
}

/// One running `ferry` child process.
pub struct Process {
    pub kind: Kind,
    pub name: String,
    child: Child,
    log: PathBuf,
    /// Bound HTTP port (web only).
    pub port: u16,
}

impl Process {
    /// OS process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory of the process so far, in KiB (`VmHWM` in /proc).
    pub fn peak_rss_kib(&self) -> u64 {
        fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kb| kb.parse().ok())
            })
            .unwrap_or(0)
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (does not wait).
    pub fn terminate(&self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Base URL of a web process.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// One test's Ferry deployment: its own database and Redis prefix, and the processes
/// it started.
pub struct TestApp {
    pub name: String,
    admin_url: String,
    pub database: String,
    pub database_url: String,
    /// The app's single Redis; in cluster mode, the cluster's first node (so
    /// `redis-cli -c -u` works), while its processes get `REDIS_CLUSTER_URLS`.
    pub redis_url: String,
    /// Cluster mode: every node of the cluster the app's processes use.
    pub redis_cluster_urls: Option<Vec<String>>,
    pub redis_prefix: String,
    pub pg: PgPool,
    pub http: reqwest::Client,
    log_dir: PathBuf,
    counter: usize,
    /// S3 mode: the app's own bucket, which its processes keep blobs in.
    pub s3_bucket: Option<String>,
    /// Variables of [`TestApp::env`] this app's processes do not get (to test defaults).
    pub unset_env: Vec<&'static str>,
}

impl TestApp {
    /// Creates a fresh database and migrates it with `ferry migrate`.
    pub async fn new(test: &str) -> TestApp {
        Self::with_services(test, None, None).await
    }

    /// Like [`TestApp::new`], with a Postgres (admin URL) and/or Redis of the test's own,
    /// e.g. ones it will stop and restart.
    pub async fn with_services(
        test: &str,
        postgres_url: Option<String>,
        redis_url: Option<String>,
    ) -> TestApp {
        let backing = backing();
        let admin_url = postgres_url.unwrap_or_else(|| backing.admin_url.clone());
        let id = uuid::Uuid::new_v4().simple().to_string();
        let database = format!("ferry_test_{}", &id[..16]);
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to the admin database");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let database_url = with_database(&admin_url, &database);
        let s3_bucket = s3_mode().then(|| {
            let bucket = garage::bucket_name(&database);
            shared_garage().create_bucket(&bucket);
            bucket
        });
        let log_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("test-logs")
            .join(test);
        let _ = fs::remove_dir_all(&log_dir);
        fs::create_dir_all(&log_dir).expect("create the log dir");
        let app = TestApp {
            name: test.to_owned(),
            admin_url,
            database,
            database_url: database_url.clone(),
            redis_cluster_urls: match &redis_url {
                Some(_) => None,
                None => backing.redis_cluster.clone(),
            },
            redis_url: redis_url.unwrap_or_else(|| backing.redis_url.clone()),
            redis_prefix: format!("test:{}:", &id[..16]),
            pg: PgPool::connect(&database_url)
                .await
                .expect("connect to the test database"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            log_dir,
            counter: 0,
            s3_bucket,
            unset_env: Vec::new(),
        };
        let out = app
            .command(&["migrate"], &[])
            .output()
            .expect("run ferry migrate");
        assert!(
            out.status.success(),
            "ferry migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        app
    }

    /// A fresh app ([`TestApp::new`]) serving through one web process, started with
    /// `extra` on top of the suites' settings and ready.
    pub async fn with_web(test: &str, extra: &[(&str, &str)]) -> (TestApp, Process) {
        let mut app = Self::new(test).await;
        let web = app.start(Kind::Web, extra).await;
        (app, web)
    }

    /// A fresh app ([`TestApp::new`]) serving through `N` web processes, each started
    /// with `extra` on top of the suites' settings and ready: the deployment for what
    /// must hold across processes.
    pub async fn with_webs<const N: usize>(
        test: &str,
        extra: &[(&str, &str)],
    ) -> (TestApp, [Process; N]) {
        let mut app = Self::new(test).await;
        let mut webs = Vec::with_capacity(N);
        for _ in 0..N {
            webs.push(app.start(Kind::Web, extra).await);
        }
        let webs: [Process; N] = webs
            .try_into()
            .unwrap_or_else(|_| unreachable!("{N} web processes were started"));
        (app, webs)
    }

    /// A fresh app ([`TestApp::new`]) with one web process and one worker, both with
    /// the default settings: the smallest deployment that serves and finishes uploads.
    pub async fn with_web_and_worker(test: &str) -> (TestApp, Process, Process) {
        let mut app = Self::new(test).await;
        let web = app.start(Kind::Web, &[]).await;
        let worker = app.start(Kind::Worker, &[]).await;
        (app, web, worker)
    }

    /// `GET url` with the app's client: the answer as it came.
    pub async fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.get(url).answer().await
    }

    /// `GET url` with `Range: range` (e.g. `bytes=100-`) with the app's client: the
    /// answer as it came.
    pub async fn get_range(&self, url: impl reqwest::IntoUrl, range: &str) -> reqwest::Response {
        self.http
            .get(url)
            .header(reqwest::header::RANGE, range)
            .answer()
            .await
    }

    /// Marks the account `email` an administrator, as `ferry admin` would.
    pub async fn make_admin(&self, email: &str) {
        self.update_user("UPDATE users SET is_admin = true WHERE email = $1", email)
            .await;
    }

    /// Marks the address of the account `email` confirmed, as following the link of
    /// its verification mail would (the mail suite proves the link itself).
    pub async fn confirm_email(&self, email: &str) {
        self.update_user(
            "UPDATE users SET email_verified_at = now() WHERE email = $1",
            email,
        )
        .await;
    }

    /// Runs `sql` (an `UPDATE users … WHERE email = $1`) for the account `email`,
    /// asserting that there is one.
    async fn update_user(&self, sql: &'static str, email: &str) {
        let updated = sqlx::query(sql)
            .bind(email)
            .execute(&self.pg)
            .await
            .expect("update the account");
        assert_eq!(updated.rows_affected(), 1, "no account {email}");
    }

    /// `HEAD url` with the app's client: the answer as it came.
    pub async fn head(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.head(url).answer().await
    }

    /// The settings a process of this app builds its `State` from (the app's database
    /// and Redis prefix, Postgres blobs, no scanning, no quota); tests change a field
    /// with `Settings { pg_pool_size: 1, ..app.state_settings() }`.
    pub fn state_settings(&self) -> ferry_state::Settings {
        ferry_state::Settings {
            database_url: self.database_url.clone().into(),
            redis: self.redis_target(),
            pg_pool_size: 5,
            redis_ca_cert: None,
            redis_pool_size: 4,
            redis_key_prefix: self.redis_prefix.clone(),
            blobs: Default::default(),
            scan_new_files: false,
            default_user_quota: None,
        }
    }

    /// The Redis this app's processes use, as the state crate takes it.
    pub fn redis_target(&self) -> ferry_state::RedisTarget {
        match &self.redis_cluster_urls {
            Some(urls) => {
                ferry_state::RedisTarget::Cluster(urls.iter().map(|u| u.clone().into()).collect())
            }
            None => ferry_state::RedisTarget::Node(self.redis_url.clone().into()),
        }
    }

    /// URLs of the Redis servers this app's keys live on: the single Redis, or every
    /// node of the cluster.
    pub fn redis_nodes(&self) -> Vec<String> {
        self.redis_cluster_urls
            .clone()
            .unwrap_or_else(|| vec![self.redis_url.clone()])
    }

    /// Every Redis key under this app's prefix, on the single Redis or on every node
    /// of the cluster.
    pub fn redis_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for node in self.redis_nodes() {
            let out = Command::new("redis-cli")
                .args(["-u", &node, "--scan", "--pattern"])
                .arg(format!("{}*", self.redis_prefix))
                .output()
                .expect("redis-cli");
            assert!(out.status.success(), "redis-cli --scan failed on {node}");
            keys.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            );
        }
        keys
    }

    /// Gives this app a bucket even when the suites run on Postgres (in S3 mode it has
    /// one already): its processes get the bucket's settings but keep the mode's
    /// `BLOB_STORE`, as a deployment that can read and move blobs in both stores.
    pub fn attach_s3_bucket(&mut self) {
        if self.s3_bucket.is_none() {
            let bucket = garage::bucket_name(&format!("attached-{}", self.database));
            shared_garage().create_bucket(&bucket);
            self.s3_bucket = Some(bucket);
        }
    }

    /// Keys of every object in the app's bucket (S3 mode, or after
    /// [`TestApp::attach_s3_bucket`]), read from the store itself with a ListObjectsV2
    /// request, so an object is listed as soon as its upload completed and not after
    /// it was deleted.
    pub async fn s3_objects(&self) -> Vec<String> {
        let bucket = self.s3_bucket.as_deref().expect(
            "s3_objects: the app has no bucket (FERRY_TEST_BLOB_STORE=s3, or attach_s3_bucket)",
        );
        shared_garage().list_objects(bucket).await
    }

    /// The blob store settings of this app's processes: the bucket's endpoint, region
    /// and key when it has one, and `BLOB_STORE=s3` in S3 mode; none otherwise.
    fn blob_store_env(&self) -> Vec<(&'static str, String)> {
        let Some(bucket) = &self.s3_bucket else {
            return Vec::new();
        };
        let garage = shared_garage();
        let mut env = Vec::new();
        if s3_mode() {
            env.push(("BLOB_STORE", "s3".to_owned()));
        }
        env.extend([
            ("S3_ENDPOINT", garage.endpoint.clone()),
            ("S3_BUCKET", bucket.clone()),
            ("S3_REGION", garage::REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", garage.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", garage.secret_access_key.clone()),
        ]);
        env
    }

    /// The environment every process of this app gets.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let redis = match &self.redis_cluster_urls {
            Some(urls) => ("REDIS_CLUSTER_URLS", urls.join(",")),
            None => ("REDIS_URL", self.redis_url.clone()),
        };
        let blob_store = self.blob_store_env();
        vec![
            ("DATABASE_URL", self.database_url.clone()),
            redis,
            ("REDIS_KEY_PREFIX", self.redis_prefix.clone()),
            ("SESSION_SECRET", SESSION_SECRET.to_owned()),
            ("PORT", "0".to_owned()),
            ("BIND_ADDRESS", "127.0.0.1".to_owned()),
            ("PG_POOL_SIZE", "5".to_owned()),
            ("WEB_CONCURRENCY", "1".to_owned()),
            ("WORKER_HEARTBEAT", "1s".to_owned()),
            ("MISSED_HEARTBEATS", "3".to_owned()),
            ("RETRY_BACKOFF_MIN", "100ms".to_owned()),
            ("RETRY_BACKOFF_MAX", "1s".to_owned()),
            ("SHUTDOWN_TIMEOUT", "10".to_owned()),
            ("RUST_LOG", "info,ferry_state=debug".to_owned()),
            // The suites drive jobs and sessions through the test-only endpoints; the
            // adversarial suite removes it to prove a default deployment has none.
            ("FERRY_TEST_ENDPOINTS", "true".to_owned()),
            // Every test client is 127.0.0.1: one "client address" for the whole suite,
            // so the per-client limits on storage are raised out of the way (the
            // adversarial suite sets its own).
            ("MAX_UPLOADS_PER_CLIENT", "100000".to_owned()),
            ("UPLOADS_PER_CLIENT_PER_HOUR", "1000000".to_owned()),
            ("UPLOAD_BYTES_PER_CLIENT_PER_DAY", "1000TiB".to_owned()),
            ("MAX_DAYS_ANONYMOUS", "3650".to_owned()),
            // Ports are picked at start (PORT=0), so links follow the request's Host.
            ("PUBLIC_URL_FROM_REQUEST", "true".to_owned()),
        ]
        .into_iter()
        .chain(blob_store)
        .filter(|(key, _)| !self.unset_env.contains(key))
        .collect()
    }

    /// A `ferry` command with this app's environment (and `extra` on top).
    pub fn command(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut command = Command::new(FERRY);
        command.args(args).env_clear();
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        for (key, value) in self.env() {
            command.env(key, value);
        }
        for (key, value) in extra {
            command.env(key, value);
        }
        command
    }

    /// Starts a clock that enqueues on `schedules` (`CLOCK_SCHEDULES`, e.g.
    /// `purge-expired=* * * * * *`) instead of the default schedules.
    pub async fn start_clock(&mut self, schedules: &str) -> Process {
        self.start(Kind::Clock, &[("CLOCK_SCHEDULES", schedules)])
            .await
    }

    /// Runs `ferry admin args…` with this app's environment, asserts that it succeeded
    /// (its stderr in the failure's message) and returns what it printed on stdout.
    pub fn admin(&self, args: &[&str]) -> String {
        let out = self
            .command(&[&["admin"], args].concat(), &[])
            .output()
            .expect("run ferry admin");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "ferry admin {args:?} failed: {stderr}"
        );
        String::from_utf8(out.stdout).expect("ferry admin prints UTF-8")
    }

    /// Starts a process of `kind`; for web, waits until it serves `/healthz`.
    pub async fn start(&mut self, kind: Kind, extra: &[(&str, &str)]) -> Process {
        self.counter += 1;
        let name = format!("{}-{}", kind.command(), self.counter);
        let log = self.log_dir.join(format!("{name}.log"));
        let file = fs::File::create(&log).expect("create a process log");
        let mut command = self.command(&[kind.command()], extra);
        command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = command.spawn().expect("spawn ferry");
        if std::env::var("TEST_LOG").as_deref() == Ok("1") {
            let log = log.clone();
            let name = name.clone();
            tokio::spawn(async move { tail(name, log).await });
        }
        let mut process = Process {
            kind,
            name,
            child,
            log,
            port: 0,
        };
        if kind == Kind::Web {
            process.port = eventually("web to log its port", Duration::from_secs(30), || {
                let log = process.log();
                async move { listening_port(&log) }
            })
            .await;
            let url = process.url("/healthz");
            let http = self.http.clone();
            eventually("web to answer /healthz", Duration::from_secs(30), || {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    http.get(&url)
                        .send()
                        .await
                        .ok()
                        .filter(|r| r.status().is_success())
                }
            })
            .await;
        }
        process
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Processes are dropped (killed) by their owners; drop the database last.
        let admin_url = self.admin_url.clone();
        let database = self.database.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await;
                }
            });
        })
        .join();
    }
}

fn listening_port(log: &str) -> Option<u16> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|v| v["message"] == "web listening")
        .and_then(|v| v["port"].as_u64())
        .map(|p| p as u16)
}

async fn tail(name: String, log: PathBuf) {
    let mut offset = 0;
    loop {
        if let Ok(text) = fs::read_to_string(&log)
            && text.len() > offset
        {
            for line in text[offset..].lines() {
                eprintln!("{name} | {line}");
            }
            offset = text.len();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
