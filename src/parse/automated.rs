//! Whether a machine wrote a message (RFC 3834 and common practice): such mail is never
//! answered automatically, because that is how mail loops start.

use mail_parser::{Address, Message, MimeHeaders};

use super::clean::one_line;

/// Headers some autoresponders set instead of (or besides) `Auto-Submitted`.
const AUTORESPONDER_HEADERS: [&str; 2] = ["X-Autoreply", "X-Autorespond"];

/// Why `message` was written by a machine, if it was.
pub(super) fn automated(message: &Message) -> Option<String> {
    // Every copy of a header counts: a machine's mark must not be hidden by a second copy
    // saying the opposite (mail-parser's `header_raw` would show only the last one).
    let values = |name: &str| -> Vec<String> {
        message
            .headers_raw()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| one_line(v))
            .filter(|v| !v.is_empty())
            .collect()
    };
    // Only the exact keyword `no` says a person wrote it (RFC 3834 §5): `notification`,
    // `no-thanks` or an unknown extension are all a machine's.
    for v in values("Auto-Submitted") {
        if keyword(v.as_str()) != "no" {
            return Some(format!("Auto-Submitted: {}", without_comments(&v)));
        }
    }
    for v in values("Precedence") {
        let word = keyword(v.as_str());
        if ["bulk", "list", "junk"].contains(&word.as_str()) {
            return Some(format!("Precedence: {word}"));
        }
    }
    for name in AUTORESPONDER_HEADERS {
        for v in values(name) {
            let word = keyword(v.as_str());
            if word != "no" && word != "false" {
                return Some(format!("{name}: {}", without_comments(&v)));
            }
        }
    }
    if let Some(list) = message
        .headers()
        .iter()
        .find(|h| h.name.as_str().to_ascii_lowercase().starts_with("list-"))
    {
        return Some(format!("mailing list ({})", one_line(list.name.as_str())));
    }
    // An empty return path (`<>`) is how bounces and other notifications are sent.
    if values("Return-Path").iter().any(|v| {
        without_comments(v)
            .trim_matches(|c: char| c.is_whitespace() || c == '<' || c == '>')
            .is_empty()
    }) {
        return Some("empty return path".into());
    }
    if message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        return Some("delivery report (multipart/report)".into());
    }
    let from = message
        .from()
        .and_then(Address::first)
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let local = from.split('@').next().unwrap_or_default();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(format!("sent by {local}"));
    }
    None
}

/// The keyword of a header value: comments out, parameters (`; …`) off, lower case.
fn keyword(value: &str) -> String {
    let bare = without_comments(value);
    bare.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A header value without its RFC 5322 comments (parenthesised, nestable, with `\`
/// escapes), white space folded.
fn without_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 => {
                chars.next();
            }
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    one_line(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn why(headers: &str) -> Option<String> {
        let raw = format!("From: a@b.md\r\n{headers}\r\nhi\r\n");
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        automated(&message)
    }

    #[test]
    fn only_the_keyword_no_means_a_person_wrote_it() {
        assert_eq!(why("Auto-Submitted: no\r\n"), None);
        assert_eq!(why("Auto-Submitted: No (written by Ion)\r\n"), None);
        assert_eq!(why("Auto-Submitted: (person) no ; x=y\r\n"), None);
        assert_eq!(
            why("Auto-Submitted: notification\r\n").as_deref(),
            Some("Auto-Submitted: notification")
        );
        assert!(why("Auto-Submitted: auto-replied\r\n").is_some());
        assert!(why("Auto-Submitted: no-thanks\r\n").is_some());
        assert!(why("Auto-Submitted: auto-generated (digest)\r\n").is_some());
    }

    #[test]
    fn a_second_copy_saying_the_opposite_hides_no_machine() {
        assert!(why("Auto-Submitted: auto-replied\r\nAuto-Submitted: no\r\n").is_some());
        assert!(why("Precedence: bulk\r\nPrecedence: normal\r\n").is_some());
        assert!(why("X-Autoreply: yes\r\nX-Autoreply: no\r\n").is_some());
        assert_eq!(why("Auto-Submitted: no\r\nAuto-Submitted: no\r\n"), None);
    }

    #[test]
    fn precedence_is_read_without_its_comments() {
        assert_eq!(
            why("Precedence: junk (spam filter)\r\n").as_deref(),
            Some("Precedence: junk")
        );
        assert!(why("Precedence: (mass) BULK\r\n").is_some());
        assert!(why("Precedence: list\r\n").is_some());
        assert_eq!(why("Precedence: first-class\r\n"), None);
    }

    #[test]
    fn autoresponder_headers_are_automatic() {
        assert_eq!(
            why("X-Autoreply: yes\r\n").as_deref(),
            Some("X-Autoreply: yes")
        );
        assert!(why("X-Autorespond: Out of office\r\n").is_some());
        assert_eq!(why("X-Autoreply: no\r\n"), None);
    }

    #[test]
    fn comments_nest_and_escape() {
        assert_eq!(without_comments("a (b (c) \\) d) e"), "a e");
        assert_eq!(keyword("  (x) Junk ; y "), "junk");
    }

    #[test]
    fn lists_bounces_and_daemons_are_automatic() {
        assert!(why("List-Id: <x.lists.md>\r\n").is_some());
        assert!(why("Return-Path: <>\r\n").is_some());
        assert_eq!(why("Return-Path: <a@b.md>\r\n"), None);
        let raw = b"From: MAILER-DAEMON@b.md\r\n\r\nundeliverable\r\n";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        assert!(automated(&message).is_some());
    }
}
