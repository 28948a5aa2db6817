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
            | AdminCommand::Users(UsersCommand::MakeAdmin { connection, .. })
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
        AdminCommand::Queues(_) | AdminCommand::Jobs(JobsCommand::Queues(_)) => {
            for depth in state.queue_depths().await? {
                println!("{}", serde_json::to_string(&depth)?);
            }
        }
        AdminCommand::Users(UsersCommand::MakeAdmin { email, .. }) => {
            if !state.set_admin(&email, true).await? {
                anyhow::bail!("no user with e-mail {email}");
            }
            println!("{email} can now open /admin");
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
            let service = ferry_core::Service::new(state, policy);
            let id = service.enqueue_demo(key, work_ms, fail_attempts).await?;
            println!("{{\"id\":{id:?}}}");
        }
        AdminCommand::Jobs(JobsCommand::Retry { id, .. }) => {
            let service = ferry_core::Service::new(state, ferry_core::Policy::default());
            match service.retry_dead_job(&id).await {
                Ok(()) => println!("{{\"retried\":{id:?}}}"),
                Err(ferry_core::Error::NotFound) => anyhow::bail!("no dead job with id {id}"),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
