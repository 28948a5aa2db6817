//! The `clock` process type: turns schedules into queued jobs, and does nothing else.
//!
//! Guarantees:
//! - each `(schedule, slot time)` is enqueued exactly once, however many clocks run and
//!   however often they are killed (see `ferry_state::cron` for the unique key);
//! - after downtime, the slots missed since the last recorded one are enqueued once
//!   each, at most `CLOCK_CATCHUP_LIMIT` of them per schedule (the newest);
//! - on SIGTERM the clock stops enqueueing, lets an enqueue in progress finish, exits 0.
//!
//! tokio-cron-scheduler only decides *when* to look; *what* to enqueue is computed from
//! the schedule and the database (every slot after the last recorded one, up to now),
//! so a late, doubled or missed trigger changes nothing.

mod config;
mod schedule;

use std::sync::Arc;

use chrono::Utc;
use ferry_process::{Identity, Kind};
use ferry_state::{State, cron::SlotOutcome};
use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

pub use config::Config;
pub use schedule::CronSchedule;

/// Errors that stop a clock process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Postgres or Redis could not be set up.
    #[error(transparent)]
    State(#[from] ferry_state::Error),
    /// The scheduler failed.
    #[error("scheduler: {0}")]
    Scheduler(String),
}

/// Result of the clock crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configured, not yet running clock process.
pub struct Application {
    config: Config,
    state: State,
    identity: Identity,
}

/// What one clock shares between its triggers.
struct Enqueuer {
    state: State,
    identity: String,
    catchup_limit: usize,
    max_attempts: usize,
    /// Held while enqueueing, so shutdown can wait for an enqueue in progress.
    busy: Mutex<()>,
}

impl Application {
    /// Prepares the clock; does not connect yet.
    pub fn build(config: Config) -> Result<Application> {
        let state = State::connect_lazy(&config.common.settings())?;
        Ok(Application {
            config,
            state,
            identity: Identity::new(Kind::Clock),
        })
    }

    /// Enqueues due slots until SIGTERM/SIGINT.
    pub async fn run_until_stopped(self) -> Result<()> {
        // Listen for SIGTERM before doing anything else, so a stop request that arrives
        // during start-up is honoured rather than lost.
        let stop = ferry_process::shutdown_signal()
            .map_err(|e| Error::Scheduler(format!("cannot install signal handlers: {e}")))?;
        tokio::pin!(stop);
        let Application {
            config,
            state,
            identity,
        } = self;
        let enqueuer = Arc::new(Enqueuer {
            state: state.clone(),
            identity: identity.id().to_owned(),
            catchup_limit: usize::from(config.clock_catchup_limit),
            max_attempts: usize::from(config.common.job_max_attempts),
            busy: Mutex::new(()),
        });
        let mut scheduler = JobScheduler::new()
            .await
            .map_err(|e| Error::Scheduler(e.to_string()))?;
        for schedule in &config.clock_schedules {
            let enqueuer = enqueuer.clone();
            let schedule_for_job = schedule.clone();
            let job = Job::new_async(schedule.expression(), move |_id, _scheduler| {
                let enqueuer = enqueuer.clone();
                let schedule = schedule_for_job.clone();
                Box::pin(async move { enqueuer.enqueue_due(&schedule).await })
            })
            .map_err(|e| Error::Scheduler(format!("schedule {}: {e}", schedule.name())))?;
            scheduler
                .add(job)
                .await
                .map_err(|e| Error::Scheduler(e.to_string()))?;
        }
        tracing::info!(clock = %identity, schedules = config.clock_schedules.len(), "clock starting");
        if let Some(port) = config.common.metrics_port {
            ferry_telemetry::serve("clock", port).map_err(Error::Scheduler)?;
        }
        let schedules = config.clock_schedules.clone();
        let registration = identity.register(&state, move || {
            let now = Utc::now();
            serde_json::json!({ "schedules": schedules.iter().map(|s| serde_json::json!({
                "name": s.name(), "expression": s.expression(), "next": s.next_after(now),
            })).collect::<Vec<_>>() })
        });
        // Catch up on slots missed while no clock ran, then wait for the next ones.
        let start = async {
            for schedule in &config.clock_schedules {
                enqueuer.enqueue_due(schedule).await;
            }
            scheduler
                .start()
                .await
                .map_err(|e| Error::Scheduler(e.to_string()))
        };
        tokio::select! {
            started = start => {
                started?;
                (&mut stop).await;
            }
            () = &mut stop => {}
        }
        tracing::info!("clock stopping; no new slots will be enqueued");
        match tokio::time::timeout(config.common.shutdown_timeout, scheduler.shutdown()).await {
            Ok(result) => result.map_err(|e| Error::Scheduler(e.to_string()))?,
            Err(_) => tracing::warn!("the scheduler did not stop within SHUTDOWN_TIMEOUT"),
        }
        let wait = tokio::time::timeout(config.common.shutdown_timeout, enqueuer.busy.lock()).await;
        if wait.is_err() {
            tracing::warn!("an enqueue was still running at the shutdown timeout");
        }
        registration.end().await;
        state.close().await;
        tracing::info!("clock stopped");
        Ok(())
    }
}

impl Enqueuer {
    /// Enqueues every slot of `schedule` after the last recorded one, up to now.
    /// Failures are logged; the next trigger (on any clock) retries the same slots.
    async fn enqueue_due(&self, schedule: &CronSchedule) {
        let _busy = self.busy.lock().await;
        let now = Utc::now();
        let last = match self.state.last_slot(schedule.name()).await {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!(schedule = schedule.name(), error = %e, "cannot read last slot; will retry at the next trigger");
                return;
            }
        };
        let due = schedule.due_slots(last, now, self.catchup_limit);
        if due.skipped > 0 {
            tracing::warn!(
                schedule = schedule.name(),
                skipped = due.skipped,
                "more missed slots than CLOCK_CATCHUP_LIMIT; enqueueing only the newest"
            );
        }
        for slot in due.slots {
            match self
                .state
                .enqueue_slot(schedule.name(), slot, &self.identity, self.max_attempts)
                .await
            {
                Ok(SlotOutcome::Enqueued(job)) => {
                    metrics::counter!(ferry_telemetry::CRON_SLOTS, "schedule" => schedule.name().to_owned(), "outcome" => "enqueued").increment(1);
                    tracing::info!(schedule = schedule.name(), %slot, %job, "slot enqueued")
                }
                Ok(SlotOutcome::AlreadyEnqueued) => {
                    metrics::counter!(ferry_telemetry::CRON_SLOTS, "schedule" => schedule.name().to_owned(), "outcome" => "duplicate").increment(1);
                    tracing::debug!(schedule = schedule.name(), %slot, "slot already enqueued by another clock")
                }
                Err(e) => {
                    tracing::warn!(schedule = schedule.name(), %slot, error = %e, "cannot enqueue slot; will retry at the next trigger");
                    return;
                }
            }
        }
    }
}
