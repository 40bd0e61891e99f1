//! The case reference carried in every outgoing subject, e.g. `EGOV-2026-0042-K7QX`.
//!
//! The year and sequence make it readable; the random suffix makes it hard to guess, so a
//! stranger cannot write "about" a case by counting. References issued before suffixes
//! existed (`EGOV-2026-0042`) stay valid as they are.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

/// The tag that identifies a case in subjects: `EGOV-<year>-<sequence>[-<suffix>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef {
    year: u16,
    sequence: u32,
    suffix: Option<String>,
}

/// Letters and digits that cannot be misread for one another (no I/1, L, O/0).
const SUFFIX_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Suffix length: 31^4, nearly a million references per sequence number.
const SUFFIX_LEN: usize = 4;

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bEGOV-(\d{4})-(\d{4,7})(?:-([A-HJKMNP-Z2-9]{4}))?\b")
        .expect("static regex is valid")
});

impl CaseRef {
    /// Builds the reference of the `sequence`-th case opened in `year`, without a suffix
    /// (the form of references issued before suffixes).
    pub fn new(year: u16, sequence: u32) -> Self {
        Self {
            year,
            sequence,
            suffix: None,
        }
    }

    /// A new reference for the `sequence`-th case opened in `year`, with a random suffix.
    pub fn issue(year: u16, sequence: u32) -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let suffix = (0..SUFFIX_LEN)
            .map(|_| char::from(SUFFIX_ALPHABET[rng.gen_range(0..SUFFIX_ALPHABET.len())]))
            .collect();
        Self {
            year,
            sequence,
            suffix: Some(suffix),
        }
    }

    /// Finds the first case reference written anywhere in `text` (a subject line, usually).
    pub fn find_in(text: &str) -> Option<Self> {
        let caps = TAG.captures(text)?;
        let year = caps[1].parse().ok()?;
        let sequence = caps[2].parse().ok()?;
        let suffix = caps.get(3).map(|m| m.as_str().to_ascii_uppercase());
        Some(Self {
            year,
            sequence,
            suffix,
        })
    }

    /// The subject tag, `[EGOV-2026-0042]`.
    pub fn tag(&self) -> String {
        format!("[{self}]")
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match &self.suffix {
            Some(suffix) => format!("EGOV-{:04}-{:04}-{suffix}", self.year, self.sequence),
            None => format!("EGOV-{:04}-{:04}", self.year, self.sequence),
        };
        f.pad(&text)
    }
}

impl FromStr for CaseRef {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim().trim_start_matches('[').trim_end_matches(']');
        match Self::find_in(trimmed) {
            Some(r) if r.to_string().eq_ignore_ascii_case(trimmed) => Ok(r),
            _ => anyhow::bail!("'{s}' is not a case reference (expected EGOV-YYYY-NNNN-XXXX)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_found_inside_a_reply_subject() {
        let r = CaseRef::find_in("RE: Re: [EGOV-2026-0042] MPass conectare").unwrap();
        assert_eq!(r, CaseRef::new(2026, 42));
        assert_eq!(r.tag(), "[EGOV-2026-0042]");
    }

    #[test]
    fn a_lowercased_reference_still_matches() {
        assert_eq!(
            CaseRef::find_in("fwd: egov-2026-0007"),
            Some(CaseRef::new(2026, 7))
        );
    }

    #[test]
    fn text_without_a_reference_has_none() {
        assert_eq!(CaseRef::find_in("EGOV-26-1 and EGOV-2026-12"), None);
    }

    #[test]
    fn new_references_carry_a_suffix_that_is_read_back() {
        let issued = CaseRef::issue(2026, 42);
        let text = issued.to_string();
        assert!(text.starts_with("EGOV-2026-0042-"), "{text}");
        assert_eq!(text.len(), "EGOV-2026-0042-XXXX".len());
        let subject = format!("Re: [{}] MPass", text.to_lowercase());
        assert_eq!(CaseRef::find_in(&subject), Some(issued.clone()));
        assert_eq!(text.parse::<CaseRef>().unwrap(), issued);
        assert_ne!(CaseRef::issue(2026, 42), CaseRef::issue(2026, 42));
    }

    #[test]
    fn a_reference_without_its_suffix_is_another_reference() {
        let issued = CaseRef::issue(2026, 42);
        assert_ne!(CaseRef::find_in("[EGOV-2026-0042]"), Some(issued));
    }

    #[test]
    fn parsing_rejects_trailing_garbage() {
        assert!("EGOV-2026-0001x".parse::<CaseRef>().is_err());
        assert_eq!(
            "[EGOV-2026-0001]".parse::<CaseRef>().unwrap(),
            CaseRef::new(2026, 1)
        );
    }
}
