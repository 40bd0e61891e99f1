//! What makes two copies the same message: the same bytes, or the same message delivered
//! twice — by two routes, or redelivered — whose only differences are the trace headers each
//! delivery adds. A Message-ID alone proves nothing: anyone can write any Message-ID.

use sha2::{Digest, Sha256};

/// Header fields a delivery adds or rewrites (RFC 5321 §4.4 trace fields, and what MTAs,
/// filters and delivery agents put in front of a message); they say how a copy travelled,
/// not what it says.
const TRACE_FIELDS: [&str; 14] = [
    "received",
    "return-path",
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "x-envelope-to",
    "x-delivered-to",
    "authentication-results",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "received-spf",
    "dkim-filter",
    "x-uid",
];

/// Prefixes of header fields that spam and virus filters stamp on each copy.
const TRACE_PREFIXES: [&str; 3] = ["x-spam-", "x-virus-", "x-rspamd-"];

/// SHA-256 (hex) of a message without its trace header fields, line endings made uniform:
/// two deliveries of one message give the same value, two different messages never do.
pub fn content_sha256(raw: &[u8]) -> String {
    let (header, body) = split(raw);
    let mut hasher = Sha256::new();
    let mut keep = true;
    for line in lines(header) {
        let continues = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continues {
            keep = !is_trace(line);
        }
        if keep {
            hasher.update(line);
            hasher.update(b"\n");
        }
    }
    hasher.update(b"\n");
    for line in lines(body) {
        hasher.update(line);
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The header block and the body, split at the first empty line.
fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut start = 0;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let end = start + line.len();
        if trim_eol(line).is_empty() {
            return (&raw[..start], &raw[end..]);
        }
        start = end;
    }
    (raw, &[])
}

/// Lines without their CR LF or LF.
fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    block.split_inclusive(|b| *b == b'\n').map(trim_eol)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_trace(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return false;
    };
    let name = String::from_utf8_lossy(&line[..colon])
        .trim()
        .to_ascii_lowercase();
    TRACE_FIELDS.contains(&name.as_str()) || TRACE_PREFIXES.iter().any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "From: ion@asp.gov.md\r\nMessage-ID: <a@asp.gov.md>\r\nSubject: MDocs\r\n\r\nIP: 194.0.2.10\r\n";

    #[test]
    fn two_deliveries_of_one_message_are_the_same_message() {
        let first = format!(
            "Return-Path: <ion@asp.gov.md>\r\nDelivered-To: servicii@egov.md\r\nReceived: from a\r\n\tby b; Mon\r\n{MESSAGE}"
        );
        let second = format!(
            "Received: from c by d; Tue\r\nX-Spam-Status: No\r\nAuthentication-Results: mx; spf=pass\r\n{}",
            MESSAGE.replace("\r\n", "\n")
        );
        assert_eq!(
            content_sha256(first.as_bytes()),
            content_sha256(second.as_bytes())
        );
    }

    #[test]
    fn a_different_message_with_the_same_message_id_is_another_message() {
        let other = MESSAGE.replace("194.0.2.10", "203.0.113.66");
        assert_ne!(
            content_sha256(MESSAGE.as_bytes()),
            content_sha256(other.as_bytes())
        );
        let other_sender = MESSAGE.replace("ion@asp.gov.md", "eve@evil.example");
        assert_ne!(
            content_sha256(MESSAGE.as_bytes()),
            content_sha256(other_sender.as_bytes())
        );
    }

    #[test]
    fn a_header_moved_into_the_body_changes_the_identity() {
        let moved = "From: ion@asp.gov.md\r\nMessage-ID: <a@asp.gov.md>\r\n\r\nSubject: MDocs\r\nIP: 194.0.2.10\r\n";
        assert_ne!(
            content_sha256(MESSAGE.as_bytes()),
            content_sha256(moved.as_bytes())
        );
    }
}
