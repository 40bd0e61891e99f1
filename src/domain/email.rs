//! A mail address, lower-cased and checked once.

use std::fmt;
use std::str::FromStr;

/// A syntactically plausible, lower-cased mail address (`local@domain`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// The mailbox behind a sub-address: `ion+x@asp.gov.md` → `ion@asp.gov.md` (the `+`
    /// delimiter of Postfix, Dovecot, Gmail and Exchange). Mail to both lands in one mailbox,
    /// so limits per recipient count them as one.
    pub fn mailbox(&self) -> EmailAddress {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => match local.split_once('+') {
                Some((base, _)) if !base.is_empty() => Self(format!("{base}@{domain}")),
                _ => self.clone(),
            },
            None => self.clone(),
        }
    }
}

impl FromStr for EmailAddress {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_start_matches('<').trim_end_matches('>');
        let Some((local, domain)) = s.rsplit_once('@') else {
            anyhow::bail!("'{s}' is not a mail address (no @)");
        };
        let bad = |part: &str| {
            part.is_empty()
                || part.len() > 254
                || part
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;\\\"".contains(c))
        };
        if bad(local) || bad(domain) || !domain.contains('.') || domain.starts_with('.') {
            anyhow::bail!("'{s}' is not a mail address");
        }
        Ok(Self(s.to_lowercase()))
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_address_names_its_mailbox() {
        let a: EmailAddress = "Victim+17@Example.md".parse().unwrap();
        assert_eq!(a.mailbox().as_str(), "victim@example.md");
        let plain: EmailAddress = "victim@example.md".parse().unwrap();
        assert_eq!(plain.mailbox(), plain);
        let odd: EmailAddress = "+x@example.md".parse().unwrap();
        assert_eq!(odd.mailbox(), odd);
    }

    #[test]
    fn addresses_are_lower_cased_and_unbracketed() {
        let a: EmailAddress = "<Ion.Popescu@ASP.gov.MD>".parse().unwrap();
        assert_eq!(a.as_str(), "ion.popescu@asp.gov.md");
        assert_eq!(a.domain(), "asp.gov.md");
    }

    #[test]
    fn junk_is_refused() {
        for bad in ["", "nobody", "a@b", "a b@c.md", "@c.md", "a@", "x@.md"] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad}");
        }
    }
}
