//! What every Ferry process type shares, declared once: the settings that reach the
//! backing services ([`ConnectionArgs`]) and those every long-running process takes
//! ([`CommonArgs`]), the value parsers for durations and sizes, the one way a process
//! learns it must stop ([`shutdown_signal`]) and the one way it names itself
//! ([`Identity`]).
//!
//! Why a crate of its own: web, worker and clock each declared `JOB_MAX_ATTEMPTS`,
//! `SHUTDOWN_TIMEOUT` and `METRICS_PORT`, and worker and clock each had a signal
//! handler and an identity format. Declared once, an env var cannot drift between
//! process types, and `ferry-state` stays a plain persistence crate without clap.

mod args;
mod identity;
mod mail;
mod shutdown;
mod value;

pub use args::{ClamavAddress, CommonArgs, ConnectionArgs, ScanArgs};
pub use identity::{Identity, Kind, Registration};
pub use mail::{MailArgs, mail_from, smtp_url};
pub use shutdown::shutdown_signal;
pub use value::{parse_duration, parse_size, postgres_url, redis_url};
