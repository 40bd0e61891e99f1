//! What the servers a message passed through wrote on it, and where it was delivered. Each
//! server adds its trace fields on top of what it received, so only the topmost copy of such
//! a field is the nearest server's own; anything below may have been written by the sender.

use mail_parser::{HeaderName, HeaderValue, Message};

/// The value of the topmost `name` header, whitespace runs folded to one space.
pub(super) fn topmost(message: &Message, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The topmost `Return-Path` (the envelope sender the delivering server saw), without
/// brackets, lower case: empty for `<>`, the sender of delivery reports.
pub(super) fn return_path(message: &Message) -> Option<String> {
    topmost(message, "Return-Path").map(|v| bare(&v))
}

/// The addresses the message was delivered or addressed to, lower case: every
/// `Delivered-To` and `X-Original-To` (written by the delivering servers: the envelope
/// recipient), then every `To` address (a delivery report's names the envelope sender of the
/// mail it reports).
pub(super) fn delivered_to(message: &Message) -> Vec<String> {
    let mut out: Vec<String> = message
        .headers_raw()
        .filter(|(n, _)| {
            n.eq_ignore_ascii_case("Delivered-To") || n.eq_ignore_ascii_case("X-Original-To")
        })
        .map(|(_, v)| bare(v))
        .collect();
    for value in message.header_values(HeaderName::To) {
        if let HeaderValue::Address(to) = value {
            out.extend(to.iter().filter_map(|a| a.address()).map(bare));
        }
    }
    out.retain(|a| !a.is_empty());
    out.dedup();
    out
}

fn bare(value: &str) -> String {
    super::clean::one_line(value)
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use crate::parse::parse;

    #[test]
    fn the_envelope_evidence_is_read() {
        let raw = b"Return-Path: <>\r\nDelivered-To: Servicii+b-7-00ff@egov.md\r\n\
X-Original-To: <servicii+b-7-00ff@egov.md>\r\n\
From: MAILER-DAEMON@mx.asp.gov.md\r\nTo: a@egov.md, B <b@egov.md>\r\n\
Return-Path: <x@evil.example>\r\n\r\nhi\r\n";
        let parsed = parse(raw).unwrap();
        assert_eq!(parsed.return_path.as_deref(), Some(""));
        assert_eq!(
            parsed.delivered_to,
            ["servicii+b-7-00ff@egov.md", "a@egov.md", "b@egov.md"]
        );
        let plain = parse(b"From: a@b.md\r\n\r\nhi\r\n").unwrap();
        assert_eq!(plain.return_path, None);
        assert!(plain.delivered_to.is_empty());
    }

    #[test]
    fn the_topmost_authentication_results_is_the_one_read() {
        let raw = b"Authentication-Results: mx.egov.md;\r\n  dkim=pass header.d=asp.gov.md\r\n\
From: operator@egov.md\r\n\
Authentication-Results: mx.egov.md; dkim=pass header.d=egov.md\r\n\r\nhi\r\n";
        let parsed = parse(raw).unwrap();
        assert_eq!(
            parsed.authentication_results.as_deref(),
            Some("mx.egov.md; dkim=pass header.d=asp.gov.md")
        );
    }
}
