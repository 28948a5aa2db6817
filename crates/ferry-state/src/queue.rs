//! The worker's side of the job queue: an apalis backend over `apalis.jobs` that
//! claims and acknowledges in batches, one statement per round, and wakes on
//! `LISTEN/NOTIFY` instead of waiting for its next heartbeat.
//!
//! Why not `apalis_postgres::PostgresStorage` as it is: it reads and writes the same
//! table (and producers still push through it, see `jobs.rs`), but each round of a
//! worker costs it two transactions — acknowledge the finished batch, then claim the
//! next — each a `BEGIN`, a statement and a `COMMIT`, so six round trips and two WAL
//! flushes per batch. It claims a full batch however many slots are free, and an idle
//! worker without its pub/sub polls only on its heartbeat (seconds); with it, each
//! queue holds a connection of its own. Here:
//!
//! - **One statement per round** (autocommit, so one round trip and one WAL flush):
//!   it acknowledges the finished jobs, marks the started ones `Running`, and claims
//!   the next jobs for the free slots, `FOR UPDATE SKIP LOCKED`. The claimed jobs wait
//!   in this process until the worker asks for them, as a fetched batch does.
//! - **Claims only what can start**: never more than the worker's free slots (its
//!   concurrency minus the jobs handed out whose completion has not come back), so a
//!   busy worker does not sit on jobs an idle one could run.
//! - **Wakes on `NOTIFY`**: apalis' insert trigger sends `apalis::job::insert` with the
//!   job's queue, and only that (`ferry migrate` replaces its function,
//!   `sql/announce_inserted.sql`), so a bulk insert is one notification per queue, not
//!   one per job. One listener connection per process ([`JobWakeups`]) wakes the
//!   queue's backend; a notification that lands while a claim is in flight makes it
//!   claim again rather than sleep. After a lost connection every queue is woken, so
//!   nothing inserted meanwhile waits for a heartbeat. Jobs made runnable again by an
//!   update (handed back, re-queued from a dead worker, retried by an admin) are
//!   announced on the same channel by a trigger `ferry migrate` adds
//!   (`sql/announce_requeued.sql`).
//!
//! Delivery is unchanged: at-least-once. A claimed or running job belongs to the
//! worker named in `lock_by`; an acknowledgement only lands while it still does; jobs
//! of a worker that stops heartbeating are re-queued (apalis' rule, run on every
//! heartbeat, and `State::recover_orphans`); jobs claimed but not started when the
//! worker stops (or fails and is restarted under a new name) are handed back.

use std::{
    collections::HashMap,
    marker::PhantomData,
    str::FromStr,
    sync::{
        Arc, Mutex, OnceLock, Weak,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use apalis_codec::json::JsonCodec;
use apalis_core::{
    backend::{
        Backend, BackendConfig, TaskResult, WireFormatBackend,
        finalize::Durable,
        persistence::{Persisted, Persistence, State as Phase, TaskEvent, TaskPersistLayer},
    },
    task::{Task, builder::TaskBuilder, metadata::MetadataStore, status::Status, task_id::TaskId},
    worker::context::WorkerContext,
};
use apalis_postgres::{Config as QueueConfig, Error as QueueError, PgTask};
use futures::task::AtomicWaker;
use serde_json::Value;
use sqlx::{PgPool, postgres::PgListener};
use ulid::Ulid;

/// The channel apalis' insert trigger notifies (`apalis.notify_new_jobs`, as
/// `sql/announce_inserted.sql` redefines it), and
/// Ferry's trigger for jobs runnable again (`sql/announce_requeued.sql`).
const INSERT_CHANNEL: &str = "apalis::job::insert";

/// A listener quiet this long checks that its connection still answers …
const LISTENER_CHECK: Duration = Duration::from_secs(30);
/// … within this long, or it reconnects.
const LISTENER_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// One process's wake-ups for its queue backends: a single `LISTEN` connection (its
/// own, outside the pool) whose notifications wake the backends of the named queue.
#[derive(Clone)]
pub struct JobWakeups {
    inner: Arc<Wakeups>,
}

struct Wakeups {
    signals: Mutex<Vec<Weak<Signal>>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// What wakes one backend: a counter bumped on every notification for its queue.
struct Signal {
    queue: String,
    generation: AtomicU64,
    waker: AtomicWaker,
}

impl Signal {
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.waker.wake();
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(task) = self.listener.lock().expect("not poisoned").take() {
            task.abort();
        }
    }
}

impl JobWakeups {
    /// Starts listening for inserted jobs on a connection of its own (made from the
    /// pool's settings; reconnected when lost). Stops when the last clone is dropped.
    pub fn listen(pool: &PgPool) -> JobWakeups {
        let inner = Arc::new(Wakeups {
            signals: Mutex::new(Vec::new()),
            listener: Mutex::new(None),
        });
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with((*pool.connect_options()).clone());
        let task = tokio::spawn(listen(own, Arc::downgrade(&inner)));
        *inner.listener.lock().expect("not poisoned") = Some(task);
        JobWakeups { inner }
    }

    fn signal(&self, queue: &str) -> Arc<Signal> {
        let signal = Arc::new(Signal {
            queue: queue.to_owned(),
            generation: AtomicU64::new(0),
            waker: AtomicWaker::new(),
        });
        let mut signals = self.inner.signals.lock().expect("not poisoned");
        signals.retain(|s| s.strong_count() > 0);
        signals.push(Arc::downgrade(&signal));
        signal
    }
}

impl Wakeups {
    /// Wakes the backends of `queue`, or of every queue.
    fn wake(&self, queue: Option<&str>) {
        let signals = self.signals.lock().expect("not poisoned");
        for signal in signals.iter().filter_map(Weak::upgrade) {
            if queue.is_none_or(|q| q == signal.queue) {
                signal.bump();
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Inserted {
    job_type: String,
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(INSERT_CHANNEL).await?;
    Ok(listener)
}

async fn listen(pool: PgPool, wakeups: Weak<Wakeups>) {
    let mut pause = Duration::from_millis(100);
    loop {
        let mut listener = match subscribe(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for new jobs; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(100);
        // Listening (again): whatever was inserted before now was not announced to
        // this process, so every queue looks once.
        match wakeups.upgrade() {
            Some(w) => w.wake(None),
            None => return,
        }
        loop {
            let received = match tokio::time::timeout(LISTENER_CHECK, listener.try_recv()).await {
                Ok(received) => received,
                Err(_) => {
                    // Quiet for a while. A connection that died without a word (a
                    // failover, a NAT timeout) would stay quiet for ever: ask it.
                    // (`try_recv` is cancel-safe.)
                    let ping = sqlx::query("SELECT 1").execute(&mut listener);
                    if let Ok(Ok(_)) = tokio::time::timeout(LISTENER_CHECK_TIMEOUT, ping).await {
                        continue;
                    }
                    tracing::warn!("job listener's connection does not answer; reconnecting");
                    if let Some(w) = wakeups.upgrade() {
                        w.wake(None);
                    }
                    break;
                }
            };
            let Some(w) = wakeups.upgrade() else { return };
            match received {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Inserted>(notification.payload()) {
                        Ok(job) => w.wake(Some(&job.job_type)),
                        Err(_) => w.wake(None),
                    }
                }
                // The connection was lost, and `try_recv` has already connected and
                // listened again. Anything inserted in between was not announced.
                Ok(None) => {
                    tracing::debug!("job listener lost its connection; reconnecting");
                    w.wake(None);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "job listener failed; reconnecting");
                    w.wake(None);
                    drop(w);
                    tokio::time::sleep(pause).await;
                    break;
                }
            }
        }
    }
}

/// A worker's backend for one queue (see the module documentation).
pub struct JobQueue<Args> {
    persistence: Persisted<Rounds>,
    signal: Arc<Signal>,
    /// `signal.generation` when the claim now in flight (or last made) started.
    claimed_at: u64,
    /// At close: handing back the jobs claimed but never asked for.
    closing: Option<futures::future::BoxFuture<'static, ()>>,
    codec: JsonCodec,
    _marker: PhantomData<Args>,
}

impl<Args> JobQueue<Args> {
    /// The backend for `config.queue`, claiming at most `config.batch_size` jobs at a
    /// time (and never more than the worker has free slots), woken by `wakeups`.
    pub fn new(pool: &PgPool, config: QueueConfig, wakeups: &JobWakeups) -> JobQueue<Args> {
        let signal = wakeups.signal(config.queue.as_ref());
        JobQueue {
            persistence: Persisted::new(Rounds {
                pool: pool.clone(),
                config,
                claimed: Arc::new(Mutex::new(Vec::new())),
                running: Arc::new(AtomicUsize::new(0)),
                worker: Arc::new(OnceLock::new()),
            }),
            signal,
            claimed_at: 0,
            closing: None,
            codec: JsonCodec::default(),
            _marker: PhantomData,
        }
    }
}

impl<Args> Backend for JobQueue<Args> {
    type Task = PgTask;
    type Error = QueueError;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        let heartbeat = self.persistence.config.heartbeat_interval;
        self.persistence.poll_ready(cx, worker, heartbeat)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<PgTask, Self::Error>>> {
        self.signal.waker.register(cx.waker());
        loop {
            if matches!(self.persistence.state(), Phase::Ready) {
                // This poll starts a claim: notifications from now on may not be
                // visible to it.
                self.claimed_at = self.signal.generation.load(Ordering::Acquire);
            }
            match self.persistence.poll_next(cx, worker) {
                Poll::Pending
                    if matches!(self.persistence.state(), Phase::Ready)
                        && self.signal.generation.load(Ordering::Acquire) != self.claimed_at =>
                {
                    // The claim came back empty, but a job was announced while it ran.
                    continue;
                }
                other => return other,
            }
        }
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), Self::Error>> {
        use futures::FutureExt;
        loop {
            if let Some(closing) = self.closing.as_mut() {
                return closing.poll_unpin(cx).map(|()| {
                    self.closing = None;
                    Ok(())
                });
            }
            match self.persistence.poll_close(cx, worker) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            // Claimed in the last round but never asked for: apalis never saw them,
            // so they are handed back here, before the worker reports it has stopped
            // (and before the process's own release at exit, which could otherwise
            // race this statement for the same rows).
            match self.persistence.hand_back_unstarted() {
                Some(hand_back) => self.closing = Some(Box::pin(hand_back)),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl<Args> Drop for JobQueue<Args> {
    /// A worker that stops with an error is dropped without a close, and apalis
    /// starts a new one under a new name: what this one claimed and never handed
    /// out goes back now, not when the orphan sweep gets to it (charging an attempt).
    fn drop(&mut self) {
        if let Some(hand_back) = self.persistence.hand_back_unstarted()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(hand_back);
        }
    }
}

impl<Args> BackendConfig for JobQueue<Args> {
    type Args = Args;
    type Kind = Durable;
    type Id = Ulid;
    type Config = QueueConfig;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &Self::Config {
        &self.persistence.config
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Self::Layer {
        let batch = self.persistence.config.batch_size;
        self.persistence
            .layer(JsonCodec::<Value>::default(), batch)
            .persist_results(true)
            .lock_tasks(true)
    }
}

impl<Args> WireFormatBackend for JobQueue<Args> {
    type Codec = JsonCodec;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}

/// The statements of a worker's rounds, and the jobs claimed by the last round that
/// the worker has not asked for yet.
#[derive(Clone)]
struct Rounds {
    pool: PgPool,
    config: QueueConfig,
    claimed: Arc<Mutex<Vec<PgTask>>>,
    /// Jobs handed to the worker whose completion has not come back yet. (Not the
    /// worker's task count: a job waiting to be retried holds its slot but has no
    /// task running.)
    running: Arc<AtomicUsize>,
    /// The worker's name, once it has registered.
    worker: Arc<OnceLock<String>>,
}

impl Rounds {
    /// Jobs the worker can start now: its free slots, at most a batch.
    fn free_slots(&self) -> i32 {
        let free = self
            .config
            .batch_size
            .saturating_sub(self.running.load(Ordering::Acquire));
        i32::try_from(free).unwrap_or(i32::MAX)
    }

    /// `n` jobs came back (acknowledged, or handed back unstarted).
    fn finished(&self, n: usize) {
        let _ = self
            .running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                Some(r.saturating_sub(n))
            });
    }

    /// One round, one statement (one round trip, one WAL flush): acknowledge
    /// `acks` and mark `started` running, for the jobs this worker still holds, and
    /// claim up to `claim` more (`LIMIT 0` claims none).
    async fn round(
        &self,
        worker: &WorkerContext,
        acks: &[TaskResult<Value>],
        started: Vec<String>,
        claim: i32,
    ) -> Result<Vec<PgTask>, QueueError> {
        // The held jobs are looked up by id (the primary key) alone: every job a
        // worker ever ran keeps its name in `lock_by`, so scanning that index (which
        // the planner likes to AND in) reads the worker's whole history.
        // `IS NOT DISTINCT FROM` is the same test here, but no index can serve it.
        let ids: Vec<String> = acks
            .iter()
            .map(|a| a.task_id.to_string())
            .chain(started.iter().cloned())
            .collect();
        let acks = serde_json::to_value(acks).map_err(QueueError::JsonError)?;
        let rows = sqlx::query!(
            r#"WITH acks AS (
                   SELECT (value ->> 'task_id')::text AS task_id,
                          (value ->> 'attempt')::integer AS attempt,
                          value -> 'result' AS result,
                          value ->> 'status' AS status
                   FROM jsonb_array_elements($1::jsonb) AS value
               ),
               mine AS (
                   SELECT id FROM apalis.jobs
                   WHERE id = ANY($4::text[]) AND lock_by IS NOT DISTINCT FROM $3
                   ORDER BY id
                   FOR UPDATE
               ),
               acked AS (
                   UPDATE apalis.jobs AS jobs
                   SET status = acks.status, attempts = acks.attempt,
                       last_result = acks.result, done_at = now()
                   FROM acks JOIN mine ON mine.id = acks.task_id
                   WHERE jobs.id = mine.id
                   RETURNING jobs.id
               ),
               started AS (
                   UPDATE apalis.jobs AS jobs
                   SET status = 'Running', lock_at = now()
                   FROM mine
                   WHERE jobs.id = mine.id AND jobs.id = ANY($2::text[])
                     AND jobs.status = 'Queued'
                     AND jobs.id NOT IN (SELECT task_id FROM acks)
                   RETURNING jobs.id
               ),
               next AS (
                   SELECT id FROM apalis.jobs
                   WHERE (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))
                     AND run_at < now() AND job_type = $5
                   ORDER BY priority DESC, run_at ASC
                   LIMIT $6
                   FOR UPDATE SKIP LOCKED
               )
               UPDATE apalis.jobs AS j
               SET status = 'Queued', lock_by = $3, lock_at = now()
               FROM next
               WHERE j.id = next.id
               RETURNING j.id AS "id!", j.job AS "job!", j.status AS "status!",
                         j.attempts AS "attempts!", j.max_attempts AS "max_attempts!",
                         extract(epoch FROM j.run_at)::bigint AS "run_at!",
                         extract(epoch FROM j.lock_at)::bigint AS lock_at,
                         j.priority AS "priority!", j.idempotency_key,
                         hstore_to_json(j.metadata) AS metadata"#,
            acks,
            &started,
            worker.name(),
            &ids,
            self.config.queue.as_ref(),
            i64::from(claim),
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let id = Ulid::from_string(&r.id).map_err(|e| {
                    QueueError::TaskIdError(apalis_core::task::task_id::TaskIdError::Decode(
                        e.to_string(),
                    ))
                })?;
                let mut task = TaskBuilder::new(r.job)
                    .task_id(TaskId::from_ulid(id))
                    .queue(self.config.queue.clone())
                    .status(Status::from_str(&r.status).map_err(QueueError::StatusError)?)
                    .attempt(usize::try_from(r.attempts).unwrap_or(0))
                    .max_attempts(usize::try_from(r.max_attempts).unwrap_or(1))
                    .run_at_timestamp(u64::try_from(r.run_at).unwrap_or(0))
                    .lock_at(r.lock_at.and_then(|t| u64::try_from(t).ok()))
                    .lock_by(Some(worker.name().to_owned()))
                    .priority(usize::try_from(r.priority).unwrap_or(0))
                    .with_metadata(metadata(r.metadata));
                if let Some(key) = r.idempotency_key {
                    task = task.idempotency_key(key);
                }
                Ok(task.build())
            })
            .collect()
    }
}

impl Rounds {
    /// Hands back jobs this worker claimed that never started: `Pending` again,
    /// with no attempt charged (apalis' own re-enqueue charges one; the trigger
    /// `ferry_announce_requeued` tells idle workers). A failure is logged: the
    /// orphan sweep gets them back later.
    /// Takes the jobs claimed but never handed to the worker; the future hands them
    /// back. `None` when there are none.
    fn hand_back_unstarted(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        let unstarted = std::mem::take(&mut *self.claimed.lock().expect("not poisoned"));
        if unstarted.is_empty() {
            return None;
        }
        let rounds = self.clone();
        Some(async move { rounds.hand_back(&unstarted).await })
    }

    async fn hand_back(&self, tasks: &[PgTask]) {
        self.finished(tasks.len());
        let Some(worker) = self.worker.get() else {
            return;
        };
        let ids: Vec<String> = tasks
            .iter()
            .filter_map(|t| t.task_id().map(ToString::to_string))
            .collect();
        let done = sqlx::query!(
            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL
             WHERE id = ANY($1) AND lock_by = $2 AND status = 'Queued'",
            &ids,
            worker,
        )
        .execute(&self.pool)
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, jobs = ids.len(), "could not hand back claimed jobs; the orphan sweep will");
        }
    }
}

/// apalis' task metadata from the row's hstore (as JSON); Ferry sets none.
fn metadata(json: Option<Value>) -> MetadataStore {
    let map: HashMap<String, String> = match json {
        Some(Value::Object(fields)) => fields
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    };
    MetadataStore::from_map(map)
}

impl Persistence for Rounds {
    type Compact = Vec<u8>;
    type Response = Value;
    type Error = QueueError;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), QueueError> {
        let queue = self.config.queue.as_ref();
        let dead_for = self.config.orphaned_duration().as_secs();
        let mut tx = self.pool.begin().await?;
        apalis_postgres::queries::reenqueue_orphaned(&mut *tx, queue, dead_for).await?;
        let registered = sqlx::query!(
            "INSERT INTO apalis.workers (id, worker_type, storage_name, layers, last_seen)
             VALUES ($1, $2, 'FerryJobQueue', $3, now())
             ON CONFLICT (id) DO UPDATE
               SET worker_type = EXCLUDED.worker_type, storage_name = EXCLUDED.storage_name,
                   layers = EXCLUDED.layers, last_seen = now()
             WHERE pg_try_advisory_lock(hashtext(workers.id))",
            worker.name(),
            queue,
            worker.get_service(),
        )
        .execute(&mut *tx)
        .await?;
        if registered.rows_affected() == 0 {
            return Err(QueueError::WorkerAlreadyExists(worker.name().to_owned()));
        }
        tx.commit().await?;
        let _ = self.worker.set(worker.name().to_owned());
        Ok(())
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), QueueError> {
        let queue = self.config.queue.as_ref();
        let dead_for = self.config.orphaned_duration().as_secs();
        let mut tx = self.pool.begin().await?;
        apalis_postgres::queries::keep_alive(&mut *tx, queue, worker).await?;
        apalis_postgres::queries::reenqueue_orphaned(&mut *tx, queue, dead_for).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fetch_next(&mut self, worker: &WorkerContext) -> Result<Vec<PgTask>, QueueError> {
        let mut claimed = std::mem::take(&mut *self.claimed.lock().expect("not poisoned"));
        if claimed.is_empty() {
            // The worker asks, so it has a slot, whatever the count says (a
            // completion may not have come back yet).
            let claim = self.free_slots().max(1);
            claimed = self.round(worker, &[], Vec::new(), claim).await?;
        }
        self.running.fetch_add(claimed.len(), Ordering::AcqRel);
        Ok(claimed)
    }

    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Value>>,
        worker: &WorkerContext,
    ) -> Result<(), QueueError> {
        let mut acks = Vec::new();
        let mut started = Vec::new();
        for event in events {
            match event {
                TaskEvent::Complete(result) => acks.push(result),
                TaskEvent::Lock { task_id } => started.push(task_id.to_string()),
                _ => {}
            }
        }
        if acks.is_empty() && started.is_empty() {
            return Ok(());
        }
        self.finished(acks.len());
        // Claim the next jobs in the same statement when the worker has free slots,
        // is running, and holds none it has not asked for yet.
        let claim = if worker.is_running()
            && !worker.is_shutting_down()
            && self.claimed.lock().expect("not poisoned").is_empty()
        {
            self.free_slots()
        } else {
            0
        };
        let claimed = self.round(worker, &acks, started, claim).await?;
        if !claimed.is_empty() {
            self.claimed.lock().expect("not poisoned").extend(claimed);
        }
        Ok(())
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Vec<u8>>>,
        _: &WorkerContext,
    ) -> Result<u64, QueueError> {
        self.hand_back(&tasks).await;
        Ok(tasks.len() as u64)
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), QueueError> {
        let queue = self.config.queue.as_ref();
        let mut tx = self.pool.begin().await?;
        apalis_postgres::queries::push_tasks(&mut *tx, queue, tasks).await?;
        tx.commit().await?;
        Ok(())
    }
}
