//! What the servers a message passed through wrote on it. Each server adds its trace fields
//! on top of what it received, so only the topmost copy of such a field is the nearest
//! server's own; anything below may have been written by the sender.

use mail_parser::Message;

/// The value of the topmost `name` header, whitespace runs folded to one space.
pub(super) fn topmost(message: &Message, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use crate::parse::parse;

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
