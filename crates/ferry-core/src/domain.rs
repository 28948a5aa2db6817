//! Domain types that validate once. A value of one of these types has been checked;
//! every way in (curl headers, tus metadata, the UI's form) parses into them, so the
//! rules and their messages live here and nowhere else.

use std::fmt;

use chrono::{DateTime, Utc};

/// The largest download limit an uploader may ask for.
pub const MAX_DOWNLOADS_LIMIT: i32 = 1_000_000;

/// A download limit: a whole number from 1 to [`MAX_DOWNLOADS_LIMIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxDownloads(i32);

impl MaxDownloads {
    /// Parses a client's value. The error completes a sentence that starts with the
    /// field's name (`Max-Downloads must be …`).
    pub fn parse(value: &str) -> Result<MaxDownloads, String> {
        value
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=MAX_DOWNLOADS_LIMIT).contains(n))
            .map(MaxDownloads)
            .ok_or_else(|| format!("must be a whole number from 1 to {MAX_DOWNLOADS_LIMIT}"))
    }

    /// Parses an optional form field: empty means no limit.
    pub fn parse_optional(value: &str) -> Result<Option<MaxDownloads>, String> {
        match value.trim() {
            "" => Ok(None),
            value => MaxDownloads::parse(value).map(Some),
        }
    }

    /// The limit.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// How long transfers may live, from the deployment's settings: the default lifetime
/// and the longest one an uploader may ask for.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    default: MaxDays,
    longest: u16,
}

impl Lifetimes {
    /// `default` days unless asked otherwise, at most `longest`. A default above the
    /// longest is lowered to it.
    pub fn new(default: u16, longest: u16) -> Lifetimes {
        let longest = longest.max(1);
        Lifetimes {
            default: MaxDays(default.clamp(1, longest)),
            longest,
        }
    }

    /// The lifetime when the uploader does not say.
    pub fn default_days(&self) -> MaxDays {
        self.default
    }

    /// The longest lifetime an uploader may ask for, in days.
    pub fn longest(&self) -> u16 {
        self.longest
    }

    /// Parses an uploader's lifetime. The error completes a sentence that starts with
    /// the field's name (`Max-Days must be …`).
    pub fn parse(&self, value: &str) -> Result<MaxDays, String> {
        value
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=self.longest).contains(n))
            .map(MaxDays)
            .ok_or_else(|| format!("must be a whole number from 1 to {}", self.longest))
    }

    /// Parses an optional value: absent means the default.
    pub fn parse_or_default(&self, value: Option<&str>) -> Result<MaxDays, String> {
        value.map_or(Ok(self.default), |v| self.parse(v))
    }
}

/// A transfer's lifetime in days, within the deployment's [`Lifetimes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxDays(u16);

impl MaxDays {
    /// The number of days.
    pub fn get(self) -> u16 {
        self.0
    }

    /// When a transfer made at `now` with this lifetime expires.
    pub fn expires_at(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::days(i64::from(self.0))
    }
}

impl fmt::Display for MaxDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `Max-Downloads` and `Max-Days` of a new transfer.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Download limit, if any.
    pub max_downloads: Option<MaxDownloads>,
    /// Lifetime.
    pub max_days: MaxDays,
}

impl Limits {
    /// Parses both from a client's optional values, naming the field in the error
    /// (`Max-Days must be a whole number from 1 to 365`).
    pub fn parse(
        lifetimes: &Lifetimes,
        max_downloads: Option<&str>,
        max_days: Option<&str>,
    ) -> Result<Limits, crate::Error> {
        Ok(Limits {
            max_downloads: max_downloads
                .map(MaxDownloads::parse)
                .transpose()
                .map_err(|e| crate::Error::invalid(format!("Max-Downloads {e}")))?,
            max_days: lifetimes
                .parse_or_default(max_days)
                .map_err(|e| crate::Error::invalid(format!("Max-Days {e}")))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn download_limits_are_whole_numbers_within_range() {
        assert_eq!(MaxDownloads::parse(" 3 ").unwrap().get(), 3);
        assert!(MaxDownloads::parse("0").is_err());
        assert!(MaxDownloads::parse("-1").is_err());
        assert!(MaxDownloads::parse("1000001").is_err());
        assert!(MaxDownloads::parse("1.5").is_err());
        assert_eq!(MaxDownloads::parse_optional("  ").unwrap(), None);
    }

    #[test]
    fn lifetimes_default_when_absent_and_refuse_past_the_longest() {
        let lifetimes = Lifetimes::new(14, 365);
        assert_eq!(lifetimes.parse_or_default(None).unwrap().get(), 14);
        assert_eq!(lifetimes.parse("365").unwrap().get(), 365);
        let err = lifetimes.parse("366").unwrap_err();
        assert_eq!(err, "must be a whole number from 1 to 365");
        assert!(lifetimes.parse("0").is_err());
        // A default above the longest cannot sneak past it.
        assert_eq!(Lifetimes::new(30, 7).default_days().get(), 7);
    }

    #[test]
    fn limits_name_the_field_that_is_wrong() {
        let lifetimes = Lifetimes::new(14, 30);
        let err = Limits::parse(&lifetimes, Some("x"), None).unwrap_err();
        assert!(
            err.to_string().starts_with("Max-Downloads must be"),
            "{err}"
        );
        let err = Limits::parse(&lifetimes, None, Some("31")).unwrap_err();
        assert!(err.to_string().starts_with("Max-Days must be"), "{err}");
    }

    proptest! {
        /// Whatever a client sends, an accepted value is within its range.
        #[test]
        fn accepted_values_are_always_in_range(raw in "\\PC{0,12}", longest in 1u16..3650) {
            if let Ok(n) = MaxDownloads::parse(&raw) {
                prop_assert!((1..=MAX_DOWNLOADS_LIMIT).contains(&n.get()));
            }
            if let Ok(days) = Lifetimes::new(14, longest).parse(&raw) {
                prop_assert!((1..=longest).contains(&days.get()));
            }
        }
    }
}
