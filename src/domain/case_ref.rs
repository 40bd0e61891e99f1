//! The case reference carried in every outgoing subject, e.g. `EGOV-2026-0042`.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

/// The tag that identifies a case in subjects: `EGOV-<year>-<sequence>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseRef {
    year: u16,
    sequence: u32,
}

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bEGOV-(\d{4})-(\d{4,7})\b").expect("static regex is valid"));

impl CaseRef {
    /// Builds the reference of the `sequence`-th case opened in `year`.
    pub fn new(year: u16, sequence: u32) -> Self {
        Self { year, sequence }
    }

    /// Finds the first case reference written anywhere in `text` (a subject line, usually).
    pub fn find_in(text: &str) -> Option<Self> {
        let caps = TAG.captures(text)?;
        let year = caps[1].parse().ok()?;
        let sequence = caps[2].parse().ok()?;
        Some(Self { year, sequence })
    }

    /// The subject tag, `[EGOV-2026-0042]`.
    pub fn tag(&self) -> String {
        format!("[{self}]")
    }
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("EGOV-{:04}-{:04}", self.year, self.sequence))
    }
}

impl FromStr for CaseRef {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim().trim_start_matches('[').trim_end_matches(']');
        match Self::find_in(trimmed) {
            Some(r) if r.to_string().eq_ignore_ascii_case(trimmed) => Ok(r),
            _ => anyhow::bail!("'{s}' is not a case reference (expected EGOV-YYYY-NNNN)"),
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
    fn parsing_rejects_trailing_garbage() {
        assert!("EGOV-2026-0001x".parse::<CaseRef>().is_err());
        assert_eq!(
            "[EGOV-2026-0001]".parse::<CaseRef>().unwrap(),
            CaseRef::new(2026, 1)
        );
    }
}
