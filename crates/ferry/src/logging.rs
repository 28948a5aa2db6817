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

/// Installs the global subscriber. Call once, first thing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,apalis_postgres=warn,tokio_cron_scheduler=warn")
    });
    // Span close events make one line per HTTP request (the request span carries the
    // request id, route, status and latency) and per job run.
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_span_events(fmt::format::FmtSpan::CLOSE);
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
