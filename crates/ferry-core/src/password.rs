//! Passwords as they are chosen: the rules a new password must pass before it is
//! hashed, whoever sets it (sign-up, `ferry admin users reset-password`, the sender
//! of a share password). Checking a password someone types to get in is not here:
//! that is comparing against a hash.
//!
//! Account passwords follow NIST SP 800-63B (5.1.1.2): at least 10 characters, no
//! composition rules, and refused when they are on a list of common or breached
//! passwords, made of repeated or sequential characters or dictionary words, or built
//! from the service's name or the person's own e-mail address. Two checks do that:
//!
//! - zxcvbn (Dropbox's estimator) must score the password at least 3 — an estimated
//!   10^8 guesses or more, the level zxcvbn calls "safely unguessable: moderate
//!   protection from offline slow-hash scenario". The hashes are argon2id (19 MiB and
//!   tens of milliseconds each), so 10^8 guesses is years of one core per account if
//!   the database leaks, and far beyond what the sign-in limits allow online. Score 2
//!   only claims "protection from unthrottled online attacks"; score 4 (10^10) would
//!   also refuse two- and three-word phrases people remember (`purple elephant` is
//!   10^8.0, `the big house` 10^9.6). zxcvbn carries its own frequency lists (the
//!   30,000 most common passwords of the Xato corpus, English words, names) and is
//!   given the e-mail address, its parts and "ferry" as the person's own words.
//! - `common_passwords.txt`: the 1,780 entries of 10 characters or more of the
//!   20,000-password breach list Django ships. Many of them look random to an
//!   estimator (`pe#5gz29ptzmse`, bot-made passwords) but are among the first an
//!   attacker tries, because they were in breaches.
//!
//! Share passwords only have a minimum length (see [`SharePassword`]).

use std::{collections::HashSet, fmt, sync::LazyLock};

/// Fewest characters of an account password.
pub const MIN_ACCOUNT_PASSWORD_CHARS: usize = 10;

/// Fewest characters of a share password.
pub const MIN_SHARE_PASSWORD_CHARS: usize = 8;

/// Most bytes of any password (hashing cost grows with it; 1 KiB is any passphrase).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Lowest zxcvbn score an account password may have (see the module docs for why 3).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// The bundled list, lowercased (see the module docs and the file's header).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Why a new password was refused. `Display` is one or two sentences for the person who
/// chose it: what is wrong and what would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WeakPassword {
    /// Fewer characters than the minimum (which it carries).
    TooShort(usize),
    /// More than [`MAX_PASSWORD_BYTES`].
    TooLong,
    /// The e-mail address, or its part before the `@`.
    LikeEmail,
    /// On the bundled list of common passwords.
    Common,
    /// zxcvbn scores it below 3; zxcvbn's warning and suggestions, as sentences.
    Guessable(String),
}

impl fmt::Display for WeakPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeakPassword::TooShort(min) => {
                write!(f, "Choose a password of at least {min} characters.")
            }
            WeakPassword::TooLong => write!(
                f,
                "That password is too long: at most {MAX_PASSWORD_BYTES} bytes."
            ),
            WeakPassword::LikeEmail => f.write_str(
                "Your password can't be your e-mail address. Choose something only you know.",
            ),
            WeakPassword::Common => f.write_str(
                "That password is on a list of common passwords, the first ones an attacker \
                 tries. Choose another.",
            ),
            WeakPassword::Guessable(feedback) => {
                write!(f, "That password would be easy to guess. {feedback}")
            }
        }
    }
}

impl WeakPassword {
    /// Why, in `locale`'s words, for a form. zxcvbn's own advice is English only, so
    /// other languages get a general one instead.
    pub fn message(&self, locale: crate::i18n::Locale) -> String {
        match self {
            WeakPassword::TooShort(min) => {
                locale.t_args("weak-too-short", &[("min", (*min).into())])
            }
            WeakPassword::TooLong => {
                locale.t_args("weak-too-long", &[("max", MAX_PASSWORD_BYTES.into())])
            }
            WeakPassword::LikeEmail => locale.t("weak-like-email"),
            WeakPassword::Common => locale.t("weak-common"),
            WeakPassword::Guessable(_) if locale == crate::i18n::Locale::En => self.to_string(),
            WeakPassword::Guessable(_) => locale.t("weak-guessable"),
        }
    }
}

impl std::error::Error for WeakPassword {}

impl From<WeakPassword> for crate::Error {
    fn from(weak: WeakPassword) -> crate::Error {
        crate::Error::Invalid(weak.to_string())
    }
}

/// A password an account may be given: it passed every rule of the module docs for
/// the account's e-mail address. The only way to make one is [`AccountPassword::parse`],
/// so holding one proves the check ran; hash it, never store or log it (`Debug` hides
/// it).
#[derive(Clone)]
pub struct AccountPassword(String);

impl AccountPassword {
    /// Checks `raw` as the new password of the account `email` (compared lowercased).
    /// Runs zxcvbn, which looks at the first 100 characters and takes up to ~25 ms of
    /// CPU for that many (0.4 ms for 22): call it off async threads, after the rate
    /// limits.
    pub fn parse(raw: &str, email: &str) -> Result<AccountPassword, WeakPassword> {
        check_length(raw, MIN_ACCOUNT_PASSWORD_CHARS)?;
        let email = email.trim().to_lowercase();
        let local = email.split_once('@').map_or(email.as_str(), |(l, _)| l);
        let lowered = raw.trim().to_lowercase();
        if !local.is_empty() && (lowered == email || lowered == local) {
            return Err(WeakPassword::LikeEmail);
        }
        // The person's own words: the address, its local part with and without its
        // separators (`jane.doe`, `janedoe`), each part (`jane`, `doe`, `example`), and
        // the service's name.
        let joined: String = local.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut own = vec![email.as_str(), local, &joined, "ferry"];
        own.extend(
            email
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.chars().count() >= 3),
        );
        let estimate = zxcvbn::zxcvbn(raw, &own);
        if estimate.score() < MIN_SCORE {
            let feedback = estimate
                .feedback()
                .map(|f| f.to_string().trim().to_owned())
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "Add another word or two. Uncommon words are better.".into());
            return Err(WeakPassword::Guessable(feedback));
        }
        // After zxcvbn, whose feedback says more about the passwords both refuse: what
        // is left for the list is what looks random but was in breaches.
        if COMMON.contains(raw.to_lowercase().as_str()) {
            return Err(WeakPassword::Common);
        }
        Ok(AccountPassword(raw.to_owned()))
    }

    /// The password, to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccountPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountPassword(..)")
    }
}

/// A share password: at least [`MIN_SHARE_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`], and nothing more.
///
/// Why no strength check, unlike an account password: it is a second secret on top
/// of the share link, which is itself unguessable, so only someone who already has the
/// link can guess it, and only online, against the unlock limits (docs/security.md).
/// It is chosen per transfer and read out or pasted to the recipients, so friction
/// costs every send; and NIST's rules are for the passwords of accounts. The minimum
/// length is NIST's floor for a chosen secret; it keeps out PINs and single short
/// words, which a crowd of addresses could try within a transfer's life.
#[derive(Clone)]
pub struct SharePassword(String);

impl SharePassword {
    /// Parses the sender's form field: empty means no password.
    pub fn parse_optional(raw: &str) -> Result<Option<SharePassword>, WeakPassword> {
        if raw.is_empty() {
            return Ok(None);
        }
        check_length(raw, MIN_SHARE_PASSWORD_CHARS)?;
        Ok(Some(SharePassword(raw.to_owned())))
    }

    /// The password, to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharePassword(..)")
    }
}

fn check_length(raw: &str, min_chars: usize) -> Result<(), WeakPassword> {
    if raw.len() > MAX_PASSWORD_BYTES {
        Err(WeakPassword::TooLong)
    } else if raw.chars().count() < min_chars {
        Err(WeakPassword::TooShort(min_chars))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "Margaret.Hamilton@Example.org";

    fn refused(raw: &str) -> WeakPassword {
        AccountPassword::parse(raw, EMAIL).expect_err(raw)
    }

    fn guessable(raw: &str) -> String {
        match refused(raw) {
            WeakPassword::Guessable(feedback) => feedback,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn repeats_spaces_and_common_passwords_are_refused_with_zxcvbns_reason() {
        assert!(guessable("aaaaaaaaaa").contains("Repeats like"));
        assert!(guessable("          ").contains("Repeats like"));
        assert!(guessable("password123").contains("very common password"));
        assert!(guessable("password1234").contains("very common password"));
        assert!(guessable("qwertyuiop").contains("common password"));
        assert!(
            refused("aaaaaaaaaa")
                .to_string()
                .starts_with("That password would be easy to guess. Repeats like")
        );
    }

    #[test]
    fn the_e_mail_address_and_words_from_it_are_refused() {
        assert_eq!(
            refused("margaret.hamilton@example.org"),
            WeakPassword::LikeEmail
        );
        assert_eq!(refused(" MARGARET.HAMILTON "), WeakPassword::LikeEmail);
        guessable("margarethamilton1969");
        guessable("Margaret.Hamilton!");
        guessable("ferryferry1");
    }

    #[test]
    fn breached_passwords_that_look_random_are_refused_by_the_bundled_list() {
        assert_eq!(COMMON.len(), 1780);
        assert!(COMMON.iter().all(|p| p.chars().count() >= 10));
        assert!(COMMON.iter().all(|p| *p == p.to_lowercase()));
        for raw in ["w66yrybgra", "Laurel12Creek", "mega_pizdetz666"] {
            assert_eq!(refused(raw), WeakPassword::Common, "{raw}");
        }
    }

    #[test]
    fn lengths_are_counted_in_characters_and_capped_in_bytes() {
        assert_eq!(refused("Zq9!vT"), WeakPassword::TooShort(10));
        assert_eq!(refused("Zq9!vTx2#"), WeakPassword::TooShort(10));
        assert_eq!(refused(&"x".repeat(1025)), WeakPassword::TooLong);
        // Ten characters in twenty bytes: long enough, and unusual enough.
        assert!(AccountPassword::parse("ŝĉĥĵŭĝŝĉĥĵ", EMAIL).is_ok());
    }

    #[test]
    fn passphrases_and_random_strings_pass_and_are_never_printed() {
        for raw in [
            "lantern quiver oatmeal",
            "correct horse battery staple",
            "Xk3#pL9!vQ2m",
            "2k8WhfB3T0kP7xRmZ1qL9w",
        ] {
            let password = AccountPassword::parse(raw, EMAIL).expect(raw);
            assert_eq!(password.expose(), raw);
            assert_eq!(format!("{password:?}"), "AccountPassword(..)");
        }
    }

    #[test]
    fn a_share_password_needs_only_its_minimum_length() {
        assert!(SharePassword::parse_optional("").unwrap().is_none());
        assert_eq!(
            SharePassword::parse_optional("1234567").unwrap_err(),
            WeakPassword::TooShort(8)
        );
        let weak_but_long_enough = SharePassword::parse_optional("12345678").unwrap().unwrap();
        assert_eq!(weak_but_long_enough.expose(), "12345678");
        assert_eq!(format!("{weak_but_long_enough:?}"), "SharePassword(..)");
        assert_eq!(
            SharePassword::parse_optional(&"x".repeat(1025)).unwrap_err(),
            WeakPassword::TooLong
        );
    }
}
