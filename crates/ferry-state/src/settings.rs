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
    /// PEM certificates of the CA that signed the Redis servers' certificates
    /// (`rediss://` only); replaces the default roots. `None`: webpki's roots.
    pub redis_ca_cert: Option<Vec<u8>>,
    /// Upper bound on open Postgres connections from this process.
    pub pg_pool_size: u32,
    /// Upper bound on open Redis connections from this process.
    pub redis_pool_size: u16,
    /// Prefix of every Redis key Ferry writes; lets deployments share one Redis.
    pub redis_key_prefix: String,
    /// Where blob bytes are kept.
    pub blobs: BlobSettings,
    /// Whether files stored from now on wait for a malware scan (`pending`) rather
    /// than being stored unscanned (`off`): true when a clamd is configured.
    pub scan_new_files: bool,
    /// Bytes an account may keep in transfers unless an admin set its own quota
    /// (`DEFAULT_USER_QUOTA`); `None`: no limit.
    pub default_user_quota: Option<u64>,
}

/// Which store holds a blob's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// `blob_chunks` rows in Ferry's own Postgres.
    Postgres,
    /// Objects in an S3-compatible bucket.
    S3,
}

impl StoreKind {
    /// The name used in settings, in `blobs.store` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Postgres => "postgres",
            StoreKind::S3 => "s3",
        }
    }

    /// Parses a name written by [`StoreKind::as_str`].
    pub fn parse(name: &str) -> Option<StoreKind> {
        match name {
            "postgres" => Some(StoreKind::Postgres),
            "s3" => Some(StoreKind::S3),
            _ => None,
        }
    }
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where blobs go.
#[derive(Clone, Debug)]
pub struct BlobSettings {
    /// The store new blobs are written to. Existing blobs are read from wherever they
    /// are, so switching this needs no downtime (`ferry admin blobs migrate` moves the
    /// old ones).
    pub new_blobs: StoreKind,
    /// The S3-compatible bucket, when one is configured (required when `new_blobs` is
    /// S3, and to read or move blobs kept there).
    pub s3: Option<S3Settings>,
}

impl Default for BlobSettings {
    fn default() -> BlobSettings {
        BlobSettings {
            new_blobs: StoreKind::Postgres,
            s3: None,
        }
    }
}

/// How to reach an S3-compatible bucket (AWS S3, Garage, MinIO, R2, …).
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// Endpoint URL (`http://127.0.0.1:3900` for a local Garage); `None` for AWS S3
    /// itself. Requests use path-style addressing (`endpoint/bucket/key`), which every
    /// S3-compatible store understands.
    pub endpoint: Option<String>,
    /// The bucket.
    pub bucket: String,
    /// The region the bucket is in (Garage: its `s3_region`, R2: `auto`).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: SecretString,
    /// Size of a multipart-upload part: bytes an upload buffers before sending them
    /// (at least S3's minimum, 5 MiB).
    pub part_size: usize,
    /// Longest one request may take before it is tried again.
    pub request_timeout: std::time::Duration,
}
