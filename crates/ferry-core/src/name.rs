//! File names. Names come from strangers: every way in (curl path, multipart part, tus
//! metadata) turns the raw name into a [`FileName`] here, once, and everything after
//! holds a name that is one safe, visible path segment of at most 255 bytes. How a
//! stored file is presented to a browser is the web's business (`ferry-web`'s
//! `names.rs`).

use std::collections::{HashMap, HashSet};

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest stored file name, in bytes (the common filesystem limit).
pub const MAX_NAME_BYTES: usize = 255;

/// A file name that is safe to store, show and serve (see [`sanitize`]). The only way
/// to make one is to parse a raw name, so holding one proves it was cleaned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileName(String);

impl FileName {
    /// Cleans a raw name from a client. Never fails: a name with nothing usable left
    /// becomes `file`.
    pub fn parse(raw: &str) -> FileName {
        FileName(sanitize(raw))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The MIME type its extension suggests (the worker sniffs the real one later).
    pub fn guess_type(&self) -> String {
        mime_guess::from_path(&self.0)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_owned()
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<FileName> for String {
    fn from(name: FileName) -> String {
        name.0
    }
}

/// Reduces `raw` to a safe file name: the last path segment, without control
/// characters or invisible format characters (Unicode categories Cc, Cf, Zl, Zp: a
/// right-to-left override would show `\u{202E}txt.exe` as `exe.txt`), never `.`/`..` or
/// hidden-by-accident, at most 255 bytes (cut on a character boundary, keeping the
/// extension), never empty.
pub fn sanitize(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| match c {
            '"' | '<' | '>' | '|' | '?' | '*' | ':' => '_',
            c => c,
        })
        .collect();
    // Leading dots and spaces in any order (". ." must not become ".").
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    let name = if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed.to_owned()
    };
    truncate_keeping_extension(&name, MAX_NAME_BYTES)
}

/// Characters that are never shown as themselves: controls, format characters (bidi
/// overrides and isolates, zero-width joiners, BOM, tags …) and the line and paragraph
/// separators.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if name.len() - i <= 16 && i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}", &stem[..cut], ext)
}

/// The names given so far to the files of one transfer; hands out unique ones,
/// appending ` (2)`, ` (3)`, … before the extension. Each name costs a constant number
/// of set operations on average: a per-name counter remembers the next suffix to try,
/// so 10,000 files called `f.txt` take linear time, not cubic.
#[derive(Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
    next_suffix: HashMap<String, u64>,
}

impl UniqueNames {
    /// Returns `name`, or the first free numbered variant of it, and marks it taken.
    pub fn claim_name(&mut self, name: FileName) -> FileName {
        FileName(self.claim(name.0))
    }

    /// Returns `name`, or the first free numbered variant of it, and marks it taken.
    /// The result is at most [`MAX_NAME_BYTES`] long when `name` is.
    pub fn claim(&mut self, name: String) -> String {
        if !self.taken.contains(&name) {
            self.taken.insert(name.clone());
            return name;
        }
        let (stem, ext) = split_extension(&name);
        let next = self.next_suffix.entry(name.clone()).or_insert(2);
        loop {
            let candidate = with_suffix(stem, ext, *next);
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for UniqueNames {
    fn from_iter<I: IntoIterator<Item = S>>(names: I) -> UniqueNames {
        UniqueNames {
            taken: names.into_iter().map(|n| n.as_ref().to_owned()).collect(),
            next_suffix: HashMap::new(),
        }
    }
}

/// Makes `name` unique among `taken` by appending ` (2)`, ` (3)`, … before the extension.
/// For many names, use one [`UniqueNames`] instead of calling this per name.
#[cfg(test)]
fn unique(name: String, taken: &[String]) -> String {
    taken.iter().collect::<UniqueNames>().claim(name)
}

fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// `stem (n)ext`, with the stem cut (on a character boundary) so that the whole stays
/// within [`MAX_NAME_BYTES`] and the suffix is never cut off.
fn with_suffix(stem: &str, ext: &str, n: u64) -> String {
    let suffix = format!(" ({n})");
    let mut room = MAX_NAME_BYTES.saturating_sub(suffix.len() + ext.len());
    if room >= stem.len() {
        return format!("{stem}{suffix}{ext}");
    }
    while !stem.is_char_boundary(room) {
        room -= 1;
    }
    format!("{}{suffix}{ext}", &stem[..room])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_like_names_keep_only_their_last_segment() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(sanitize(".."), "file");
        assert_eq!(sanitize("/"), "file");
        assert_eq!(sanitize(".bashrc"), "bashrc");
    }

    #[test]
    fn control_characters_and_quotes_are_removed() {
        assert_eq!(sanitize("a\nb\u{0}c.txt"), "abc.txt");
        assert_eq!(sanitize("say \"hi\".txt"), "say _hi_.txt");
    }

    #[test]
    fn long_names_are_cut_to_255_bytes_keeping_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(300));
        let cut = sanitize(&long);
        assert!(cut.len() <= 255, "{}", cut.len());
        assert!(cut.ends_with(".gz"));
        assert!(cut.starts_with('é'));
    }

    #[test]
    fn format_characters_and_separators_are_stripped() {
        assert_eq!(sanitize("\u{202E}txt.exe"), "txt.exe");
        assert_eq!(
            sanitize("a\u{2066}b\u{200B}c\u{FEFF}d\u{2028}e\u{2029}.txt"),
            "abcde.txt"
        );
        assert_eq!(sanitize("\u{202E}\u{200F}"), "file");
        assert_eq!(sanitize("\u{E0041}tag.txt"), "tag.txt");
    }

    #[test]
    fn many_equal_names_get_numbers_in_order() {
        let mut names = UniqueNames::default();
        let given: Vec<String> = (0..1000).map(|_| names.claim("f.txt".into())).collect();
        assert_eq!(given[0], "f.txt");
        assert_eq!(given[1], "f (2).txt");
        assert_eq!(given[999], "f (1000).txt");
        // An explicit "f (3).txt" already taken is skipped, not repeated.
        let mut names = UniqueNames::default();
        names.claim("f (3).txt".into());
        names.claim("f.txt".into());
        assert_eq!(names.claim("f.txt".into()), "f (2).txt");
        assert_eq!(names.claim("f.txt".into()), "f (4).txt");
    }

    #[test]
    fn a_numbered_name_never_loses_its_number_to_the_length_cut() {
        let long = format!("{}.txt", "x".repeat(251));
        let mut names = UniqueNames::default();
        let first = names.claim(sanitize(&long));
        let second = names.claim(sanitize(&long));
        assert_ne!(first, second);
        assert!(
            second.len() <= MAX_NAME_BYTES && second.ends_with(" (2).txt"),
            "{second}"
        );
    }

    #[test]
    fn duplicate_names_get_a_number() {
        let taken = vec!["a.txt".to_owned(), "a (2).txt".to_owned()];
        assert_eq!(unique("a.txt".into(), &taken), "a (3).txt");
        assert_eq!(unique("b.txt".into(), &taken), "b.txt");
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;

        fn invisible(c: char) -> bool {
            is_invisible(c)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// Whatever a client sends as a name, the stored name is one visible,
            /// non-empty path segment within 255 bytes that hides nothing.
            #[test]
            fn sanitised_names_are_safe(raw in any::<String>()) {
                let name = sanitize(&raw);
                prop_assert!(!name.is_empty());
                prop_assert!(name.len() <= MAX_NAME_BYTES);
                prop_assert!(!name.contains(['/', '\\']));
                prop_assert!(!name.starts_with('.'));
                prop_assert!(!name.chars().any(invisible), "{:?}", name);
            }

            /// Names built from the characters attackers like (bidi controls, separators,
            /// dots, long runs) are just as safe.
            #[test]
            fn sanitised_hostile_names_are_safe(
                raw in "[\u{202A}-\u{202E}\u{2066}-\u{2069}\u{200B}-\u{200F}\u{2028}\u{2029}\u{FEFF}\u{0}-\u{1F}./\\\\a-zé ]{0,300}"
            ) {
                let name = sanitize(&raw);
                prop_assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES);
                prop_assert!(!name.contains(['/', '\\']) && !name.starts_with('.'));
                prop_assert!(!name.chars().any(invisible), "{:?}", name);
            }

        }

        proptest! {
            // Each case claims up to 60 names of up to 260 bytes: fewer cases.
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            /// Every claimed name is distinct and stays within 255 bytes.
            #[test]
            fn claimed_names_are_unique(raws in proptest::collection::vec("[ab.]{0,3}|x{250,260}\\.txt", 1..60)) {
                let mut names = UniqueNames::default();
                let mut seen = std::collections::HashSet::new();
                for raw in raws {
                    let name = names.claim(sanitize(&raw));
                    prop_assert!(name.len() <= MAX_NAME_BYTES, "{}", name.len());
                    prop_assert!(seen.insert(name.clone()), "{name} given twice");
                }
            }
        }
    }
}
