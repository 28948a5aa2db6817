//! `ferry admin …`: one-off admin processes against the same configuration.

use clap::Subcommand;
use ferry_process::ConnectionArgs;
use ferry_state::State;

/// Admin tasks.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Live processes of every type (the platform's `ps`), from their heartbeats.
    Ps(ConnectionArgs),
    /// Job counts per queue and status.
    Queues(ConnectionArgs),
    /// Job queue inspection and repair.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Stored bytes.
    #[command(subcommand)]
    Blobs(BlobsCommand),
    /// Transfers (abuse handling).
    #[command(subcommand)]
    Transfers(TransfersCommand),
    /// The audit log: every admin action (web and CLI), newest first, as JSON lines.
    Audit {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// At most this many.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=100_000))]
        limit: i64,
    },
}

/// `ferry admin transfers …`
#[derive(Subcommand, Debug)]
pub enum TransfersCommand {
    /// One transfer, whatever its state, as JSON: files, sizes, SHA-256, limits,
    /// uploader, whether it is live.
    Show {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The share token (the first path segment of its links).
        token: String,
    },
    /// Take a transfer down: its links are 404 at once and its bytes are freed before
    /// the command returns (downloads in progress are cut).
    Delete {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The share token.
        token: String,
    },
}

/// `ferry admin blobs …`
#[derive(Subcommand, Debug)]
pub enum BlobsCommand {
    /// Move every stored file's bytes into one store (after switching BLOB_STORE),
    /// while Ferry keeps serving: reads use the old store until a blob has moved.
    /// Resumable and idempotent: run it again after an interruption. Prints progress
    /// as JSON lines.
    Migrate {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The store to move blobs into.
        #[arg(long, value_parser = ["s3", "postgres"])]
        to: String,
        /// Blobs per batch (one progress line each).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
        /// How long an old copy is kept after its blob moved, so downloads already
        /// reading it finish; the retention sweep (or a later run) frees it.
        #[arg(long, default_value = "1h", value_parser = ferry_process::parse_duration)]
        grace: std::time::Duration,
    },
    /// Free, now, every stored blob that nothing refers to and whose bytes have not
    /// changed for `--older-than` (what the worker's retention sweep does on its
    /// schedule): bytes left by interrupted uploads or failed jobs.
    Sweep {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Leave blobs changed more recently than this alone (an upload may still be
        /// writing them).
        #[arg(long, default_value = "1h", value_parser = ferry_process::parse_duration)]
        older_than: std::time::Duration,
    },
}

/// `ferry admin users …`
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Let a user see the operations view at /admin.
    MakeAdmin {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The user's e-mail address.
        email: String,
    },
    /// Every account, oldest first, as JSON lines.
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// At most this many.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
    /// Delete an account and take down every transfer it owns (links 404 at once,
    /// bytes freed before the command returns).
    Delete {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The user's e-mail address.
        email: String,
    },
    /// Make an account (how accounts arrive when SIGNUP=closed) with a random
    /// password, printed once; `--admin` makes it an admin too.
    Create {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The new user's e-mail address.
        email: String,
        /// Also let them open /admin.
        #[arg(long)]
        admin: bool,
    },
    /// Give an account a storage quota of its own (`10GB`, `500MiB`), or `default` for
    /// DEFAULT_USER_QUOTA again. Lowering it deletes nothing: it refuses new transfers.
    SetQuota {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The user's e-mail address.
        email: String,
        /// A size, or `default`.
        quota: String,
    },
    /// Give an account a new random password, printed once. Sign-ins already open
    /// stay open until they end (SESSION_TTL, SESSION_ABSOLUTE_TTL).
    ResetPassword {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The user's e-mail address.
        email: String,
    },
}

/// `ferry admin jobs …`
#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Job counts per queue and status, as JSON lines.
    Queues(ConnectionArgs),
    /// Jobs that used all their attempts, as JSON lines.
    Dead(ConnectionArgs),
    /// Queue one no-op `ferry.demo` job (for benchmarks and drills); prints its id.
    Demo {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Key its effect is recorded under (`job_effects.job_key`).
        #[arg(long)]
        key: String,
        /// How long the job "works", in milliseconds.
        #[arg(long, default_value_t = 0)]
        work_ms: u64,
        /// How many attempts fail before one succeeds.
        #[arg(long, default_value_t = 0)]
        fail_attempts: u32,
        /// Attempts before the job is dead.
        #[arg(long, default_value_t = 5)]
        max_attempts: usize,
    },
    /// Give a dead job a fresh set of attempts.
    Retry {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Task id (from `ferry admin jobs dead`).
        id: String,
    },
}

impl AdminCommand {
    /// Where the task connects to: every admin task takes the same settings.
    fn connection(&self) -> &ConnectionArgs {
        match self {
            AdminCommand::Ps(connection)
            | AdminCommand::Queues(connection)
            | AdminCommand::Audit { connection, .. }
            | AdminCommand::Users(
                UsersCommand::MakeAdmin { connection, .. }
                | UsersCommand::List { connection, .. }
                | UsersCommand::Delete { connection, .. }
                | UsersCommand::ResetPassword { connection, .. }
                | UsersCommand::SetQuota { connection, .. }
                | UsersCommand::Create { connection, .. },
            )
            | AdminCommand::Blobs(
                BlobsCommand::Migrate { connection, .. } | BlobsCommand::Sweep { connection, .. },
            )
            | AdminCommand::Transfers(
                TransfersCommand::Show { connection, .. }
                | TransfersCommand::Delete { connection, .. },
            )
            | AdminCommand::Jobs(
                JobsCommand::Queues(connection)
                | JobsCommand::Dead(connection)
                | JobsCommand::Demo { connection, .. }
                | JobsCommand::Retry { connection, .. },
            ) => connection,
        }
    }
}

/// Runs one admin task; prints results on stdout.
pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    let state = State::connect_lazy(&command.connection().settings())?;
    // The use cases, for the tasks that need no policy of their own.
    let service = || ferry_core::Service::new(state.clone(), ferry_core::Policy::default());
    match command {
        AdminCommand::Ps(_) => {
            let processes = state.live_processes().await?;
            println!(
                "{:<8} {:<56} {:<10} {:>8}  {:<20} LAST SEEN",
                "TYPE", "ID", "VERSION", "PID", "STARTED"
            );
            for p in &processes {
                println!(
                    "{:<8} {:<56} {:<10} {:>8}  {:<20} {}s ago",
                    p.kind,
                    p.id,
                    p.version,
                    p.pid,
                    p.started_at.format("%Y-%m-%d %H:%M:%S"),
                    (chrono::Utc::now() - p.last_seen).num_seconds()
                );
            }
            let count = |kind: &str| processes.iter().filter(|p| p.kind == kind).count();
            println!(
                "web={} worker={} clock={}",
                count("web"),
                count("worker"),
                count("clock")
            );
        }
        AdminCommand::Audit { limit, .. } => {
            for entry in state.audit_entries(limit).await? {
                println!("{}", serde_json::to_string(&entry)?);
            }
        }
        AdminCommand::Queues(_) | AdminCommand::Jobs(JobsCommand::Queues(_)) => {
            for depth in state.queue_depths().await? {
                println!("{}", serde_json::to_string(&depth)?);
            }
        }
        AdminCommand::Users(UsersCommand::MakeAdmin { email, .. }) => {
            if !service().set_admin(&actor(), &email, true).await? {
                anyhow::bail!("no user with e-mail {email}");
            }
            println!("{email} can now open /admin");
        }
        AdminCommand::Blobs(BlobsCommand::Migrate {
            to, batch, grace, ..
        }) => {
            let to = ferry_state::StoreKind::parse(&to).expect("clap allows only s3 or postgres");
            let service = service();
            let done = service
                .migrate_blobs(to, batch, grace, |progress| {
                    if let Ok(line) = serde_json::to_string(progress) {
                        println!("{line}");
                    }
                })
                .await?;
            if done.left > 0 {
                anyhow::bail!(
                    "{} blobs are still outside {to} (changed during the run); run it again",
                    done.left
                );
            }
            println!("{{\"done\":true,\"to\":\"{to}\",\"moved\":{}}}", done.moved);
        }
        AdminCommand::Transfers(TransfersCommand::Show { token, .. }) => {
            let service = service();
            let Some(status) = service.transfer_status(&token).await? else {
                anyhow::bail!("no transfer with token {token}");
            };
            println!("{}", serde_json::to_string(&transfer_json(&status))?);
        }
        AdminCommand::Transfers(TransfersCommand::Delete { token, .. }) => {
            let service = service();
            if !service.take_down(&actor(), &token).await? {
                anyhow::bail!("no transfer with token {token}");
            }
            println!(
                "{}",
                serde_json::json!({ "deleted": token, "purged": true })
            );
        }
        AdminCommand::Users(UsersCommand::List { limit, .. }) => {
            let service = service();
            for user in service.users(limit).await? {
                println!("{}", serde_json::to_string(&user)?);
            }
        }
        AdminCommand::Users(UsersCommand::Delete { email, .. }) => {
            let service = service();
            let Some(transfers) = service.delete_user(&actor(), &email).await? else {
                anyhow::bail!("no user with e-mail {email}");
            };
            println!(
                "{}",
                serde_json::json!({ "deleted": email, "transfers_taken_down": transfers })
            );
        }
        AdminCommand::Users(UsersCommand::Create { email, admin, .. }) => {
            let email = email.trim().to_lowercase();
            if !ferry_core::mail::plausible_email(&email) {
                anyhow::bail!("{email:?} is not an e-mail address");
            }
            let service = service();
            let password = new_password(&email)?;
            if !service
                .create_user(&actor(), &email, &hash_password(&password)?)
                .await?
            {
                anyhow::bail!("an account with e-mail {email} already exists");
            }
            if admin {
                service.set_admin(&actor(), &email, true).await?;
            }
            println!(
                "{}",
                serde_json::json!({ "email": email, "password": password.expose(), "admin": admin })
            );
        }
        AdminCommand::Users(UsersCommand::SetQuota { email, quota, .. }) => {
            let quota = match quota.trim() {
                "default" => None,
                size => Some(
                    ferry_process::parse_size(size)
                        .map_err(|e| anyhow::anyhow!("QUOTA {size:?}: {e}"))?,
                ),
            };
            if !service().set_user_quota(&actor(), &email, quota).await? {
                anyhow::bail!("no user with e-mail {email}");
            }
            println!(
                "{}",
                serde_json::json!({ "email": email, "quota_bytes": quota })
            );
        }
        AdminCommand::Users(UsersCommand::ResetPassword { email, .. }) => {
            let service = service();
            let password = new_password(&email)?;
            if !service
                .reset_password(&actor(), &email, &hash_password(&password)?)
                .await?
            {
                anyhow::bail!("no user with e-mail {email}");
            }
            println!(
                "{}",
                serde_json::json!({ "email": email, "password": password.expose() })
            );
        }
        AdminCommand::Blobs(BlobsCommand::Sweep { older_than, .. }) => {
            let service = service();
            let freed = service.sweep_orphan_blobs(older_than, 500).await?;
            println!("{}", serde_json::json!({ "orphan_blobs_freed": freed }));
        }
        AdminCommand::Jobs(JobsCommand::Dead(_)) => {
            for job in state.dead_jobs().await? {
                println!("{}", serde_json::to_string(&job)?);
            }
        }
        AdminCommand::Jobs(JobsCommand::Demo {
            key,
            work_ms,
            fail_attempts,
            max_attempts,
            ..
        }) => {
            let policy = ferry_core::Policy {
                job_max_attempts: max_attempts,
                ..ferry_core::Policy::default()
            };
            let service = ferry_core::Service::new(state.clone(), policy);
            let id = service.enqueue_demo(key, work_ms, fail_attempts).await?;
            println!("{{\"id\":{id:?}}}");
        }
        AdminCommand::Jobs(JobsCommand::Retry { id, .. }) => {
            let service = service();
            match service.retry_dead_job(&actor(), &id).await {
                Ok(()) => println!("{{\"retried\":{id:?}}}"),
                Err(ferry_core::Error::NotFound) => anyhow::bail!("no dead job with id {id}"),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Who runs this admin task, for the audit log: `cli:` and the operating-system user
/// (`$USER`, else `$LOGNAME`), as the shell or `kubectl exec` set it.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

/// What `ferry admin transfers show` prints.
fn transfer_json(status: &ferry_state::transfer::TransferStatus) -> serde_json::Value {
    let t = &status.transfer;
    serde_json::json!({
        "token": t.token,
        "live": status.live,
        "deleted_at": status.deleted_at,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "downloads": t.downloads,
        "max_downloads": t.max_downloads,
        "password": t.password_hash.is_some(),
        "owner": status.owner_email,
        "files": t.files.iter().map(|f| serde_json::json!({
            "name": f.name,
            "size": f.size,
            "content_type": f.content_type,
            "sha256": hex::encode(&f.sha256),
            "ready": f.ready,
            "downloads": f.downloads,
        })).collect::<Vec<_>>(),
    })
}

/// A new random password for `email`: 128 bits from the OS, URL-safe base64 (22
/// characters), checked by the same rule as a sign-up (it always passes: zxcvbn scores
/// such a string 4, and no list holds it).
fn new_password(email: &str) -> anyhow::Result<ferry_core::AccountPassword> {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    ferry_core::AccountPassword::parse(&password, email)
        .map_err(|weak| anyhow::anyhow!("the generated password was refused: {weak}"))
}

/// argon2id with the argon2 crate's default parameters, the ones the web process
/// uses, so the web verifies it like a hash it made itself.
fn hash_password(password: &ferry_core::AccountPassword) -> anyhow::Result<String> {
    use argon2::{
        Argon2, PasswordHasher,
        password_hash::{SaltString, rand_core::OsRng},
    };
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the new password: {e}"))
}
