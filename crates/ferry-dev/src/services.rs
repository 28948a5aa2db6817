//! Throwaway Postgres and Redis servers, started from the installed server binaries.
//!
//! Debian keeps the Postgres server binaries off `PATH` (`/usr/lib/postgresql/N/bin`);
//! we find them with `pg_config --bindir` or by looking there. Postgres refuses to run
//! as root, so when we are root the cluster is created and run as the `postgres` user.
//! Every server runs in its own process group, so a Ctrl-C aimed at `ferry dev` does
//! not take the databases down before the app processes have drained.

use std::{
    fs,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};

use crate::{Error, Result, io};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A free TCP port on 127.0.0.1 (bound then released; fine for local tools and tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface can bind port 0")
}

/// A server process we started; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    name: &'static str,
    child: Option<Child>,
    command: Command,
    /// Where the server writes its log (named in start-up errors).
    log: PathBuf,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// Connection URL.
    pub url: String,
}

impl Server {
    /// Process id of the running server, if it is running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server gracefully (waiting up to 30 s, then SIGKILL): Redis on
    /// SIGTERM, Postgres on SIGINT, its "fast" shutdown — what `pg_ctl stop` and the
    /// distributions' service units send. (SIGTERM is Postgres' "smart" shutdown, which
    /// waits for every client to disconnect; a Ferry holding pooled connections never
    /// does, so it would always end in the SIGKILL.)
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let signal = if self.name == "postgres" {
                Signal::SIGINT
            } else {
                Signal::SIGTERM
            };
            let _ = kill(Pid::from_raw(child.id() as i32), signal);
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again with the same data directory and port.
    pub fn start(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let child = self
            .command
            .spawn()
            .map_err(io(format!("starting {}", self.name)))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.answers() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(Error::Start(format!(
                    "{} exited during start-up ({status}); {}",
                    self.name,
                    self.log_tail()
                )));
            }
            if Instant::now() > deadline {
                return Err(Error::Start(format!(
                    "{} did not accept connections within 60 s; {}",
                    self.name,
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// "its log (PATH) ends: …" — the last lines, which say why it stopped.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(3).collect();
        let tail: Vec<&str> = lines.into_iter().rev().collect();
        format!(
            "its log ({}) ends: {}",
            self.log.display(),
            tail.join(" / ")
        )
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        match self.name {
            "redis" => {
                let mut buf = [0u8; 16];
                stream.write_all(b"PING\r\n").is_ok()
                    && stream
                        .read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
            }
            // An SSLRequest packet: a running postmaster answers 'S' or 'N'; while it is
            // still starting up, it closes the connection or says nothing.
            _ => {
                let ssl_request = [0u8, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
                let mut buf = [0u8; 1];
                stream.write_all(&ssl_request).is_ok()
                    && stream.read(&mut buf).is_ok_and(|n| n == 1)
                    && self.postgres_accepts_queries()
            }
        }
    }

    fn postgres_accepts_queries(&self) -> bool {
        Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-Atqc",
                "SELECT 1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Directory holding the Postgres server binaries (`initdb`, `postgres`).
pub fn postgres_bindir() -> Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut candidates: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    if let Some(dir) = candidates.into_iter().rev().find(|d| has_server(d)) {
        return Ok(dir);
    }
    if let Ok(path) = which("initdb") {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    Err(Error::Missing(
        "PostgreSQL server binaries (initdb, postgres) not found; apt-get install postgresql"
            .into(),
    ))
}

fn which(binary: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::Missing(format!("{binary} not found on PATH")))
}

/// The uid/gid to run Postgres as: ourselves, or the `postgres` user when we are root.
fn postgres_identity() -> Result<Option<(u32, u32)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io("reading /etc/passwd"))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"postgres") && fields.len() > 3)
                .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
                .flatten()
        })
        .map(Some)
        .ok_or_else(|| {
            Error::Missing(
                "running as root, and there is no `postgres` user to run Postgres as".into(),
            )
        })
}

/// Running as root, Postgres runs as the `postgres` user (`uid`, `gid`), which must be
/// able to enter every directory above its data directory `dir` — a checkout under
/// `/root` (mode 0700) is not. Asked of the system itself: a shell running as that
/// user tries to enter each one, so ACLs and modes count exactly as they will for
/// Postgres. Fails with what to do instead of Postgres' own "permission denied".
fn check_reachable_by(dir: &Path, uid: u32, gid: u32) -> Result<()> {
    let ancestors: Vec<&Path> = dir.ancestors().skip(1).collect();
    let out = Command::new("/bin/sh")
        .args([
            "-c",
            r#"for d in "$@"; do cd "$d" 2>/dev/null || { printf %s "$d"; exit 1; }; done"#,
            "sh",
        ])
        .args(ancestors.iter().rev())
        .uid(uid)
        .gid(gid)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map_err(io("checking that the postgres user can reach the data dir"))?;
    if out.status.success() {
        return Ok(());
    }
    let closed = String::from_utf8_lossy(&out.stdout);
    Err(Error::Start(format!(
        "running as root, ferry dev runs Postgres as the `postgres` user, which cannot \
         enter {closed} (on the way to {}). Run ferry dev as an ordinary user, set \
         FERRY_DATA_DIR to a directory postgres can reach (e.g. /var/tmp/ferry), or open \
         the way: chmod o+x {closed}",
        dir.display()
    )))
}

/// Starts Postgres with its cluster in `dir` (created with `initdb` if missing) on `port`.
pub fn start_postgres(dir: &Path, port: u16) -> Result<Server> {
    let bindir = postgres_bindir()?;
    let identity = postgres_identity()?;
    fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let dir = dir
        .canonicalize()
        .map_err(io(format!("resolving {}", dir.display())))?;
    if let Some((uid, gid)) = identity {
        check_reachable_by(&dir, uid, gid)?;
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(io("chown of the Postgres data dir"))?;
    }
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
        .map_err(io("chmod of the Postgres data dir"))?;
    let as_postgres = |command: &mut Command| {
        if let Some((uid, gid)) = identity {
            command.uid(uid).gid(gid);
        }
    };
    if !dir.join("PG_VERSION").exists() {
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb
            .args(["-D"])
            .arg(&dir)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_postgres(&mut initdb);
        let out = initdb.output().map_err(io("running initdb"))?;
        if !out.status.success() {
            return Err(Error::Start(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
    }
    // A postmaster still running on this data directory (from a `ferry dev` that was
    // killed before it could stop it, or one running now): say so instead of failing
    // later with "exited during start-up". A stale file of a dead one Postgres
    // replaces by itself.
    if let Some(pid) = fs::read_to_string(dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<i32>().ok())
        && kill(Pid::from_raw(pid), None).is_ok()
        && fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
    {
        return Err(Error::Start(format!(
            "a Postgres (pid {pid}) is still running on {}: another `ferry dev` is using \
             this data directory, or an earlier one was killed before it could stop it. \
             Stop it (`kill {pid}`) or use another FERRY_DATA_DIR",
            dir.display()
        )));
    }
    let mut command = Command::new(bindir.join("postgres"));
    command
        .arg("-D")
        .arg(&dir)
        .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
        .arg(&dir)
        .args([
            "-c",
            "fsync=off",
            "-c",
            "max_connections=400",
            "-c",
            "shared_buffers=128MB",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(&dir, "postgres.log")?)
        .process_group(0);
    as_postgres(&mut command);
    let mut server = Server {
        name: "postgres",
        child: None,
        command,
        log: dir.join("postgres.log"),
        port,
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    };
    server.start()?;
    Ok(server)
}

/// Starts a Redis that keeps nothing on disk, on `port`, working in `dir`.
pub fn start_redis(dir: &Path, port: u16) -> Result<Server> {
    start_redis_with(dir, port, false)
}

/// Starts a Redis that keeps its data across restarts (append-only file, fsync on
/// every write) — the "Redis restarted, data kept" case of the chaos tests.
pub fn start_persistent_redis(dir: &Path, port: u16) -> Result<Server> {
    start_redis_with(dir, port, true)
}

fn start_redis_with(dir: &Path, port: u16, persistent: bool) -> Result<Server> {
    let binary = which("redis-server").map_err(|_| {
        Error::Missing("redis-server not found; apt-get install redis-server".into())
    })?;
    fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let dir = dir
        .canonicalize()
        .map_err(io(format!("resolving {}", dir.display())))?;
    let mut command = Command::new(binary);
    command
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            if persistent { "yes" } else { "no" },
            "--appendfsync",
            "always",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(log_file(&dir, "redis.log")?)
        .stderr(Stdio::null())
        .process_group(0);
    let mut server = Server {
        name: "redis",
        child: None,
        command,
        log: dir.join("redis.log"),
        port,
        url: format!("redis://127.0.0.1:{port}"),
    };
    server.start()?;
    Ok(server)
}

fn log_file(dir: &Path, name: &str) -> Result<Stdio> {
    let path = dir.join(name);
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io(format!("opening {}", path.display())))?;
    // Postgres (running as `postgres`) must be able to write it, too.
    let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
    Ok(Stdio::from(file))
}
