//! The command line: one subcommand per process type, every setting also an env var.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, error::ContextKind, error::ErrorKind};

use crate::{admin::AdminCommand, logging::LogFormat};

/// Ferry: a file drop that scales out.
#[derive(Parser, Debug)]
#[command(name = "ferry", version, about, propagate_version = true)]
pub struct Cli {
    /// Log line format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "json",
        global = true
    )]
    pub log_format: LogFormat,
    /// Which log lines to print: a level (`info`, the default; `debug`, `warn`) or
    /// per target (`info,ferry_state=debug,sqlx=warn`), in tracing-subscriber's
    /// EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", global = true, value_parser = crate::logging::parse_filter)]
    pub rust_log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The process types (and one-off tasks).
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve HTTP on $PORT.
    Web(ferry_web::Config),
    /// Run queued jobs.
    Worker(ferry_worker::Config),
    /// Enqueue scheduled jobs (run any number; each slot is enqueued once).
    Clock(ferry_clock::Config),
    /// Apply database migrations and exit (the release phase).
    Migrate(ferry_process::ConnectionArgs),
    /// Run web, worker and clock locally, starting Postgres and Redis if needed.
    Dev(ferry_dev::Config),
    /// One-off admin tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// Exit code for bad configuration.
const CONFIG_EXIT: u8 = 2;

/// The exit of a configuration error found after parsing (see `main::config_error`).
pub fn config_exit() -> ExitCode {
    ExitCode::from(CONFIG_EXIT)
}

/// Turns a clap error into the process exit: help and version print as usual; a
/// configuration error becomes one line on stderr naming the variable, exit code 2.
pub fn exit_for(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    eprintln!("ferry: configuration error: {}", describe(&error));
    ExitCode::from(CONFIG_EXIT)
}

/// One line naming the environment variable behind the failing argument.
fn describe(error: &clap::Error) -> String {
    let arg = error.get(ContextKind::InvalidArg).map(|v| v.to_string());
    let variable = arg.as_deref().and_then(variable_of);
    let value = error.get(ContextKind::InvalidValue).map(|v| v.to_string());
    match (error.kind(), variable, arg) {
        (ErrorKind::MissingRequiredArgument, Some(Variable { name: var, .. }), _) => {
            format!("{var} is not set (required)")
        }
        (ErrorKind::ArgumentConflict, Some(Variable { name: var, .. }), _) => {
            let prior = error
                .get(ContextKind::PriorArg)
                .map(|v| v.to_string())
                .and_then(|arg| variable_of(&arg))
                .map_or_else(|| "another setting".to_owned(), |v| v.name);
            format!("{var} and {prior} are both set; set only one of them")
        }
        (_, Some(Variable { name: var, secret }), _) => {
            // clap renders "invalid value 'V' for '--arg <ARG>': REASON"; keep REASON
            // only, so a secret's value never reaches the logs.
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            let reason = first
                .rsplit_once(">': ")
                .map_or(first.trim_start_matches("error: "), |(_, reason)| reason);
            let shown = if secret {
                "…".to_owned()
            } else {
                value.unwrap_or_default()
            };
            format!("{var}={shown:?} is invalid: {reason}")
        }
        _ => error
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid command line")
            .trim_start_matches("error: ")
            .to_owned(),
    }
}

/// The environment variable behind an argument.
struct Variable {
    /// `DATABASE_URL`.
    name: String,
    /// Declared with `hide_env_values` (URLs with credentials, `SESSION_SECRET`): its
    /// value is never printed.
    secret: bool,
}

/// Maps a rendered argument (`--database-url <DATABASE_URL>`) to its env var, wherever
/// the argument is declared (flattened `CommonArgs`/`ConnectionArgs` included).
fn variable_of(rendered: &str) -> Option<Variable> {
    let long = rendered.trim_start_matches("--").split([' ', '=']).next()?;
    let root = Cli::command();
    let mut commands = vec![&root];
    while let Some(command) = commands.pop() {
        for arg in command.get_arguments() {
            if arg.get_long() == Some(long)
                && let Some(env) = arg.get_env()
            {
                return Some(Variable {
                    name: env.to_string_lossy().into_owned(),
                    secret: arg.is_hide_env_values_set(),
                });
            }
        }
        commands.extend(command.get_subcommands());
    }
    None
}
