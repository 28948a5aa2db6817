//! Logs: JSON lines on stdout (one event per line, for the platform's log router),
//! or human-readable with `LOG_FORMAT=pretty`. Levels come from `RUST_LOG`.

use tracing_subscriber::{EnvFilter, fmt};

/// Output format of log lines.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// What is logged when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,sqlx=warn,apalis_postgres=warn,tokio_cron_scheduler=warn";

/// Checks a `RUST_LOG` value, so a typo stops start-up instead of silently logging
/// the default.
pub fn parse_filter(value: &str) -> Result<String, String> {
    EnvFilter::builder()
        .parse(value)
        .map(|_| value.to_owned())
        .map_err(|e| format!("not a log filter ({e}); e.g. info or info,ferry_state=debug"))
}

/// Installs the global subscriber with `filter` (`RUST_LOG`, already checked) or the
/// default. Call once, first thing.
pub fn init(format: LogFormat, filter: Option<&str>) {
    let filter = filter
        .and_then(|f| EnvFilter::builder().parse(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    // No span-close lines: their message was always "close", with durations as
    // strings, and one per job run is a cost at thousands of jobs a second. Requests
    // log one "request" event each (ferry-web's telemetry); a job run logs
    // "task.done" at debug and a failure at error (apalis' trace layer). Every event
    // carries its span's fields (request id, route, client address; task id).
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stdout);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Pretty => builder.compact().init(),
    }
}
