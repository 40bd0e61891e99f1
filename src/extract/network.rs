//! IP addresses and URLs written in the text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

use super::text::fold;
use crate::domain::IpClass;

/// An address found in the text, with its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundIp {
    /// The address.
    pub addr: IpAddr,
    /// Public, private, loopback...
    pub class: IpClass,
}

static V4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}(?:\.\d{1,3}){3}\b").expect("static regex is valid"));

static V6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?")
        .expect("static regex is valid")
});

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bhttps?://[^\s<>"'()\[\]{}«»„“”]+"#).expect("static regex is valid")
});

static URL_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"logout|\bslo\b|\burl|adres|адрес|redirect|callback|\bacs\b|endpoint|ссылк")
        .expect("static regex is valid")
});

/// Every IPv4 and IPv6 address in the text, in order, without repeats.
pub fn ips_in(text: &str) -> Vec<FoundIp> {
    let mut found: Vec<FoundIp> = Vec::new();
    let mut push = |addr: IpAddr| {
        if !found.iter().any(|f| f.addr == addr) {
            found.push(FoundIp {
                addr,
                class: IpClass::of(addr),
            });
        }
    };
    for m in V4.find_iter(text) {
        // "1.2.3.4.5" is a version number, not an address.
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        let dotted = |c: Option<char>| c == Some('.') || c.is_some_and(|c| c.is_ascii_digit());
        if dotted(before)
            || (after == Some('.') && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            continue;
        }
        if let Ok(v4) = m.as_str().parse::<Ipv4Addr>() {
            push(IpAddr::V4(v4));
        }
    }
    for m in V6.find_iter(text) {
        let candidate = m.as_str().trim_matches(|c| c == ':' || c == '.');
        let candidate = if m.as_str().starts_with("::") {
            m.as_str()
        } else {
            candidate
        };
        if let Some(v6) = plausible_v6(candidate) {
            push(IpAddr::V6(v6));
        }
    }
    found
}

/// Colon-separated hex pairs ("4F:3A:01:…") parse as IPv6 but are serials or fingerprints;
/// a written IPv6 address compresses zeros (`::`) or has groups longer than two digits.
fn plausible_v6(candidate: &str) -> Option<Ipv6Addr> {
    let addr: Ipv6Addr = candidate.parse().ok()?;
    let groups: Vec<&str> = candidate.split(':').collect();
    let compressed = candidate.contains("::");
    let long_group = groups.iter().any(|g| g.len() > 2);
    (compressed || long_group)
        .then_some(addr)
        .filter(|a| !a.is_unspecified())
}

/// URLs written on lines that speak of addresses, endpoints or logout (MPass SLO), in order.
pub fn urls_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines() {
        if !URL_CONTEXT.is_match(&fold(line)) {
            continue;
        }
        for m in URL.find_iter(line) {
            let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            if !found.iter().any(|u| u == url) {
                found.push(url.to_string());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_and_classified() {
        let found =
            ips_in("IP public: 194.0.2.10, intern 10.0.0.5; IPv6 2a02:2f0c:8000::15 si ::1.");
        let text: Vec<String> = found
            .iter()
            .map(|f| format!("{} {:?}", f.addr, f.class))
            .collect();
        assert_eq!(
            text,
            vec![
                "194.0.2.10 Public",
                "10.0.0.5 Private",
                "2a02:2f0c:8000::15 Public",
                "::1 Loopback"
            ]
        );
    }

    #[test]
    fn versions_times_and_serials_are_not_addresses() {
        assert!(ips_in("versiunea 1.2.3.4.5, ora 10:30:00, 999.1.1.1").is_empty());
        assert!(ips_in("Serial: 4F:3A:01:02:03:04:05:06").is_empty());
    }

    #[test]
    fn urls_are_taken_where_the_text_speaks_of_them() {
        let text = "LogoutRequest URL: https://si.gov.md/saml/logout.\n\
                    Vizitati https://www.example.md pentru detalii\n\
                    Adresa LogoutResponse (test): https://test.si.gov.md/slo?x=1";
        assert_eq!(
            urls_in(text),
            vec![
                "https://si.gov.md/saml/logout",
                "https://test.si.gov.md/slo?x=1"
            ]
        );
    }
}
