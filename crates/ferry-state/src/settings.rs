//! How to reach the backing services. A plain value: the command line that fills it
//! (env names, defaults, validation, `--help`) is `ferry_process::ConnectionArgs`, so
//! the state crate does not depend on clap and can be built from a struct literal
//! (as the repository tests do).

use secrecy::SecretString;

use crate::RedisTarget;

/// Connection settings for the backing services, shared by every process type.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Postgres URL of the database holding files, jobs and schedules.
    pub database_url: SecretString,
    /// The Redis (one server or a cluster) holding sessions and short-lived
    /// coordination.
    pub redis: RedisTarget,
    /// Upper bound on open Postgres connections from this process.
    pub pg_pool_size: u32,
    /// Upper bound on open Redis connections from this process.
    pub redis_pool_size: u16,
    /// Prefix of every Redis key Ferry writes; lets deployments share one Redis.
    pub redis_key_prefix: String,
}
