//! `ferry`: one binary, one process type per subcommand.
//!
//! ```text
//! ferry web      serve HTTP on $PORT              (scale: request load)
//! ferry worker   run queued jobs                  (scale: queue depth)
//! ferry clock    enqueue scheduled jobs           (any number; each slot once)
//! ferry migrate  apply migrations, then exit      (the release phase)
//! ferry dev      all of the above on a laptop
//! ferry admin    one-off admin tasks
//! ```
//! Configuration comes only from the environment; `ferry <command> --help` lists it.

mod admin;
mod cli;
mod logging;

use std::process::ExitCode;

/// jemalloc instead of glibc's malloc: glibc keeps what many threads freed in per-thread
/// arenas, so a burst of uploads (or password hashes) left a web process at its peak
/// RSS for good. jemalloc's background thread returns freed pages to the OS within
/// seconds.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return cli::exit_for(error),
    };
    logging::init(cli.log_format, cli.rust_log.as_deref());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ferry: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command));
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(error.cause_chain = %format!("{error:#}"), "ferry failed");
            if let Some(setting) = config_error(&error) {
                eprintln!("ferry: configuration error: {setting}");
                return cli::config_exit();
            }
            eprintln!("ferry: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A setting no connection could ever use (a malformed Redis URL, an unreadable CA
/// file), found while building a process: a configuration error like a missing
/// variable, so the same one line and exit code 2.
fn config_error(error: &anyhow::Error) -> Option<&str> {
    let state = error
        .downcast_ref::<ferry_state::Error>()
        .or_else(|| match error.downcast_ref::<ferry_web::Error>()? {
            ferry_web::Error::State(e) => Some(e),
            _ => None,
        })
        .or_else(|| match error.downcast_ref::<ferry_worker::Error>()? {
            ferry_worker::Error::State(e) => Some(e),
            _ => None,
        })
        .or_else(|| match error.downcast_ref::<ferry_clock::Error>()? {
            ferry_clock::Error::State(e) => Some(e),
            _ => None,
        });
    match state? {
        ferry_state::Error::Config(setting) => Some(setting),
        _ => None,
    }
}

/// Runs exactly one process type.
async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Web(config) => {
            let app = ferry_web::Application::build(config)?;
            app.run_until_stopped().await?;
        }
        Command::Worker(config) => {
            let app = ferry_worker::Application::build(config)?;
            app.run_until_stopped().await?;
        }
        Command::Clock(config) => {
            let app = ferry_clock::Application::build(config)?;
            app.run_until_stopped().await?;
        }
        Command::Migrate(connection) => {
            let state = ferry_state::State::connect_lazy(&connection.settings())?;
            state.migrate().await?;
            tracing::info!("migrations applied");
            state.close().await;
        }
        Command::Dev(config) => return Ok(ferry_dev::run(config).await?),
        Command::Admin(command) => admin::run(command).await?,
    }
    Ok(ExitCode::SUCCESS)
}
