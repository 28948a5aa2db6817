//! Connection settings, read from the environment by clap (so `--help` lists them).

use std::time::Duration;

use secrecy::SecretString;

/// Connection settings for the backing services, shared by every process type.
#[derive(clap::Args, Clone, Debug)]
pub struct Settings {
    /// Postgres URL of the database holding files, jobs and schedules.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = postgres_url)]
    pub database_url: SecretString,
    /// Redis URL of the Redis holding sessions and short-lived coordination.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_parser = redis_url)]
    pub redis_url: SecretString,
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
}

fn postgres_url(value: &str) -> Result<SecretString, String> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        Ok(SecretString::from(value))
    } else {
        Err("must start with postgres:// or postgresql://".into())
    }
}

fn redis_url(value: &str) -> Result<SecretString, String> {
    if value.starts_with("redis://")
        || value.starts_with("rediss://")
        || value.starts_with("unix://")
    {
        Ok(SecretString::from(value))
    } else {
        Err("must start with redis://, rediss:// or unix://".into())
    }
}

/// Parses a duration given in seconds (`25`) or with a unit (`500ms`, `25s`, `2m`, `1h`, `7d`).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => value.split_at(i),
        None => (value, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a duration (e.g. 25, 25s, 500ms, 2m, 1h, 7d)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        "d" => Ok(Duration::from_secs(n.saturating_mul(86_400))),
        _ => Err(format!(
            "`{value}` has an unknown unit (use ms, s, m, h or d)"
        )),
    }
}

/// Parses a byte size: `1000`, `512KiB`, `10MiB`, `10GiB`, `1TiB` (also KB/MB/GB as 1000s).
pub fn parse_size(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a size (e.g. 10GiB, 512MiB, 1000000)"))?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(format!(
                "`{other}` is not a size unit (use B, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    n.checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{value}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_days_for_retention_ages() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("25"), Ok(Duration::from_secs(25)));
        assert!(parse_duration("7w").is_err());
    }
}
