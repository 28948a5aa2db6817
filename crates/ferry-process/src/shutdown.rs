//! How a process learns it must stop: SIGTERM (the platform's stop), SIGINT (Ctrl-C)
//! or SIGHUP (its terminal closed), all meaning "finish what you are doing, then exit
//! 0".

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};

/// Installs the SIGTERM, SIGINT and SIGHUP handlers now, and returns a future that
/// resolves when one arrives (logging which).
///
/// The handlers are in place when this returns, so a stop request that arrives during
/// start-up (before the future is first polled) is kept, not lost, and does not kill
/// the process the default way. Call it first thing, inside the Tokio runtime.
///
/// Fails only if the handlers cannot be installed.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "stop requested; shutting down gracefully"),
            _ = int.recv() => tracing::info!(signal = "SIGINT", "stop requested; shutting down gracefully"),
            _ = hup.recv() => tracing::info!(signal = "SIGHUP", "terminal closed; shutting down gracefully"),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_signal_sent_before_the_future_is_polled_is_not_lost() {
        let stop = shutdown_signal().unwrap();
        // SIGINT to ourselves: with the handler installed the process lives on.
        std::process::Command::new("kill")
            .args(["-INT", &std::process::id().to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), stop)
            .await
            .expect("the stop future resolves");
    }
}
