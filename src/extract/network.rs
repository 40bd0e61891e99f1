//! IP addresses (and CIDR ranges) and URLs written in the text, with the environment their
//! line names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::environment::{environment_of, Environment};
use super::text::fold;
use crate::domain::IpClass;

/// An address or range found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundIp {
    /// The address (the network address of a range).
    pub addr: IpAddr,
    /// The prefix length of a CIDR range.
    pub prefix: Option<u8>,
    /// Public, private, loopback...
    pub class: IpClass,
    /// TEST or PROD, when its line says so.
    pub environment: Option<Environment>,
    /// The line of the text it was found on (0-based).
    pub line: usize,
}

impl FoundIp {
    /// As written back: `85.120.0.0/24` or `194.0.2.10`.
    pub fn text(&self) -> String {
        match self.prefix {
            Some(p) => format!("{}/{p}", self.addr),
            None => self.addr.to_string(),
        }
    }
}

/// What a URL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlRole {
    /// MPass SLO: where the LogoutRequest goes.
    LogoutRequest,
    /// MPass SLO: where the LogoutResponse goes.
    LogoutResponse,
    /// A logout / SLO address not said which.
    Logout,
}

/// A URL found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUrl {
    /// The URL.
    pub url: String,
    /// What its line says it is for.
    pub role: Option<UrlRole>,
    /// TEST or PROD, when its line says so.
    pub environment: Option<Environment>,
    /// The line of the text it was found on (0-based).
    pub line: usize,
}

impl FoundUrl {
    /// True for `https://`.
    pub fn is_https(&self) -> bool {
        self.url.to_ascii_lowercase().starts_with("https://")
    }
}

static V4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}\b)?").expect("static regex is valid")
});

static V6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?(?:/\d{1,3}\b)?")
        .expect("static regex is valid")
});

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bhttps?://[^\s<>"'()\[\]{}«»„“”]+"#).expect("static regex is valid")
});

static URL_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"logout|\bslo\b|\burl|adres|адрес|redirect|callback|\bacs\b|endpoint|ссылк")
        .expect("static regex is valid")
});

/// Every IPv4 and IPv6 address or range in the text, in order, without repeats.
pub fn ips_in(text: &str) -> Vec<FoundIp> {
    let mut found: Vec<FoundIp> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let environment = environment_of(line);
        let mut on_line: Vec<(usize, IpAddr, Option<u8>)> = v4_in(line);
        on_line.extend(v6_in(line));
        on_line.sort_by_key(|(at, _, _)| *at);
        for (_, addr, prefix) in on_line {
            if !found.iter().any(|f| f.addr == addr && f.prefix == prefix) {
                found.push(FoundIp {
                    addr,
                    prefix,
                    class: IpClass::of(addr),
                    environment,
                    line: number,
                });
            }
        }
    }
    found
}

fn v4_in(line: &str) -> Vec<(usize, IpAddr, Option<u8>)> {
    let mut out = Vec::new();
    for m in V4.find_iter(line) {
        // "1.2.3.4.5" is a version number, not an address.
        let before = line[..m.start()].chars().next_back();
        let rest = &line[m.end()..];
        let dotted_after =
            rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit());
        if before == Some('.') || before.is_some_and(|c| c.is_ascii_digit()) || dotted_after {
            continue;
        }
        let (addr, prefix) = split_prefix(m.as_str());
        match (addr.parse::<Ipv4Addr>(), prefix) {
            (Ok(v4), Some(p)) if p <= 32 => out.push((m.start(), IpAddr::V4(v4), Some(p))),
            (Ok(v4), None) => out.push((m.start(), IpAddr::V4(v4), None)),
            _ => {}
        }
    }
    out
}

fn v6_in(line: &str) -> Vec<(usize, IpAddr, Option<u8>)> {
    let mut out = Vec::new();
    for m in V6.find_iter(line) {
        let (raw, prefix) = split_prefix(m.as_str());
        // As written first ("2a02:2f0c::" ends in colons); then without stray punctuation
        // around it ("IP:2a02::1:" in running text).
        let v6 =
            plausible_v6(raw).or_else(|| plausible_v6(raw.trim_matches(|c| c == ':' || c == '.')));
        if let Some(v6) = v6 {
            if prefix.is_none_or(|p| p <= 128) {
                out.push((m.start(), IpAddr::V6(v6), prefix));
            }
        }
    }
    out
}

fn split_prefix(text: &str) -> (&str, Option<u8>) {
    match text.split_once('/') {
        Some((addr, p)) => (addr, p.parse().ok()),
        None => (text, None),
    }
}

/// Colon-separated hex pairs ("4F:3A:01:…") parse as IPv6 but are serials or fingerprints;
/// a written IPv6 address compresses zeros (`::`) or has groups longer than two digits.
fn plausible_v6(candidate: &str) -> Option<Ipv6Addr> {
    let addr: Ipv6Addr = candidate.parse().ok()?;
    let compressed = candidate.contains("::");
    let long_group = candidate.split(':').any(|g| g.len() > 2);
    (compressed || long_group)
        .then_some(addr)
        .filter(|a| !a.is_unspecified())
}

/// URLs written on lines that speak of addresses, endpoints or logout (MPass SLO), in order.
pub fn urls_in(text: &str) -> Vec<FoundUrl> {
    let mut found: Vec<FoundUrl> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let folded = fold(line);
        if !URL_CONTEXT.is_match(&folded) {
            continue;
        }
        let role = if folded.contains("logoutrequest") {
            Some(UrlRole::LogoutRequest)
        } else if folded.contains("logoutresponse") {
            Some(UrlRole::LogoutResponse)
        } else if folded.contains("logout") || folded.contains("slo") {
            Some(UrlRole::Logout)
        } else {
            None
        };
        for m in URL.find_iter(line) {
            let url = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
            if !found.iter().any(|u| u.url == url) {
                found.push(FoundUrl {
                    url: url.to_string(),
                    role,
                    environment: environment_of(line),
                    line: number,
                });
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
            .map(|f| format!("{} {:?}", f.text(), f.class))
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
    fn ranges_keep_their_prefix_and_lines_their_environment() {
        let found = ips_in("Rețea producție: 85.120.0.0/24\nIP test: 2a02:2f0c::/48");
        assert_eq!(found[0].text(), "85.120.0.0/24");
        assert_eq!(found[0].environment, Some(Environment::Prod));
        assert_eq!(found[1].text(), "2a02:2f0c::/48");
        assert_eq!(found[1].environment, Some(Environment::Test));
    }

    #[test]
    fn versions_times_and_serials_are_not_addresses() {
        assert!(ips_in("versiunea 1.2.3.4.5, ora 10:30:00, 999.1.1.1").is_empty());
        assert!(ips_in("Serial: 4F:3A:01:02:03:04:05:06").is_empty());
    }

    #[test]
    fn urls_are_taken_where_the_text_speaks_of_them() {
        let text = "LogoutRequest URL (test): https://si.gov.md/saml/logout.\n\
                    Vizitati https://www.example.md pentru detalii\n\
                    Adresa LogoutResponse producție: http://si.gov.md/slo?x=1";
        let urls = urls_in(text);
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[0].url, "https://si.gov.md/saml/logout");
        assert_eq!(
            (urls[0].role, urls[0].environment),
            (Some(UrlRole::LogoutRequest), Some(Environment::Test))
        );
        assert_eq!(
            (urls[1].role, urls[1].environment),
            (Some(UrlRole::LogoutResponse), Some(Environment::Prod))
        );
        assert!(!urls[1].is_https());
    }
}
