//! Value parsers for clap (`value_parser = …`): each returns a one-line reason on
//! failure, which `ferry` prints after the variable's name.

use std::time::Duration;

use secrecy::SecretString;

/// A duration in seconds (`25`) or with units, as humantime reads them: `500ms`,
/// `25s`, `2m`, `1h`, `7d`, `2w`, `1h 30m`.
///
/// The one hand-written part is the bare number: humantime insists on a unit, and
/// `SHUTDOWN_TIMEOUT=25` has always meant 25 seconds.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| format!("`{value}` is out of range"));
    }
    humantime::parse_duration(value)
        .map_err(|e| format!("`{value}` is not a duration (e.g. 25, 25s, 500ms, 2m, 1h, 7d): {e}"))
}

/// A byte size larger than zero: `1000000`, `512KiB`, `10MiB`, `10GiB`, `1TiB` (binary),
/// `KB`, `MB`, `GB`, `TB` (powers of 1000), as parse-size reads them (also `1.5GiB`,
/// `10 GiB`, case-insensitive units).
pub fn parse_size(value: &str) -> Result<u64, String> {
    let value = value.trim();
    match parse_size::parse_size(value) {
        Ok(0) => Err("must be larger than zero".into()),
        Ok(size) => Ok(size),
        Err(e) => Err(format!(
            "`{value}` is not a size (e.g. 10GiB, 512MiB, 1000000): {e}"
        )),
    }
}

/// A Postgres URL (`postgres://…` or `postgresql://…`), kept secret.
pub fn postgres_url(value: &str) -> Result<SecretString, String> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        Ok(SecretString::from(value))
    } else {
        Err("must start with postgres:// or postgresql://".into())
    }
}

/// A Redis URL (`redis://…`, `rediss://…` or `unix://…`), kept secret.
pub fn redis_url(value: &str) -> Result<SecretString, String> {
    if value.starts_with("redis://")
        || value.starts_with("rediss://")
        || value.starts_with("unix://")
    {
        Ok(SecretString::from(value))
    } else {
        Err("must start with redis://, rediss:// or unix://".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn durations_keep_every_form_the_docs_and_defaults_use() {
        for (text, secs) in [
            ("25", 25),
            (" 25 ", 25),
            ("0", 0),
            ("0s", 0),
            ("25s", 25),
            ("2m", 120),
            ("90m", 90 * 60),
            ("1h", 3600),
            ("24h", DAY),
            ("1d", DAY),
            ("7d", 7 * DAY),
            ("30d", 30 * DAY),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * DAY)));
    }

    #[test]
    fn durations_refuse_what_is_not_one_and_say_so_in_one_line() {
        for text in ["", "soon", "7x", "-5", "25 s s", "1.5"] {
            let error = parse_duration(text).expect_err(text);
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn sizes_keep_binary_and_decimal_units() {
        for (text, bytes) in [
            ("1000000", 1_000_000),
            ("1000", 1000),
            ("1B", 1),
            ("1KB", 1000),
            ("1MB", 1_000_000),
            ("1GB", 1_000_000_000),
            ("1TB", 1_000_000_000_000),
            ("512KiB", 512 << 10),
            ("64KiB", 64 << 10),
            ("512MiB", 512 << 20),
            ("1MiB", 1 << 20),
            ("20MiB", 20 << 20),
            ("16MiB", 16 << 20),
            ("10GiB", 10 << 30),
            ("1TiB", 1 << 40),
            ("10gib", 10 << 30),
            ("1.5 GiB", 3 << 29),
            ("2kb", 2000),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn sizes_refuse_zero_nonsense_and_overflow_in_one_line() {
        for text in ["0", "0MiB", "", "big", "10XB", "-1", "99999999999EiB"] {
            let error = parse_size(text).expect_err(text);
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme() {
        assert!(postgres_url("postgres://u@h/db").is_ok());
        assert!(postgres_url("postgresql://u@h/db").is_ok());
        assert!(postgres_url("mysql://u@h/db").is_err());
        assert!(redis_url("redis://h").is_ok());
        assert!(redis_url("rediss://h").is_ok());
        assert!(redis_url("unix:///tmp/redis.sock").is_ok());
        assert!(redis_url("http://h").is_err());
    }
}
