//! The `worker` process type: runs queued jobs, at-least-once.
//!
//! Guarantees:
//! - every start of a worker process gets a fresh identity
//!   (`worker-{pid}-{host}-{ulid}`, see `ferry_process::Identity`), so a restarted
//!   worker is never mistaken for, or refused as, its dead predecessor;
//! - a job held by a worker that dies without a word (SIGKILL, OOM, power loss) is
//!   re-queued by any live worker once the dead one has missed `MISSED_HEARTBEATS`
//!   heartbeats (defaults: 3 × 5 s, so well within 30 s);
//! - on SIGTERM the worker stops fetching, finishes running jobs for up to
//!   `SHUTDOWN_TIMEOUT`, hands unstarted ones back, and exits 0.

mod config;
mod finish;
mod handlers;
mod mail;
mod scan;
mod thumbnail;

use std::time::Duration;

use apalis::layers::retry::{
    HasherRng, RetryPolicy, backoff::ExponentialBackoffMaker, backoff::MakeBackoff,
};
use apalis::prelude::*;
use ferry_process::{Identity, Kind};
use ferry_state::{
    State,
    jobs::{
        BUNDLE_QUEUE, BuildBundle, CRON_QUEUE, CronTick, DEMO_QUEUE, DemoJob, FINISH_QUEUE,
        FinishFile, MAIL_QUEUE, PURGE_QUEUE, PurgeTransfer, SCAN_ATTEMPTS, SCAN_QUEUE, ScanFile,
    },
    mail::SendMail,
};

pub use config::Config;
pub use thumbnail::Thumbnails;

/// What job handlers need beyond the service: the attempts a job gets (to count
/// deaths) and the thumbnail settings, with the process's memory budget for them
/// (shared by every clone).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Attempts per job.
    pub max_attempts: usize,
    /// Which images get a thumbnail, and the memory they may take at once.
    pub thumbnails: Thumbnails,
}

/// Errors that stop a worker process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Postgres or Redis could not be set up.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
    /// The worker monitor failed.
    #[error("worker failed: {0}")]
    Worker(String),
}

/// Result of the worker crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configured, not yet running worker process.
pub struct Application {
    config: Config,
    state: State,
    identity: Identity,
    mailer: Option<mail::Mailer>,
}

impl Application {
    /// Prepares the worker; does not connect yet.
    pub fn build(config: Config) -> Result<Application> {
        // A live worker's row must outlive the gap between its heartbeats, or the sweep
        // could delete it under the worker (and orphan recovery would lose track).
        let dead_after = config.worker_heartbeat * u32::from(config.missed_heartbeats);
        if config.retain_workers < dead_after {
            return Err(Error::State(ferry_state::Error::Config(format!(
                "RETAIN_WORKERS must be at least WORKER_HEARTBEAT × MISSED_HEARTBEATS ({dead_after:?})"
            ))));
        }
        let mailer = mail::Mailer::new(&config.mail, config.smtp_timeout)
            .map_err(|e| Error::State(ferry_state::Error::Config(e)))?;
        let state = State::connect_lazy(&config.common.settings())?;
        Ok(Application {
            identity: Identity::new(Kind::Worker),
            config,
            state,
            mailer,
        })
    }

    /// This process's worker identity (unique per process start).
    pub fn identity(&self) -> &str {
        self.identity.id()
    }

    /// Runs jobs until SIGTERM/SIGINT, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> Result<()> {
        // Listen for SIGTERM before doing anything else, so a stop request that arrives
        // during start-up is honoured rather than lost.
        let stop = ferry_process::shutdown_signal()
            .map_err(|e| Error::Worker(format!("cannot install signal handlers: {e}")))?;
        let stop = async {
            stop.await;
            tracing::info!("finishing running jobs");
            Ok::<(), std::io::Error>(())
        };
        let Application {
            config,
            state,
            identity,
            mailer,
        } = self;
        let settings = config.queue_settings();
        tracing::info!(worker = %identity, concurrency = config.worker_concurrency, "worker starting");

        let concurrency = usize::from(config.worker_concurrency);
        let retries = usize::from(config.common.job_max_attempts.saturating_sub(1));
        let backoff = (config.retry_backoff_min, config.retry_backoff_max);
        let limits = Limits {
            max_attempts: usize::from(config.common.job_max_attempts),
            thumbnails: Thumbnails::new(
                config.thumbnail_memory,
                config.thumbnail_max_pixels,
                config.thumbnail_max_bytes,
            ),
        };
        let service = ferry_core::Service::with_housekeeping(
            state.clone(),
            ferry_core::Policy {
                job_max_attempts: usize::from(config.common.job_max_attempts),
                password_reset_ttl: config.mail.password_reset_ttl,
                verification_ttl: config.mail.verification_link_ttl,
                ..ferry_core::Policy::default()
            },
            ferry_core::Housekeeping {
                purge_batch: config.purge_batch,
                purge_grace: config.purge_grace,
                retention: config.retention_policy(),
            },
        );

        // One apalis worker per queue, each under a name never used before, all woken
        // by one LISTEN connection.
        let wakeups = state.job_wakeups();
        macro_rules! queue_worker {
            ($monitor:expr, $queue:expr, $job:ty, $handler:expr) => {{
                let (state, settings, limits) = (state.clone(), settings.clone(), limits.clone());
                let wakeups = wakeups.clone();
                let service = service.clone();
                let name = format!("{identity}/{}", $queue);
                $monitor.register(move |restarts| {
                    WorkerBuilder::new(format!("{name}#{restarts}"))
                        .backend(state.queue_backend::<$job>($queue, &settings, &wakeups))
                        .concurrency(concurrency)
                        .retry(retry_policy(retries, backoff))
                        .catch_panic()
                        .enable_tracing()
                        .data(state.clone())
                        .data(service.clone())
                        .data(limits.clone())
                        .build($handler)
                })
            }};
        }
        let monitor = Monitor::new();
        let monitor = queue_worker!(monitor, DEMO_QUEUE, DemoJob, handlers::demo);
        let monitor = queue_worker!(monitor, CRON_QUEUE, CronTick, handlers::cron_tick);
        let monitor = queue_worker!(monitor, FINISH_QUEUE, FinishFile, handlers::finish_file);
        let monitor = queue_worker!(monitor, BUNDLE_QUEUE, BuildBundle, handlers::build_bundle);
        let monitor = queue_worker!(
            monitor,
            PURGE_QUEUE,
            PurgeTransfer,
            handlers::purge_transfer
        );
        // Mail jobs only where there is an SMTP server to send them to; without one
        // they wait in the queue (and the web offers no e-mail feature).
        let monitor = match &mailer {
            Some(mailer) => {
                let mailer = mailer.clone();
                let (state, settings, limits) = (state.clone(), settings.clone(), limits.clone());
                let (wakeups, service) = (wakeups.clone(), service.clone());
                let name = format!("{identity}/{MAIL_QUEUE}");
                monitor.register(move |restarts| {
                    WorkerBuilder::new(format!("{name}#{restarts}"))
                        .backend(state.queue_backend::<SendMail>(MAIL_QUEUE, &settings, &wakeups))
                        .concurrency(concurrency)
                        .retry(retry_policy(retries, backoff))
                        .catch_panic()
                        .enable_tracing()
                        .data(service.clone())
                        .data(mailer.clone())
                        .data(limits.clone())
                        .build(handlers::send_mail)
                })
            }
            None => monitor,
        };
        // Scan jobs only where there is a clamd; without one they wait (and the files
        // stay pending). A scan retries for long (`SCAN_ATTEMPTS`): clamd being down
        // must not leave a file unscanned for good.
        let monitor = match &config.common.scan.clamav_url {
            Some(address) => {
                let scanner = scan::Scanner {
                    address: address.0.clone(),
                    timeout: config.common.scan.clamav_timeout,
                    max_size: config.common.scan.scan_max_size,
                };
                let (state, settings) = (state.clone(), settings.clone());
                let limits = Limits {
                    max_attempts: SCAN_ATTEMPTS,
                    ..limits.clone()
                };
                let (wakeups, service) = (wakeups.clone(), service.clone());
                let name = format!("{identity}/{SCAN_QUEUE}");
                monitor.register(move |restarts| {
                    WorkerBuilder::new(format!("{name}#{restarts}"))
                        .backend(state.queue_backend::<ScanFile>(SCAN_QUEUE, &settings, &wakeups))
                        .concurrency(concurrency)
                        .retry(retry_policy(SCAN_ATTEMPTS - 1, backoff))
                        .catch_panic()
                        .enable_tracing()
                        .data(service.clone())
                        .data(scanner.clone())
                        .data(limits.clone())
                        .build(handlers::scan_file)
                })
            }
            None => monitor,
        };
        let monitor = monitor
            .should_restart(|ctx, error| {
                // A lost database must not kill the process: back off, then start again
                // under a fresh name (`#restarts` suffix; the old name may look alive).
                // apalis calls this from inside a poll, so the pause is a blocking one,
                // moved off the async workers with `block_in_place`.
                let pause = restart_pause(ctx.restarts());
                tracing::warn!(worker = ctx.name(), error = %error, ?pause, "worker stopped with an error; restarting");
                tokio::task::block_in_place(|| std::thread::sleep(pause));
                true
            })
            .shutdown_timeout(config.common.shutdown_timeout);

        if let Some(port) = config.common.metrics_port {
            ferry_telemetry::serve("worker", port).map_err(Error::Worker)?;
        }
        let queues: Vec<&str> = ferry_state::jobs::QUEUES.to_vec();
        let registration = identity.register(
            &state,
            move || serde_json::json!({ "concurrency": concurrency, "queues": queues }),
        );
        let sweeper = spawn_sweeper(
            state.clone(),
            settings.clone(),
            config.common.metrics_port.is_some(),
        );

        let result = monitor.run_with_signal(stop).await;
        sweeper.abort();
        registration.end().await;
        // Whatever is still claimed by this process will not finish here: hand it back
        // now rather than make it wait for the orphan timeout.
        match state.release_jobs_of(identity.id()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "handed unfinished jobs back to the queue"),
            Err(e) => {
                tracing::warn!(error = %e, "could not hand jobs back; they will be recovered as orphans")
            }
        }
        tracing::info!("worker stopped; closing pools");
        state.close().await;
        result.map_err(|e| Error::Worker(e.to_string()))
    }
}

/// Every heartbeat: re-queue orphans of dead workers (counted), and — when metrics
/// are served — refresh the queue and dead-job gauges (workers report them; web
/// processes do not query Postgres for metrics).
fn spawn_sweeper(
    state: State,
    settings: ferry_state::jobs::QueueSettings,
    gauges: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let dead_after = settings.heartbeat * settings.missed_heartbeats as u32;
        let mut tick = tokio::time::interval(settings.heartbeat);
        loop {
            tick.tick().await;
            match state.recover_orphans(dead_after).await {
                Ok(0) => {}
                Ok(n) => {
                    metrics::counter!(ferry_telemetry::ORPHANS_RECOVERED).increment(n);
                    tracing::info!(jobs = n, "re-queued jobs of dead workers");
                }
                Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
            }
            if gauges && let Ok(depths) = state.queue_depths().await {
                // Every queue and status, at 0 when it has no job: a fresh deployment
                // exports the series an autoscaler reads (KEDA, an HPA on external
                // metrics), and a count that drops to nothing goes back to 0 instead
                // of keeping its last value.
                for queue in ferry_state::jobs::QUEUES {
                    for status in ferry_state::jobs::JOB_STATUSES {
                        let count = depths
                            .iter()
                            .find(|d| d.queue == *queue && d.status == *status)
                            .map_or(0, |d| d.count);
                        ferry_telemetry::set_queue_depth(
                            (*queue).to_owned(),
                            (*status).to_owned(),
                            count,
                        );
                    }
                }
            }
            if gauges && let Ok(dead) = state.dead_job_counts().await {
                for queue in ferry_state::jobs::QUEUES {
                    let n = dead.iter().find(|(q, _)| q == queue).map_or(0, |(_, n)| *n);
                    metrics::gauge!(ferry_telemetry::DEAD_JOBS, "queue" => *queue).set(n as f64);
                }
            }
        }
    })
}

fn retry_policy(
    retries: usize,
    (min, max): (Duration, Duration),
) -> apalis::layers::retry::BackoffRetryPolicy<
    apalis::layers::retry::backoff::ExponentialBackoff<HasherRng>,
> {
    let backoff = ExponentialBackoffMaker::new(min, max.max(min), 0.2, HasherRng::default())
        .expect("backoff bounds are ordered")
        .make_backoff();
    RetryPolicy::retries(retries).with_backoff(backoff)
}

/// 0.5 s doubling per restart, at most 10 s.
fn restart_pause(restarts: usize) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << restarts.min(5)).min(10_000))
}
