//! Ferry's languages: every word a person reads — pages, form errors, flash
//! messages, the upload page's script, the mails — is a key of the Fluent catalogues
//! under `crates/ferry-core/locales/{en,de,fr,es,ar}/`, compiled into the binary by
//! `fluent-templates`. They live here, below web and worker, because both speak:
//! the web renders pages, the worker composes mails.
//!
//! A [`Locale`] is parsed once from a language tag (`de-AT` → German) and knows its
//! writing direction; [`Locale::negotiate`] picks one from an `Accept-Language`
//! header by q-value. A lookup never fails at run time: a key a catalogue lacks falls
//! back to English (and a key English lacks shows as the key), but the catalogue test
//! below fails the build first. Sizes and dates are formatted here too, from the
//! glibc locale data that chrono's `unstable-locales` reads (`pure-rust-locales`), so
//! a decimal comma or a month name is data, not a hand-written table.
//!
//! A new string: add its key to every `ferry.ftl` (English first), then call
//! [`Locale::t`] or [`Locale::t_args`]. A new language: a directory of `.ftl` files,
//! a [`Locale`] variant, and its name and locale data below.

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
};

use chrono::{DateTime, Utc};
use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid};

fluent_templates::static_loader! {
    static CATALOGUES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: pages and mails set the
        // direction of user text themselves (`dir="auto"`, `<bdi>`), and marks in
        // subjects and plain text show as junk in some mail clients.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language Ferry speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English, the fallback.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Arabic (written right to left).
    Ar,
}

/// An argument of a message: a count (chooses the plural form) or a text.
pub type Arg<'a> = (&'static str, FluentValue<'a>);

impl Locale {
    /// Every language, in the order the switcher offers them.
    pub const ALL: [Locale; 5] = [Locale::En, Locale::De, Locale::Fr, Locale::Es, Locale::Ar];

    /// The language of tag `tag` (`de`, `de-AT`, `FR_ca`; case and region ignored),
    /// if Ferry speaks it.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Locale::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The best language of an `Accept-Language` header that Ferry speaks (highest
    /// q-value first, then the order given); `None` when it names none of them or
    /// cannot be read.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::trim))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())
                .filter(|q| q.is_finite() && (0.0..=1.0).contains(q));
            let (Some(q), Some(locale)) = (q, Locale::parse(tag)) else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, locale)| locale)
    }

    /// The language's code: `lang` attribute, cookie value, form value.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
            Locale::Ar => "ar",
        }
    }

    /// The writing direction (`dir` attribute): `rtl` for Arabic, `ltr` otherwise.
    pub fn dir(self) -> &'static str {
        match self {
            Locale::Ar => "rtl",
            _ => "ltr",
        }
    }

    /// The language's name in itself (the switcher names each language so that its
    /// readers find it whatever the page's language).
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::De => "Deutsch",
            Locale::Fr => "Français",
            Locale::Es => "Español",
            Locale::Ar => "العربية",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Locale::En => langid!("en"),
            Locale::De => langid!("de"),
            Locale::Fr => langid!("fr"),
            Locale::Es => langid!("es"),
            Locale::Ar => langid!("ar"),
        }
    }

    /// glibc's locale data for this language (month names, decimal separator).
    fn data(self) -> chrono::Locale {
        match self {
            Locale::En => chrono::Locale::en_US,
            Locale::De => chrono::Locale::de_DE,
            Locale::Fr => chrono::Locale::fr_FR,
            Locale::Es => chrono::Locale::es_ES,
            Locale::Ar => chrono::Locale::ar_EG,
        }
    }

    /// Every message key (English's; every catalogue has the same, as a test
    /// checks), in catalogue order.
    pub fn keys() -> Vec<&'static str> {
        include_str!("../locales/en/ferry.ftl")
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim()))
            .collect()
    }

    /// Message `key` in this language.
    pub fn t(self, key: &str) -> String {
        self.t_args(key, &[])
    }

    /// Message `key` in this language with `args` (`("count", 3.into())` picks the
    /// plural form; `("name", "a.txt".into())` is spliced in).
    pub fn t_args(self, key: &str, args: &[Arg]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        CATALOGUES
            .try_lookup_complete(&self.id(), key, Some(&args))
            .unwrap_or_else(|| {
                tracing::warn!(
                    key,
                    locale = self.code(),
                    "message missing from every catalogue"
                );
                key.to_owned()
            })
    }

    /// The forms of message `key` for each plural category of this language (CLDR:
    /// `zero`, `one`, `two`, `few`, `many`, `other`), with `{arg}` where the count
    /// goes: for a script, which picks the category with `Intl.PluralRules` and fills
    /// in the count. Each form is the catalogue's, formatted with a number of that
    /// category (the list below is CLDR's, for the languages here).
    pub fn plural_forms(self, key: &str, arg: &'static str) -> BTreeMap<&'static str, String> {
        let samples: &[(&'static str, i64)] = match self {
            Locale::Ar => &[
                ("zero", 0),
                ("one", 1),
                ("two", 2),
                ("few", 3),
                ("many", 11),
                ("other", 100),
            ],
            Locale::Fr | Locale::Es => &[("one", 1), ("many", 1_000_000), ("other", 2)],
            Locale::En | Locale::De => &[("one", 1), ("other", 2)],
        };
        samples
            .iter()
            .map(|&(category, n)| {
                let text = self.t_args(key, &[(arg, n.into())]);
                (
                    category,
                    text.replacen(&n.to_string(), &format!("{{{arg}}}"), 1),
                )
            })
            .collect()
    }

    /// The sign between a number's whole part and its fraction ("." or ",").
    pub fn decimal_sign(self) -> &'static str {
        pure_rust_locales::locale_match!(self.data() => LC_NUMERIC::DECIMAL_POINT)
    }

    /// A size in decimal units, as file managers show it, in this language's digits
    /// and units: "1.5 MB", "1,5 MB", "1,5 Mo".
    pub fn size(self, bytes: i64) -> String {
        const UNITS: [&str; 5] = ["size-b", "size-kb", "size-mb", "size-gb", "size-tb"];
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= 1000.0 && unit < UNITS.len() - 1 {
            value /= 1000.0;
            unit += 1;
        }
        let number = if unit == 0 {
            bytes.to_string()
        } else {
            format!("{value:.1}").replace('.', self.decimal_sign())
        };
        self.t_args(UNITS[unit], &[("n", number.into())])
    }

    /// A moment as this language writes a date and time ("7 December 2026, 17:30
    /// UTC", "7. Dezember 2026, 17:30 UTC").
    pub fn date_time(self, at: DateTime<Utc>) -> String {
        let pattern = match self {
            Locale::En => "%-d %B %Y, %H:%M UTC",
            Locale::De => "%-d. %B %Y, %H:%M UTC",
            Locale::Fr | Locale::Es | Locale::Ar => "%-d %B %Y, %H:%M UTC",
        };
        at.format_localized(pattern, self.data()).to_string()
    }
}

/// Every numeric argument a message takes (`{ $count }`, …): a new one is added
/// here, where the catalogue tests and the untranslated-text detector find it.
pub const NUMBER_ARGUMENTS: [&str; 16] = [
    "count",
    "days",
    "left",
    "minutes",
    "max",
    "min",
    "seconds",
    "pct",
    "done",
    "failed",
    "status",
    "remaining",
    "pid",
    "seen",
    "low",
    "high",
];

/// Every text argument a message takes (`{ $name }`, …; sizes and dates arrive
/// already written).
pub const TEXT_ARGUMENTS: [&str; 24] = [
    "name",
    "n",
    "size",
    "email",
    "address",
    "sender",
    "what",
    "link",
    "url",
    "title",
    "total",
    "date",
    "path",
    "reason",
    "message",
    "files",
    "version",
    "uptime",
    "last",
    "next",
    "used",
    "field",
    "value",
    "signature",
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The message keys (and `key.attribute`s) of one language's `.ftl` files.
    fn keys(locale: Locale) -> BTreeSet<String> {
        let dir = format!("{}/locales/{}", env!("CARGO_MANIFEST_DIR"), locale.code());
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("a catalogue directory") {
            let path = entry.expect("a catalogue file").path();
            let text = std::fs::read_to_string(&path).expect("a readable catalogue");
            let resource = fluent_templates::fluent_bundle::FluentResource::try_new(text)
                .unwrap_or_else(|(_, e)| panic!("{} does not parse: {e:?}", path.display()));
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(message) = entry {
                    keys.insert(message.id.name.to_owned());
                    for attribute in &message.attributes {
                        keys.insert(format!("{}.{}", message.id.name, attribute.id.name));
                    }
                }
            }
        }
        keys
    }

    /// Sample arguments that every message's variables are among.
    fn samples() -> Vec<Arg<'static>> {
        let mut args: Vec<Arg> = NUMBER_ARGUMENTS
            .into_iter()
            .map(|name| (name, FluentValue::from(3)))
            .collect();
        for name in TEXT_ARGUMENTS {
            args.push((name, FluentValue::from("x")));
        }
        args
    }

    #[test]
    fn every_catalogue_has_exactly_the_keys_of_english() {
        let english = keys(Locale::En);
        assert_eq!(
            Locale::keys()
                .into_iter()
                .map(str::to_owned)
                .collect::<BTreeSet<_>>(),
            english
        );
        assert!(english.len() > 50, "English has {} keys", english.len());
        for locale in Locale::ALL {
            let theirs = keys(locale);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", locale.code());
            assert!(
                extra.is_empty(),
                "{} has keys English lacks: {extra:?}",
                locale.code()
            );
        }
    }

    #[test]
    fn every_message_formats_in_every_language() {
        let args: HashMap<Cow<'static, str>, FluentValue> = samples()
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect();
        for locale in Locale::ALL {
            for key in keys(locale) {
                for count in [0, 1, 2, 3, 11, 100, 101] {
                    let mut args = args.clone();
                    for name in [
                        "count", "days", "left", "minutes", "seconds", "done", "failed",
                    ] {
                        args.insert(Cow::Borrowed(name), FluentValue::from(count));
                    }
                    let text = CATALOGUES
                        .lookup_single_language(&locale.id(), &key, Some(&args))
                        .unwrap_or_else(|e| panic!("{} {key}: {e:?}", locale.code()));
                    assert!(!text.trim().is_empty(), "{} {key} is empty", locale.code());
                }
            }
        }
    }

    #[test]
    fn a_language_is_negotiated_by_q_value_and_region_falls_back_to_the_language() {
        assert_eq!(
            Locale::negotiate("de-AT,de;q=0.9,en;q=0.8"),
            Some(Locale::De)
        );
        assert_eq!(Locale::negotiate("en;q=0.5, fr-CA;q=0.9"), Some(Locale::Fr));
        assert_eq!(Locale::negotiate("ja, ar;q=0.1"), Some(Locale::Ar));
        assert_eq!(Locale::negotiate("ja, zh"), None);
        assert_eq!(Locale::negotiate("de;q=0, es;q=abc"), None);
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("*"), None);
        assert_eq!(Locale::parse("ES"), Some(Locale::Es));
        assert_eq!(Locale::parse("english"), None);
        assert_eq!(Locale::Ar.dir(), "rtl");
        assert_eq!(Locale::De.dir(), "ltr");
    }

    #[test]
    fn counts_choose_the_plural_form_of_the_language() {
        let left = |l: Locale, n: i64| l.t_args("downloads-left", &[("left", n.into())]);
        assert_eq!(left(Locale::En, 1), "1 download left");
        assert_eq!(left(Locale::En, 5), "5 downloads left");
        let arabic: BTreeSet<String> = [0, 1, 2, 3, 11, 100]
            .into_iter()
            .map(|n| left(Locale::Ar, n))
            .collect();
        assert_eq!(arabic.len(), 6, "Arabic's six plural forms: {arabic:?}");
        let forms = Locale::En.plural_forms("js-ready", "done");
        assert_eq!(forms["one"], "{done} file uploaded — ready to send.");
        assert_eq!(forms["other"], "{done} files uploaded — ready to send.");
    }

    #[test]
    fn sizes_and_dates_read_as_the_language_writes_them() {
        assert_eq!(Locale::En.size(999), "999 B");
        assert_eq!(Locale::En.size(1_500_000), "1.5 MB");
        assert_eq!(Locale::De.size(1_500_000), "1,5 MB");
        assert_eq!(Locale::Fr.size(1_500_000), "1,5 Mo");
        assert_eq!(Locale::Es.size(1_500_000), "1,5 MB");
        let at = DateTime::parse_from_rfc3339("2026-12-07T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Locale::En.date_time(at), "7 December 2026, 17:30 UTC");
        assert_eq!(Locale::De.date_time(at), "7. Dezember 2026, 17:30 UTC");
        assert!(Locale::Fr.date_time(at).contains("décembre"));
    }
}
