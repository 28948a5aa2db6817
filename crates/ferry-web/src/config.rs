//! Configuration of the `web` process type (all from the environment).

use std::{net::IpAddr, time::Duration};

use ferry_process::{CommonArgs, MailArgs, parse_duration, parse_size};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Everything `ferry web` reads from its environment.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, env = "BIND_ADDRESS", default_value = "0.0.0.0")]
    pub bind_address: IpAddr,
    /// Secret that signs session cookies; at least 32 bytes. Every web process of a
    /// deployment must share it.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true, value_parser = session_secret)]
    pub session_secret: SecretString,
    /// Public base URL (e.g. https://files.example.com): every share link is built
    /// from it; cookies are `Secure` and `__Host-` prefixed, and HSTS is sent, when it
    /// is https. Required, unless PUBLIC_URL_FROM_REQUEST=true.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<Url>,
    /// Build share links from each request's `Host` (and trusted proxies'
    /// `X-Forwarded-Host`/`-Proto`) instead of PUBLIC_URL: only where every request
    /// comes through a proxy that sets `Host` itself, or on a laptop (`ferry dev` sets
    /// it when PUBLIC_URL is unset). Otherwise whoever sends a forged `Host` is handed
    /// links to their own server.
    #[arg(long, env = "PUBLIC_URL_FROM_REQUEST", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub public_url_from_request: bool,
    /// A sign-in ends after this long, however active the session (absolute timeout).
    #[arg(long, env = "SESSION_ABSOLUTE_TTL", default_value = "30d", value_parser = parse_duration)]
    pub session_absolute_ttl: Duration,
    /// Share-password attempts per client IP per minute, right or wrong.
    #[arg(long, env = "UNLOCK_ATTEMPTS_PER_IP", default_value_t = 10)]
    pub unlock_attempts_per_ip: u32,
    /// Wrong share-password guesses per transfer per 10 minutes, all clients together.
    /// Past it, only clients still within UNLOCK_ATTEMPTS_PER_IP_AND_TRANSFER may try,
    /// so the recipient is never locked out by others' guesses.
    #[arg(long, env = "UNLOCK_ATTEMPTS_PER_TRANSFER", default_value_t = 50)]
    pub unlock_attempts_per_transfer: u32,
    /// Wrong share-password guesses one client IP may make on one transfer per 10
    /// minutes and still be let try once the transfer's UNLOCK_ATTEMPTS_PER_TRANSFER
    /// are used up. A crowd of N addresses gets at most
    /// UNLOCK_ATTEMPTS_PER_TRANSFER + N × this many guesses per 10 minutes.
    #[arg(long, env = "UNLOCK_ATTEMPTS_PER_IP_AND_TRANSFER", default_value_t = 5)]
    pub unlock_attempts_per_ip_and_transfer: u32,
    /// Sign-in attempts per client IP per 5 minutes.
    #[arg(long, env = "SIGNIN_ATTEMPTS_PER_IP", default_value_t = 20)]
    pub signin_attempts_per_ip: u32,
    /// Sign-in attempts per account per 5 minutes.
    #[arg(long, env = "SIGNIN_ATTEMPTS_PER_ACCOUNT", default_value_t = 10)]
    pub signin_attempts_per_account: u32,
    /// Idle lifetime of a session.
    #[arg(long, env = "SESSION_TTL", default_value = "7d", value_parser = parse_duration)]
    pub session_ttl: Duration,
    /// HTTP worker threads.
    #[arg(long, env = "WEB_CONCURRENCY", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub web_concurrency: u16,
    /// Largest file accepted, by every upload API (e.g. 10GiB, 512MiB, 1000000).
    #[arg(long, env = "MAX_UPLOAD_SIZE", default_value = "10GiB", value_parser = parse_size)]
    pub max_upload_size: u64,
    /// Bytes per stored chunk of a file (64KiB to 16MiB); see docs/benchmarks.md.
    #[arg(long, env = "BLOB_CHUNK_SIZE", default_value = "1MiB", value_parser = parse_chunk_size)]
    pub blob_chunk_size: u64,
    /// Lifetime of a transfer when the uploader does not say (`Max-Days`).
    #[arg(long, env = "DEFAULT_MAX_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub default_max_days: u16,
    /// Longest lifetime an uploader may ask for.
    #[arg(long, env = "MAX_DAYS_LIMIT", default_value_t = 365,
          value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub max_days_limit: u16,
    /// How long an unfinished resumable upload is kept.
    #[arg(long, env = "TUS_UPLOAD_EXPIRY", default_value = "24h", value_parser = parse_duration)]
    pub tus_upload_expiry: Duration,
    /// Proxies whose forwarding headers are believed (comma-separated CIDRs): the client
    /// address is the right-most one in CLIENT_IP_HEADER that is not one of them, and
    /// X-Forwarded-Proto/-Host from them decide the scheme (Secure cookies) and host.
    /// List only your proxies' addresses: a range that contains clients lets them
    /// choose their own address.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "127.0.0.0/8,::1/128",
          value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<IpNet>,
    /// The header TRUSTED_PROXIES append the client address to: `x-forwarded-for`
    /// (HAProxy `option forwardfor`, nginx `$proxy_add_x_forwarded_for`) or `forwarded`
    /// (RFC 7239). The other one is ignored: only a client could have written it.
    #[arg(long, env = "CLIENT_IP_HEADER", value_enum, default_value_t = ClientIpHeader::XForwardedFor)]
    pub client_ip_header: ClientIpHeader,
    /// How much of an IPv6 client address identifies one client for every per-client
    /// limit (rate limits, byte budgets, upload slots): a provider gives one subscriber
    /// a whole /64 (sometimes a /56 or /48), so the default keys on the /64. IPv4
    /// addresses count whole.
    #[arg(long, env = "CLIENT_IPV6_PREFIX", default_value_t = 64,
          value_parser = clap::value_parser!(u8).range(32..=128))]
    pub client_ipv6_prefix: u8,
    /// New uploads one client may start per hour, across the curl API (each PUT or
    /// multipart POST) and tus (each creation); 429 with `Retry-After` beyond.
    #[arg(long, env = "UPLOADS_PER_CLIENT_PER_HOUR", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub uploads_per_client_per_hour: u32,
    /// Bytes one client may store per day, across every upload API; taken before a
    /// body is accepted, given back when an upload fails. A transfer of several files
    /// counts twice (its zip is a second copy). 429 with `Retry-After` beyond.
    #[arg(long, env = "UPLOAD_BYTES_PER_CLIENT_PER_DAY", default_value = "20GiB", value_parser = parse_size)]
    pub upload_bytes_per_client_per_day: u64,
    /// Who may upload: `anyone` (the upload page, the curl API and tus are open to
    /// all), or `members` (they need a signed-in session or an API token). Share
    /// links and file requests work for anyone either way.
    #[arg(long, env = "UPLOADS", default_value = "anyone", value_enum)]
    pub uploads: Uploads,
    /// Whether anyone may make an account on `/signup` (`open`), or accounts are
    /// made by an admin only (`closed`: `ferry admin users create EMAIL`); with
    /// `UPLOADS=members`, `closed` is what keeps uploading to the team.
    #[arg(long, env = "SIGNUP", default_value = "open", value_enum)]
    pub signup: Signup,
    /// Longest lifetime of a transfer made without an account (the curl API, tus, and
    /// the upload page when not signed in); `Max-Days` above it gets 400. Signed-in
    /// users may ask for up to `MAX_DAYS_LIMIT`.
    #[arg(long, env = "MAX_DAYS_ANONYMOUS", default_value_t = 7,
          value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub max_days_anonymous: u16,
    /// `Strict-Transport-Security: max-age=…` on every response to a client on https
    /// (`PUBLIC_URL` is https, or a trusted proxy says `X-Forwarded-Proto: https`);
    /// never over plain http. `0s` turns it off.
    #[arg(long, env = "HSTS_MAX_AGE", default_value = "365d", value_parser = parse_duration)]
    pub hsts_max_age: Duration,
    /// TEST ONLY — never enable in a deployment. Serves the scaffolding the test suites
    /// use (`POST /api/jobs/demo`, `GET|POST /api/session`); off, they are 404.
    #[arg(long, env = "FERRY_TEST_ENDPOINTS", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub test_endpoints: bool,
    /// Sign-up attempts per client IP per 10 minutes.
    #[arg(long, env = "SIGNUP_ATTEMPTS_PER_IP", default_value_t = 10)]
    pub signup_attempts_per_ip: u32,
    /// Memory this process may spend on password hashing at once (argon2 takes 19 MiB
    /// per hash): budget / 19 MiB hashes run concurrently, at least one.
    #[arg(long, env = "PASSWORD_HASH_MEMORY", default_value = "64MiB", value_parser = parse_size)]
    pub password_hash_memory: u64,
    /// How long a sign-up, sign-in or unlock waits for a hashing slot before it gets
    /// 503 with `Retry-After`.
    #[arg(long, env = "PASSWORD_HASH_WAIT", default_value = "10s", value_parser = parse_duration)]
    pub password_hash_wait: Duration,
    /// A client that was counted a download of a file may resume it (Range requests for
    /// the same file from the same client address, or with the resume cookie it was
    /// given) this long without using another download. 0s: every GET counts. See docs/api.md, "Download limits".
    #[arg(long, env = "DOWNLOAD_RESUME_WINDOW", default_value = "1h", value_parser = parse_duration)]
    pub download_resume_window: Duration,
    /// Resumes one counted download of a limited file allows (each a Range request
    /// that continues where the download left off; see `DOWNLOAD_RESUME_WINDOW`).
    #[arg(long, env = "DOWNLOAD_RESUMES", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub download_resumes: u32,
    /// A request body (curl PUT, multipart POST, tus PATCH or creation-with-upload)
    /// that sends nothing for this long is dropped: 408, the partial file discarded
    /// (tus keeps the bytes committed so far, so the client can resume).
    #[arg(long, env = "UPLOAD_IDLE_TIMEOUT", default_value = "30s", value_parser = parse_positive_duration)]
    pub upload_idle_timeout: Duration,
    /// Uploads one web process receives at once, across every upload API. Each holds up
    /// to two chunks (`BLOB_CHUNK_SIZE`; on S3, `S3_PART_SIZE`): the one being stored
    /// and the next, received meanwhile. Beyond the cap a new upload gets 503 with
    /// `Retry-After` before its body is read.
    #[arg(long, env = "MAX_CONCURRENT_UPLOADS", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrent_uploads: u32,
    /// Of those, how many one client address may hold at once (the client address as
    /// `TRUSTED_PROXIES` decide it). Without it one client trickling a byte every few
    /// seconds into every slot would lock everyone else out of uploading.
    #[arg(long, env = "MAX_UPLOADS_PER_CLIENT", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_uploads_per_client: u32,
    /// Most files one transfer may hold (a multipart POST with more parts gets 400).
    #[arg(long, env = "MAX_FILES_PER_TRANSFER", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_files_per_transfer: u32,
    /// Web pages on other origins allowed to use the upload APIs from a browser (tus
    /// with Uppy or tus-js-client, the curl API, downloads): comma-separated origins
    /// (`https://app.example.com,http://localhost:3000`), or `*` for any. Unset: none,
    /// and no CORS headers at all. Cookies are never allowed cross-origin.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "", value_parser = AllowedOrigins::parse)]
    pub cors_allowed_origins: AllowedOrigins,
    /// The e-mail settings (SMTP_URL, MAIL_FROM, …): the web only enqueues mail, and
    /// shows e-mail features only when SMTP_URL is set.
    #[command(flatten)]
    pub mail: MailArgs,
    /// Most recipients one share-link mail may go to.
    #[arg(long, env = "MAIL_RECIPIENTS_PER_SEND", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub mail_recipients_per_send: u32,
    /// Sends with share-link mails one account may make per hour (each to at most
    /// MAIL_RECIPIENTS_PER_SEND recipients).
    #[arg(long, env = "LINK_MAILS_PER_ACCOUNT_PER_HOUR", default_value_t = 10)]
    pub link_mails_per_account_per_hour: u32,
    /// Sends with share-link mails per client address per hour, all accounts together.
    #[arg(long, env = "LINK_MAILS_PER_IP_PER_HOUR", default_value_t = 20)]
    pub link_mails_per_ip_per_hour: u32,
    /// "Forgot your password?" requests per client address per hour.
    #[arg(long, env = "PASSWORD_RESETS_PER_IP_PER_HOUR", default_value_t = 10)]
    pub password_resets_per_ip_per_hour: u32,
    /// Reset mails asked for one address per hour, all clients together.
    #[arg(
        long,
        env = "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR",
        default_value_t = 3
    )]
    pub password_resets_per_address_per_hour: u32,
    /// Verification mails ("send again") one account may ask for per hour.
    #[arg(long, env = "VERIFICATION_MAILS_PER_HOUR", default_value_t = 3)]
    pub verification_mails_per_hour: u32,
}

/// The origins of `CORS_ALLOWED_ORIGINS`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// None (the default): no CORS.
    #[default]
    None,
    /// `*`: any origin.
    Any,
    /// These origins, each `scheme://host[:port]` as browsers send it.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parses `CORS_ALLOWED_ORIGINS`: empty, `*`, or comma-separated origins. An entry
    /// with a path, query or user info is refused (an origin has none), so a typo
    /// cannot silently allow nothing.
    pub fn parse(value: &str) -> Result<AllowedOrigins, String> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(AllowedOrigins::None);
        }
        if value == "*" {
            return Ok(AllowedOrigins::Any);
        }
        let mut origins = Vec::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return Err("`*` allows every origin; it cannot be combined with others".into());
            }
            let url = Url::parse(entry)
                .map_err(|_| format!("`{entry}` is not an origin like https://app.example.com"))?;
            let bare = matches!(url.path(), "" | "/")
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none();
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !bare {
                return Err(format!(
                    "`{entry}` is not an origin like https://app.example.com (scheme, host and \
                     port only)"
                ));
            }
            origins.push(url.origin().ascii_serialization());
        }
        Ok(AllowedOrigins::List(origins))
    }
}

/// Where trusted proxies record the client's address.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (every line, in order).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

fn session_secret(value: &str) -> Result<SecretString, String> {
    let secret = SecretString::from(value);
    if secret.expose_secret().len() < 32 {
        return Err("must be at least 32 bytes (try: openssl rand -hex 32)".into());
    }
    Ok(secret)
}

fn parse_chunk_size(value: &str) -> Result<u64, String> {
    let size = parse_size(value)?;
    if (64 * 1024..=16 * 1024 * 1024).contains(&size) {
        Ok(size)
    } else {
        Err("must be between 64KiB and 16MiB".into())
    }
}

fn parse_cidr(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{value}` is not an IP address or CIDR"))
}

fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        d if d.is_zero() => Err("must be longer than zero".into()),
        d => Ok(d),
    }
}

impl Config {
    /// Whether `PUBLIC_URL` says clients reach Ferry over https.
    pub fn public_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }

    /// The name Ferry gives cookie `name`: `__Host-name` when `PUBLIC_URL` is https.
    /// Browsers accept a `__Host-` cookie only from a secure origin, for the whole
    /// host (`Path=/`, no `Domain`), so a sibling subdomain or a plain-http page on
    /// the same host cannot plant one (cookie fixation).
    pub fn cookie_name(&self, name: &str) -> String {
        if self.public_https() {
            format!("__Host-{name}")
        } else {
            name.to_owned()
        }
    }

    /// How many share-password guesses the unlock use case allows
    /// (`UNLOCK_ATTEMPTS_*`).
    pub fn unlock_limits(&self) -> ferry_core::UnlockLimits {
        ferry_core::UnlockLimits {
            per_client: self.unlock_attempts_per_ip,
            per_transfer: self.unlock_attempts_per_transfer,
            per_client_and_transfer: self.unlock_attempts_per_ip_and_transfer,
        }
    }

    /// The rules the service layer applies to uploads and transfers.
    pub fn policy(&self) -> ferry_core::Policy {
        ferry_core::Policy {
            lifetimes: ferry_core::Lifetimes::new(self.default_max_days, self.max_days_limit),
            anonymous_lifetimes: ferry_core::Lifetimes::new(
                self.default_max_days,
                self.max_days_anonymous.min(self.max_days_limit),
            ),
            job_max_attempts: usize::from(self.common.job_max_attempts),
            max_upload_size: self.max_upload_size,
            chunk_size: self.blob_chunk_size as usize,
            idle_timeout: self.upload_idle_timeout,
            max_files: self.max_files_per_transfer as usize,
            draft_ttl: self.session_ttl,
            upload_expiry: self.tus_upload_expiry,
            password_reset_ttl: self.mail.password_reset_ttl,
            verification_ttl: self.mail.verification_link_ttl,
        }
    }
}

/// Who may make an account (`SIGNUP`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signup {
    /// Anyone, on `/signup` (bounded per client address).
    Open,
    /// Only an admin, with `ferry admin users create`.
    Closed,
}

/// Who may upload (`UPLOADS`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uploads {
    /// Anyone, bounded per client (today's default).
    Anyone,
    /// Only signed-in users and API tokens.
    Members,
}

impl Uploads {
    /// Whether a caller without an account may upload.
    pub fn anyone(self) -> bool {
        self == Uploads::Anyone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_to_what_browsers_send_and_anything_else_is_refused() {
        assert_eq!(AllowedOrigins::parse(""), Ok(AllowedOrigins::None));
        assert_eq!(AllowedOrigins::parse(" * "), Ok(AllowedOrigins::Any));
        assert_eq!(
            AllowedOrigins::parse("https://App.Example.com/, http://localhost:3000"),
            Ok(AllowedOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/upload",
            "https://user@app.example.com",
            "ftp://app.example.com",
            "https://a.example.com,*",
        ] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}
