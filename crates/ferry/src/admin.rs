//! `ferry admin …`: one-off admin processes against the same configuration.

use clap::Subcommand;
use ferry_state::{Settings, State};

/// Admin tasks.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Job queue inspection and repair.
    #[command(subcommand)]
    Jobs(JobsCommand),
}

/// `ferry admin jobs …`
#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Job counts per queue and status, as JSON lines.
    Queues(Settings),
    /// Jobs that used all their attempts, as JSON lines.
    Dead(Settings),
    /// Give a dead job a fresh set of attempts.
    Retry {
        #[command(flatten)]
        settings: Settings,
        /// Task id (from `ferry admin jobs dead`).
        id: String,
    },
}

/// Runs one admin task; prints results on stdout.
pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Jobs(JobsCommand::Queues(settings)) => {
            let state = State::connect_lazy(&settings)?;
            for depth in state.queue_depths().await? {
                println!("{}", serde_json::to_string(&depth)?);
            }
        }
        AdminCommand::Jobs(JobsCommand::Dead(settings)) => {
            let state = State::connect_lazy(&settings)?;
            for job in state.dead_jobs().await? {
                println!("{}", serde_json::to_string(&job)?);
            }
        }
        AdminCommand::Jobs(JobsCommand::Retry { settings, id }) => {
            let state = State::connect_lazy(&settings)?;
            if state.retry_dead_job(&id).await? {
                println!("{{\"retried\":{id:?}}}");
            } else {
                anyhow::bail!("no dead job with id {id}");
            }
        }
    }
    Ok(())
}
