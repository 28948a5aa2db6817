//! `ferry dev`: one command for a laptop.
//!
//! If `DATABASE_URL`/`REDIS_URL` are unset it starts Postgres and Redis with their data
//! under `.ferry/`, runs `ferry migrate`, then runs `ferry web`, `ferry worker` and
//! `ferry clock` as separate child processes — exactly the process model of the
//! Procfile — with each output line prefixed by the process name. Ctrl-C, SIGTERM or
//! SIGHUP (the terminal closed) sends SIGTERM to every child and waits for them to
//! drain; a child that dies on its own stops the rest, and `ferry dev` exits non-zero.
//!
//! Nothing it started outlives it. Its children run in process groups of their own (so
//! a Ctrl-C reaches the app processes through `ferry dev`, in order, and the databases
//! last), which also means a SIGKILL of `ferry dev` would orphan them: a watchdog
//! (`sh`, in a group of its own) polls `ferry dev` every second and, once it is gone,
//! sends SIGTERM to every process group it started, then SIGKILL 10 s later. Linux's
//! `PR_SET_PDEATHSIG` would need `pre_exec`, which is unsafe code, and the workspace
//! forbids it.
//!
//! Local defaults: web binds 127.0.0.1 (`BIND_ADDRESS` to change it), logs are pretty
//! when stdout is a terminal (`LOG_FORMAT` to change it), Redis keeps its data in an
//! append-only file under the data directory (drafts survive a restart, as the upload
//! page promises), and the generated session secret is readable by its owner only.

use std::{
    io::{IsTerminal, Write},
    os::unix::{fs::OpenOptionsExt, fs::PermissionsExt, process::CommandExt},
    path::PathBuf,
    process::{ExitCode, Stdio},
    time::Duration,
};

use ferry_process::{parse_duration, postgres_url, redis_url};
use nix::{
    sys::signal::{Signal, kill},
    unistd::Pid,
};
use rand::{Rng, distr::Alphanumeric};
use secrecy::{ExposeSecret, SecretString};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{Error, Result, io, services};

/// Settings of `ferry dev`. The URLs and `SHUTDOWN_TIMEOUT` accept exactly what the
/// children accept (the same parsers, from `ferry-process`), so a bad value fails here,
/// with the same message, before anything is started.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Use this Postgres instead of starting one under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = postgres_url)]
    pub database_url: Option<SecretString>,
    /// Use this Redis instead of starting one.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_parser = redis_url)]
    pub redis_url: Option<SecretString>,
    /// Where local Postgres data and generated dev secrets live.
    #[arg(long, env = "FERRY_DATA_DIR", default_value = ".ferry")]
    pub data_dir: PathBuf,
    /// Port of the web process.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// How long each child gets to drain after Ctrl-C (passed to web, worker and clock;
    /// each is killed if still running 5 s later).
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "25", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

const PROCESS_TYPES: [&str; 3] = ["web", "worker", "clock"];

/// Runs the local stack until Ctrl-C/SIGTERM or until a child fails.
pub async fn run(config: Config) -> Result<ExitCode> {
    let stop = ferry_process::shutdown_signal().map_err(io("installing signal handlers"))?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(io(format!("creating {}", config.data_dir.display())))?;

    // Backing services: the given ones, or our own under the data directory.
    let mut servers = Vec::new();
    let database_url = match &config.database_url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            let pg =
                services::start_postgres(&config.data_dir.join("postgres"), services::free_port())?;
            let url = pg.url.clone();
            eprintln!(
                "dev    | Postgres started: {url} (data in {})",
                config.data_dir.join("postgres").display()
            );
            servers.push(pg);
            url
        }
    };
    let redis_url = match &config.redis_url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            let redis = services::start_persistent_redis(
                &config.data_dir.join("redis"),
                services::free_port(),
            )?;
            let url = redis.url.clone();
            eprintln!("dev    | Redis started: {url}");
            servers.push(redis);
            url
        }
    };
    let session_secret = match std::env::var("SESSION_SECRET") {
        Ok(secret) => secret,
        Err(_) => dev_session_secret(&config)?,
    };
    let ferry = std::env::current_exe().map_err(io("locating the ferry binary"))?;
    // In a form every child parses back to the same duration.
    let shutdown_timeout = format!("{}ms", config.shutdown_timeout.as_millis());
    let bind_address = std::env::var("BIND_ADDRESS").unwrap_or_else(|_| "127.0.0.1".into());
    let log_format = std::env::var("LOG_FORMAT").unwrap_or_else(|_| {
        if std::io::stdout().is_terminal() {
            "pretty"
        } else {
            "json"
        }
        .into()
    });
    let env = |command: &mut Command| {
        command
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", &redis_url)
            .env("SESSION_SECRET", &session_secret)
            .env("PORT", config.port.to_string())
            .env("BIND_ADDRESS", &bind_address)
            .env("LOG_FORMAT", &log_format)
            .env("SHUTDOWN_TIMEOUT", &shutdown_timeout);
        // On a laptop the links follow the address in the browser (localhost, or the
        // machine's name on the network with BIND_ADDRESS=0.0.0.0).
        if std::env::var_os("PUBLIC_URL").is_none() {
            command.env("PUBLIC_URL_FROM_REQUEST", "true");
        }
    };

    let mut migrate = Command::new(&ferry);
    migrate.arg("migrate");
    env(&mut migrate);
    let status = migrate
        .status()
        .await
        .map_err(io("running ferry migrate"))?;
    if !status.success() {
        return Err(Error::Start(format!("ferry migrate failed: {status}")));
    }

    let mut children: Vec<(&str, Child)> = Vec::new();
    for process_type in PROCESS_TYPES {
        let mut command = Command::new(&ferry);
        command
            .arg(process_type)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        env(&mut command);
        let mut child = command
            .spawn()
            .map_err(io(format!("starting ferry {process_type}")))?;
        prefix_lines(process_type, child.stdout.take());
        prefix_lines(process_type, child.stderr.take());
        children.push((process_type, child));
    }
    let mut groups: Vec<u32> = servers.iter().filter_map(services::Server::pid).collect();
    groups.extend(children.iter().filter_map(|(_, child)| child.id()));
    let mut watchdog = reap_when_gone(&groups)?;

    // Wait for a signal, or for any child to exit on its own; say where Ferry is once
    // the web process answers there.
    let announce = tokio::spawn(announce_when_listening(config.port));
    let failed = tokio::select! {
        () = stop => None,
        exited = first_exit(&mut children) => Some(exited),
    };
    announce.abort();
    if let Some((name, status)) = &failed {
        eprintln!("dev    | ferry {name} exited ({status}); stopping the others");
    } else {
        eprintln!("dev    | stopping: SIGTERM to web, worker and clock");
    }
    let grace = config.shutdown_timeout + Duration::from_secs(5);
    for (name, child) in &mut children {
        if let Some(pid) = child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        match tokio::time::timeout(grace, child.wait()).await {
            Ok(Ok(status)) => eprintln!("dev    | ferry {name} stopped ({status})"),
            _ => {
                eprintln!("dev    | ferry {name} did not stop in time; killing it");
                let _ = child.kill().await;
            }
        }
    }
    drop(servers);
    // Everything it watched has stopped; it must not outlive us and kill reused pids.
    let _ = watchdog.kill();
    let _ = watchdog.wait();
    Ok(if failed.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints where Ferry is once something accepts connections on the web port (not
/// before: the port may be taken, and then web says so and exits).
async fn announce_when_listening(port: u16) {
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            eprintln!(
                "dev    | Ferry is running on http://127.0.0.1:{port} — Ctrl-C stops everything"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the watchdog of the module docs for the process groups `groups`.
fn reap_when_gone(groups: &[u32]) -> Result<std::process::Child> {
    // `-PGID` names a process group (dash's kill takes no `--`). `ferry dev` counts as
    // gone once it is a zombie too: its parent may never reap it.
    let targets: Vec<String> = groups.iter().map(|g| format!("-{g}")).collect();
    let targets = targets.join(" ");
    let script = format!(
        "state() {{ cut -d' ' -f3 /proc/{dev}/stat 2>/dev/null; }}; \
         while s=$(state) && [ -n \"$s\" ] && [ \"$s\" != Z ]; do sleep 1; done; \
         kill -TERM {targets} 2>/dev/null; sleep 10; kill -KILL {targets} 2>/dev/null",
        dev = std::process::id()
    );
    std::process::Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(io("starting the watchdog (sh)"))
}

async fn first_exit(children: &mut [(&'static str, Child)]) -> (&'static str, String) {
    loop {
        for (name, child) in children.iter_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return (name, status.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn prefix_lines(
    name: &'static str,
    stream: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>,
) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{name:<6} | {line}");
        }
    });
}

/// A per-checkout session secret, generated once and kept in the data directory.
fn dev_session_secret(config: &Config) -> Result<String> {
    let path = config.data_dir.join("session_secret");
    if let Ok(secret) = std::fs::read_to_string(&path)
        && secret.trim().len() >= 32
    {
        // One written by an older version may be world-readable.
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        return Ok(secret.trim().to_owned());
    }
    let secret: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    // Owner-only: it signs every session cookie of this checkout's Ferry.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(io(format!("writing {}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(io(format!("chmod 600 {}", path.display())))?;
    file.write_all(secret.as_bytes())
        .map_err(io(format!("writing {}", path.display())))?;
    Ok(secret)
}
