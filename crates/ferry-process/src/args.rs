//! The settings every process type reads from its environment (clap, so `--help`
//! lists them with their env names and defaults).

use std::time::Duration;

use ferry_state::{BlobSettings, RedisTarget, S3Settings, Settings, StoreKind};
use secrecy::{ExposeSecret, SecretString};

use crate::value::{parse_duration, parse_size, postgres_url, redis_url};

/// How to reach Postgres and Redis: everything `ferry migrate` and `ferry admin …`
/// need, and part of every long-running process's configuration.
#[derive(clap::Args, Clone, Debug)]
pub struct ConnectionArgs {
    /// Postgres URL of the database holding files, jobs and schedules.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = postgres_url)]
    pub database_url: SecretString,
    /// Redis URL of the Redis holding sessions and short-lived coordination.
    /// Required, unless REDIS_CLUSTER_URLS is set instead.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_parser = redis_url,
          required_unless_present = "redis_cluster_urls")]
    pub redis_url: Option<SecretString>,
    /// Comma-separated URLs of Redis Cluster nodes (some or all masters; the rest of
    /// the cluster is discovered from them): use the cluster instead of one Redis.
    /// Set this or REDIS_URL, not both.
    #[arg(long, env = "REDIS_CLUSTER_URLS", hide_env_values = true,
          value_parser = redis_cluster_urls, conflicts_with = "redis_url")]
    pub redis_cluster_urls: Option<RedisClusterUrls>,
    /// Path of a PEM file with the CA certificate(s) that signed the Redis servers'
    /// certificates, for a private CA on rediss:// URLs. Replaces the default roots
    /// (Mozilla's, built in). A URL ending in `#insecure` skips verification instead
    /// (self-signed servers such as Heroku Redis).
    #[arg(long, env = "REDIS_CA_CERT", value_parser = pem_file)]
    pub redis_ca_cert: Option<PemFile>,
    /// Skip certificate verification for every rediss:// URL, as if each ended in
    /// `#insecure`: for a managed Redis with a self-signed certificate whose URL the
    /// platform sets and rotates (Heroku Redis). The connection is still encrypted.
    #[arg(long, env = "REDIS_TLS_INSECURE", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub redis_tls_insecure: bool,
    /// Upper bound on open Postgres connections from this process.
    #[arg(long, env = "PG_POOL_SIZE", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pg_pool_size: u32,
    /// Upper bound on open Redis connections from this process.
    #[arg(long, env = "REDIS_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub redis_pool_size: u16,
    /// Prefix of every Redis key Ferry writes; lets deployments share one Redis.
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "ferry:")]
    pub redis_key_prefix: String,
    #[command(flatten)]
    pub blobs: BlobArgs,
}

/// Where blob bytes are kept (docs/deploy.md, "Object storage").
#[derive(clap::Args, Clone, Debug)]
pub struct BlobArgs {
    /// Where new files' bytes go: `postgres` (chunks in DATABASE_URL's database) or
    /// `s3` (an S3-compatible bucket: S3_BUCKET and the AWS_* keys). Files already
    /// stored stay readable from where they are; `ferry admin blobs migrate` moves them.
    #[arg(long, env = "BLOB_STORE", default_value = "postgres", value_parser = store_kind)]
    pub blob_store: StoreKind,
    /// S3 endpoint URL, e.g. http://127.0.0.1:3900 (Garage), http://minio:9000,
    /// https://<account>.r2.cloudflarestorage.com; unset for AWS S3. Path-style
    /// requests.
    #[arg(long, env = "S3_ENDPOINT", value_parser = http_url)]
    pub s3_endpoint: Option<String>,
    /// The bucket (required when BLOB_STORE=s3, and to read or move blobs kept in S3).
    #[arg(
        long,
        env = "S3_BUCKET",
        required_if_eq("blob_store", "s3"),
        requires = "aws_access_key_id",
        requires = "aws_secret_access_key"
    )]
    pub s3_bucket: Option<String>,
    /// The bucket's region (Garage: its s3_region, usually `garage`; R2: `auto`).
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Access key id for the bucket.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,
    /// Secret access key for the bucket.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<SecretString>,
    /// Bytes per multipart-upload part (at least 5MiB, S3's smallest part; at most
    /// 10,000 parts a file). An upload buffers two parts: the one being sent and the
    /// next, received meanwhile.
    #[arg(long, env = "S3_PART_SIZE", default_value = "5MiB", value_parser = part_size)]
    pub s3_part_size: u64,
    /// Longest one request to the bucket may take, a part upload included; a request
    /// past it is tried again (three times at most), so one stalled request does not
    /// fail an upload or a blob move. Raise it with S3_PART_SIZE on a slow link.
    #[arg(long, env = "S3_REQUEST_TIMEOUT", default_value = "60s", value_parser = request_timeout)]
    pub s3_request_timeout: std::time::Duration,
}

impl BlobArgs {
    /// The state crate's blob settings.
    pub fn settings(&self) -> BlobSettings {
        let s3 = match (
            &self.s3_bucket,
            &self.aws_access_key_id,
            &self.aws_secret_access_key,
        ) {
            (Some(bucket), Some(key), Some(secret)) => Some(S3Settings {
                endpoint: self.s3_endpoint.clone(),
                bucket: bucket.clone(),
                region: self.s3_region.clone(),
                access_key_id: key.clone(),
                secret_access_key: secret.clone(),
                part_size: self.s3_part_size as usize,
                request_timeout: self.s3_request_timeout,
            }),
            _ => None,
        };
        BlobSettings {
            new_blobs: self.blob_store,
            s3,
        }
    }
}

fn store_kind(value: &str) -> Result<StoreKind, String> {
    StoreKind::parse(value.trim()).ok_or_else(|| "must be `postgres` or `s3`".into())
}

fn http_url(value: &str) -> Result<String, String> {
    match url::Url::parse(value.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(value.trim().trim_end_matches('/').to_owned())
        }
        _ => Err("must be an http:// or https:// URL".into()),
    }
}

fn part_size(value: &str) -> Result<u64, String> {
    let size = parse_size(value)?;
    if size < ferry_state::s3::MIN_PART as u64 || size > 5 * 1024 * 1024 * 1024 {
        return Err("must be between 5MiB and 5GiB (S3's part sizes)".into());
    }
    Ok(size)
}

fn request_timeout(value: &str) -> Result<std::time::Duration, String> {
    let timeout = parse_duration(value)?;
    if timeout < std::time::Duration::from_secs(1) || timeout > std::time::Duration::from_secs(3600)
    {
        return Err("must be between 1s and 1h".into());
    }
    Ok(timeout)
}

impl ConnectionArgs {
    /// `url` with `#insecure` appended when REDIS_TLS_INSECURE asks for it (a rediss://
    /// URL without a fragment of its own).
    fn tls_url(&self, url: &SecretString) -> SecretString {
        let raw = url.expose_secret();
        if self.redis_tls_insecure && raw.starts_with("rediss://") && !raw.contains('#') {
            SecretString::from(format!("{raw}#insecure"))
        } else {
            url.clone()
        }
    }

    /// The state crate's settings, field for field.
    pub fn settings(&self) -> Settings {
        let tls = |url: &SecretString| self.tls_url(url);
        let redis = match (&self.redis_cluster_urls, &self.redis_url) {
            (Some(nodes), _) => RedisTarget::Cluster(nodes.0.iter().map(tls).collect()),
            (None, Some(url)) => RedisTarget::Node(tls(url)),
            // clap requires one of the two (`required_unless_present`).
            (None, None) => unreachable!("REDIS_URL or REDIS_CLUSTER_URLS is required"),
        };
        Settings {
            database_url: self.database_url.clone(),
            redis,
            redis_ca_cert: self.redis_ca_cert.as_ref().map(|pem| pem.0.clone()),
            pg_pool_size: self.pg_pool_size,
            redis_pool_size: self.redis_pool_size,
            redis_key_prefix: self.redis_key_prefix.clone(),
            blobs: self.blobs.settings(),
            scan_new_files: false,
            default_user_quota: None,
        }
    }
}

/// The nodes of a Redis Cluster to connect through, kept secret.
#[derive(Clone, Debug)]
pub struct RedisClusterUrls(pub Vec<SecretString>);

/// A comma-separated list of `redis://…` or `rediss://…` URLs (cluster nodes are
/// reached over TCP). One value for clap, so that a refusal never echoes a URL
/// (they may hold a password).
fn redis_cluster_urls(value: &str) -> Result<RedisClusterUrls, String> {
    let nodes: Vec<&str> = value.split(',').map(str::trim).collect();
    for (n, node) in nodes.iter().enumerate() {
        if !(node.starts_with("redis://") || node.starts_with("rediss://")) {
            return Err(format!(
                "node {} of {} is not a redis:// or rediss:// URL",
                n + 1,
                nodes.len()
            ));
        }
    }
    Ok(RedisClusterUrls(
        nodes.into_iter().map(SecretString::from).collect(),
    ))
}

/// The contents of a PEM file, read once at start-up.
#[derive(Clone, Debug)]
pub struct PemFile(pub Vec<u8>);

/// Reads the file now, so a missing or unreadable one stops start-up (exit 2) with its
/// path; whether it holds certificates is checked where they are used.
fn pem_file(path: &str) -> Result<PemFile, String> {
    std::fs::read(path)
        .map(PemFile)
        .map_err(|e| format!("cannot read {path}: {e}"))
}

/// What web, worker and clock all take, with one meaning in each.
#[derive(clap::Args, Clone, Debug)]
pub struct CommonArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Attempts a job gets, first run included, before it is dead: given to every job
    /// this process enqueues, and (in a worker) the most a job it runs is tried.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value_t = 5,
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub job_max_attempts: u16,
    /// Grace period after SIGTERM or SIGINT: in-flight requests (web), running jobs
    /// (worker) or an enqueue in progress (clock) get this long to finish.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "25", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// Serve Prometheus metrics at `http://0.0.0.0:METRICS_PORT/metrics` when set. A web
    /// process's app port never serves them: route counts, byte totals and queue state
    /// are for operators, not for the public.
    #[arg(long, env = "METRICS_PORT")]
    pub metrics_port: Option<u16>,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Bytes each account may keep in its transfers (`10GB`, `500MiB`) unless an admin
    /// gave it a quota of its own (`ferry admin users set-quota`). Unset: no limit
    /// (usage is still counted). Anonymous uploads have UPLOAD_BYTES_PER_CLIENT_PER_DAY.
    #[arg(long, env = "DEFAULT_USER_QUOTA", value_parser = parse_size)]
    pub default_user_quota: Option<u64>,
}

impl CommonArgs {
    /// The state crate's settings (see [`ConnectionArgs::settings`]), with new files
    /// waiting for a scan when a clamd is configured.
    pub fn settings(&self) -> Settings {
        Settings {
            scan_new_files: self.scan.clamav_url.is_some(),
            default_user_quota: self.default_user_quota,
            ..self.connection.settings()
        }
    }
}

/// Malware scanning with ClamAV (docs/security.md, "Malware scanning"): web needs to
/// know whether new files wait for a scan and whether one is required before
/// serving; the worker runs the scans.
#[derive(clap::Args, Clone, Debug)]
pub struct ScanArgs {
    /// clamd to scan every new file with, over TCP: `tcp://host:3310`. Unset: files
    /// are not scanned.
    #[arg(long, env = "CLAMAV_URL", value_parser = clamav_url)]
    pub clamav_url: Option<ClamavAddress>,
    /// Serve no file before its scan finished clean (files too large to scan are then
    /// never served). Needs CLAMAV_URL. Off: files are served while their scan is
    /// pending; an infected file is never served either way.
    #[arg(long, env = "SCAN_REQUIRED", default_value_t = false,
          requires_ifs = SCAN_REQUIRED_TRUE.map(|yes| (yes, "clamav_url")),
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub scan_required: bool,
    /// Longest one file's scan may take (connecting, streaming it to clamd, the
    /// verdict); past it the scan fails and is tried again later.
    #[arg(long, env = "CLAMAV_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    pub clamav_timeout: Duration,
    /// Files larger than this are not sent to clamd and stay unscanned (served only
    /// when SCAN_REQUIRED is off). At most clamd's StreamMaxLength (its default: 25M).
    #[arg(long, env = "SCAN_MAX_SIZE", default_value = "25MiB", value_parser = parse_size)]
    pub scan_max_size: u64,
}

/// The spellings of "true" that make SCAN_REQUIRED need CLAMAV_URL (clap compares
/// the raw value; these are BoolishValueParser's).
const SCAN_REQUIRED_TRUE: [&str; 8] = ["true", "True", "TRUE", "1", "yes", "Yes", "on", "On"];

/// Where clamd listens: `host:port` from a `tcp://host:port` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClamavAddress(pub String);

fn clamav_url(value: &str) -> Result<ClamavAddress, String> {
    const SHAPE: &str = "must be tcp://host:port (clamd's TCPSocket)";
    let url = url::Url::parse(value.trim()).map_err(|_| SHAPE.to_owned())?;
    match (url.scheme(), url.host_str(), url.port()) {
        ("tcp", Some(host), Some(port)) if url.path().is_empty() || url.path() == "/" => {
            Ok(ClamavAddress(format!("{host}:{port}")))
        }
        _ => Err(SHAPE.into()),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(
            [
                "ferry",
                "--database-url",
                "postgres://db/ferry",
                "--redis-url",
                "redis://r",
            ]
            .iter()
            .chain(args),
        )
    }

    #[test]
    fn every_common_setting_is_an_env_var() {
        let command = Cli::command();
        let mut envs: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
            .collect();
        envs.sort();
        assert_eq!(
            envs,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "BLOB_STORE",
                "CLAMAV_TIMEOUT",
                "CLAMAV_URL",
                "DATABASE_URL",
                "DEFAULT_USER_QUOTA",
                "JOB_MAX_ATTEMPTS",
                "METRICS_PORT",
                "PG_POOL_SIZE",
                "REDIS_CA_CERT",
                "REDIS_CLUSTER_URLS",
                "REDIS_KEY_PREFIX",
                "REDIS_POOL_SIZE",
                "REDIS_TLS_INSECURE",
                "REDIS_URL",
                "S3_BUCKET",
                "S3_ENDPOINT",
                "S3_PART_SIZE",
                "S3_REGION",
                "S3_REQUEST_TIMEOUT",
                "SCAN_MAX_SIZE",
                "SCAN_REQUIRED",
                "SHUTDOWN_TIMEOUT"
            ]
        );
    }

    #[test]
    fn defaults_are_those_documented() {
        let cli = parse(&[]).unwrap();
        let settings = cli.common.settings();
        assert_eq!(settings.database_url.expose_secret(), "postgres://db/ferry");
        assert!(
            matches!(&settings.redis, RedisTarget::Node(url) if url.expose_secret() == "redis://r")
        );
        assert_eq!(settings.pg_pool_size, 10);
        assert_eq!(settings.redis_pool_size, 16);
        assert_eq!(settings.redis_key_prefix, "ferry:");
        assert_eq!(cli.common.job_max_attempts, 5);
        assert_eq!(cli.common.shutdown_timeout, Duration::from_secs(25));
        assert_eq!(cli.common.metrics_port, None);
    }

    #[test]
    fn scanning_takes_a_tcp_clamd_and_needs_one_to_be_required() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.common.scan.clamav_url, None);
        assert!(!cli.common.scan.scan_required);
        assert!(!cli.common.settings().scan_new_files);
        assert_eq!(cli.common.scan.scan_max_size, 25 * 1024 * 1024);
        let cli = parse(&["--clamav-url", "tcp://127.0.0.1:3310"]).unwrap();
        assert_eq!(
            cli.common.scan.clamav_url,
            Some(ClamavAddress("127.0.0.1:3310".into()))
        );
        assert!(cli.common.settings().scan_new_files);
        for bad in [
            "127.0.0.1:3310",
            "tcp://clamd",
            "http://clamd:3310",
            "unix:///run/c",
        ] {
            assert!(parse(&["--clamav-url", bad]).is_err(), "{bad}");
        }
        assert!(parse(&["--scan-required", "true"]).is_err());
        assert!(parse(&["--scan-required", "yes"]).is_err());
        assert!(parse(&["--scan-required", "false"]).is_ok());
        let cli = parse(&["--scan-required", "true", "--clamav-url", "tcp://c:3310"]).unwrap();
        assert!(cli.common.scan.scan_required);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(parse(&["--pg-pool-size", "0"]).is_err());
        assert!(parse(&["--redis-pool-size", "1001"]).is_err());
        assert!(parse(&["--job-max-attempts", "0"]).is_err());
        assert!(parse(&["--job-max-attempts", "101"]).is_err());
        assert!(parse(&["--shutdown-timeout", "soon"]).is_err());
        assert!(
            Cli::try_parse_from([
                "ferry",
                "--database-url",
                "mysql://x",
                "--redis-url",
                "redis://r"
            ])
            .is_err()
        );
    }

    /// Parses the command line alone: the environment's own REDIS_URL (CI exports
    /// one) must not take part, so every `env = …` is switched off here.
    fn parse_redis(args: &[&str]) -> Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        let command = Cli::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.try_get_matches_from(
            ["ferry", "--database-url", "postgres://db/ferry"]
                .iter()
                .chain(args),
        )?;
        Cli::from_arg_matches(&matches)
    }

    /// The cluster node URLs the settings carry (panics unless a cluster was set).
    fn cluster_nodes(cli: &Cli) -> Vec<String> {
        let RedisTarget::Cluster(nodes) = cli.common.settings().redis else {
            panic!("a cluster was configured");
        };
        nodes.iter().map(|n| n.expose_secret().to_owned()).collect()
    }

    #[test]
    fn cluster_urls_instead_of_a_redis_url_select_the_cluster() {
        let cli = parse_redis(&[
            "--redis-cluster-urls",
            "redis://a:7000, redis://b:7001,rediss://c:7002",
        ])
        .unwrap();
        let nodes = cluster_nodes(&cli);
        assert_eq!(
            nodes,
            ["redis://a:7000", "redis://b:7001", "rediss://c:7002"]
        );
    }

    #[test]
    fn redis_tls_insecure_marks_every_rediss_url_without_a_fragment_insecure() {
        let cli = parse_redis(&[
            "--redis-tls-insecure",
            "true",
            "--redis-cluster-urls",
            "rediss://a:7000,redis://b:7001,rediss://c:7002#insecure",
        ])
        .unwrap();
        let nodes = cluster_nodes(&cli);
        assert_eq!(
            nodes,
            [
                "rediss://a:7000#insecure",
                "redis://b:7001",
                "rediss://c:7002#insecure"
            ]
        );
        let off = parse_redis(&["--redis-url", "rediss://r:6380"]).unwrap();
        assert!(
            matches!(off.common.settings().redis, RedisTarget::Node(url) if url.expose_secret() == "rediss://r:6380")
        );
    }

    #[test]
    fn exactly_one_of_redis_url_and_cluster_urls_is_accepted() {
        let both = parse_redis(&[
            "--redis-url",
            "redis://r",
            "--redis-cluster-urls",
            "redis://a:7000",
        ])
        .unwrap_err();
        assert_eq!(both.kind(), clap::error::ErrorKind::ArgumentConflict);
        let neither = parse_redis(&[]).unwrap_err();
        assert_eq!(
            neither.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert!(parse_redis(&["--redis-cluster-urls", "redis://a:7000,unix:///s"]).is_err());
        assert!(parse_redis(&["--redis-cluster-urls", "redis://a:7000,"]).is_err());
    }
}
