//! Stage 3a, parse (pure): raw bytes in, an owned [`ParsedMessage`] out, or the reason the
//! bytes are not a message we can act on.

mod envelope;
mod html;
mod report;

pub use report::DeliveryReport;

use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};

use crate::domain::EmailAddress;

/// How deep forwarded messages (`message/rfc822` parts) are opened for their content.
const MAX_NESTING: usize = 4;
/// File name endings of certificate and key files, whose size is capped.
const CERTIFICATE_FILES: [&str; 10] = [
    ".cer", ".crt", ".pem", ".der", ".p7b", ".p7c", ".pfx", ".p12", ".key", ".cert",
];

/// What a message may not exceed; over any of these it is refused whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most MIME parts, nested messages included.
    pub max_parts: usize,
    /// Deepest MIME nesting (multiparts and enclosed messages).
    pub max_depth: usize,
    /// Largest header block.
    pub max_header_bytes: usize,
    /// Largest certificate or key file.
    pub max_certificate_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_parts: 100,
            max_depth: 10,
            max_header_bytes: 64 * 1024,
            max_certificate_bytes: 256 * 1024,
        }
    }
}

/// Why a message could not be parsed; it is quarantined with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not recognisable as an Internet message at all.
    #[error("not a mail message: no header could be read")]
    NotAMessage,
    /// No usable From address, so nobody can be answered.
    #[error("no usable sender address in From")]
    NoSender,
    /// More MIME parts than the limit.
    #[error("more MIME parts than allowed ({0})")]
    TooManyParts(usize),
    /// MIME nested deeper than the limit.
    #[error("MIME nested deeper than allowed")]
    TooDeep,
    /// A header block larger than the limit.
    #[error("header block larger than allowed ({0} bytes)")]
    HeaderTooLarge(usize),
    /// A certificate or key file larger than the limit.
    #[error("certificate file {0} larger than allowed ({1} bytes)")]
    CertificateTooLarge(String, usize),
}

impl ParseError {
    /// The stable name of the refusal.
    pub fn kind(&self) -> &'static str {
        match self {
            ParseError::NotAMessage => "not_a_message",
            ParseError::NoSender => "no_sender",
            ParseError::TooManyParts(_) => "too_many_parts",
            ParseError::TooDeep => "too_deep",
            ParseError::HeaderTooLarge(_) => "header_too_large",
            ParseError::CertificateTooLarge(..) => "certificate_too_large",
        }
    }
}

/// A message reduced to what the later stages need, owning all its data.
#[derive(Debug, Clone, Default)]
pub struct ParsedMessage {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The sender (From).
    pub from: Option<EmailAddress>,
    /// The sender's display name.
    pub from_name: Option<String>,
    /// How many author addresses the message names, over all its `From:` headers: a
    /// message with more than one never commands (it does not say who wrote it).
    pub authors: usize,
    /// Subject, empty when absent.
    pub subject: String,
    /// Message-IDs this message replies to (In-Reply-To), without brackets.
    pub in_reply_to: Vec<String>,
    /// Message-IDs of the thread (References), without brackets.
    pub references: Vec<String>,
    /// Why this message was written by a machine (RFC 3834), if it was.
    pub automated: Option<String>,
    /// The readable text: plain text parts, or the text of HTML ones.
    pub text: String,
    /// Every attached file, including those of forwarded messages.
    pub attachments: Vec<Attachment>,
    /// The topmost `Authentication-Results` header's value (RFC 8601), if any.
    pub authentication_results: Option<String>,
    /// Values of `X-Loop` headers: our own address there means the mail came back to us.
    pub loop_marks: Vec<String>,
    /// What a delivery report (`multipart/report`) says, when this is one.
    pub report: Option<DeliveryReport>,
    /// The topmost `Return-Path`, bare and lower case: empty for `<>` (a bounce's).
    pub return_path: Option<String>,
    /// Where it was delivered or addressed: `Delivered-To`, `X-Original-To`, then `To`.
    pub delivered_to: Vec<String>,
}

/// A file attached to a message.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The file name the sender gave, if any (never used as a path).
    pub name: Option<String>,
    /// The declared MIME type, lower case, e.g. `application/pkix-cert`.
    pub content_type: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

impl ParsedMessage {
    /// Every Message-ID this message points back to (In-Reply-To first, then References).
    pub fn thread_ids(&self) -> impl Iterator<Item = &str> {
        self.in_reply_to
            .iter()
            .chain(self.references.iter())
            .map(String::as_str)
    }
}

/// Parses raw message bytes under the default [`Limits`].
pub fn parse(raw: &[u8]) -> Result<ParsedMessage, ParseError> {
    parse_within(raw, &Limits::default())
}

/// Parses raw message bytes; a message over `limits` is refused whole, never half-read.
pub fn parse_within(raw: &[u8], limits: &Limits) -> Result<ParsedMessage, ParseError> {
    let header = header_len(raw);
    if header > limits.max_header_bytes {
        return Err(ParseError::HeaderTooLarge(header));
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NotAMessage)?;
    // Bytes that are not mail still "parse" into headers with invented names; a message has
    // at least one header of its own kind (RFC 5322 or MIME).
    if !message
        .headers()
        .iter()
        .any(|h| !matches!(h.name, HeaderName::Other(_)))
    {
        return Err(ParseError::NotAMessage);
    }
    count_parts(&message, 0, limits)?;
    let (from, from_name) = sender(&message).ok_or(ParseError::NoSender)?;
    let mut parsed = ParsedMessage {
        message_id: message.message_id().map(clean_id),
        from: Some(from),
        from_name,
        subject: message.subject().unwrap_or_default().trim().to_string(),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        authors: authors(&message),
        automated: automated(&message),
        // mail-parser's header_raw gives the last copy: the one a sender could have written.
        authentication_results: envelope::topmost(&message, "Authentication-Results"),
        loop_marks: message
            .header_values("X-Loop")
            .filter_map(|v| v.as_text())
            .map(|v| v.trim().to_ascii_lowercase())
            .collect(),
        report: report::delivery_report(&message),
        return_path: envelope::return_path(&message),
        delivered_to: envelope::delivered_to(&message),
        ..ParsedMessage::default()
    };
    collect_content(&message, &mut parsed, 0);
    if let Some(big) = parsed.attachments.iter().find(|a| {
        let name = a.name.as_deref().unwrap_or_default().to_ascii_lowercase();
        CERTIFICATE_FILES.iter().any(|ext| name.ends_with(ext))
            && a.bytes.len() > limits.max_certificate_bytes
    }) {
        let name = big.name.clone().unwrap_or_default();
        return Err(ParseError::CertificateTooLarge(name, big.bytes.len()));
    }
    Ok(parsed)
}

/// Length of the header block: up to the first empty line (or the whole input).
fn header_len(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = raw.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    }
}

/// Counts the parts of a message and its enclosed messages, refusing more than the limits
/// allow; walks with an explicit stack so hostile nesting cannot overflow ours.
fn count_parts(message: &Message, depth: usize, limits: &Limits) -> Result<usize, ParseError> {
    let mut count = 0;
    let mut stack = vec![(0u32, depth)];
    while let Some((id, level)) = stack.pop() {
        if level > limits.max_depth {
            return Err(ParseError::TooDeep);
        }
        let Some(part) = message.part(id) else {
            continue;
        };
        count += 1;
        if count > limits.max_parts {
            return Err(ParseError::TooManyParts(count));
        }
        match &part.body {
            PartType::Multipart(children) => stack.extend(children.iter().map(|c| (*c, level + 1))),
            PartType::Message(inner) => count += count_parts(inner, level + 1, limits)?,
            _ => {}
        }
    }
    Ok(count)
}

/// Reads just the Message-ID, for the ledger, without parsing bodies.
pub fn message_id_of(raw: &[u8]) -> Option<String> {
    MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| m.message_id().map(clean_id))
        .filter(|id| !id.is_empty())
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

fn ids(value: &HeaderValue) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

fn sender(message: &Message) -> Option<(EmailAddress, Option<String>)> {
    let addr = message.from().and_then(Address::first)?;
    let email = addr.address()?.parse().ok()?;
    let name = addr
        .name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    Some((email, name))
}

/// Author addresses over every `From:` header (groups counted by their members).
fn authors(message: &Message) -> usize {
    message
        .header_values(HeaderName::From)
        .map(|value| match value {
            HeaderValue::Address(Address::List(list)) => list.len(),
            HeaderValue::Address(Address::Group(groups)) => {
                groups.iter().map(|g| g.addresses.len()).sum()
            }
            _ => 1,
        })
        .sum()
}

/// Why a message was written by a machine, per RFC 3834 and common practice.
fn automated(message: &Message) -> Option<String> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(v) = header("Auto-Submitted").filter(|v| !v.starts_with("no")) {
        return Some(format!("Auto-Submitted: {v}"));
    }
    if let Some(v) = header("Precedence").filter(|v| ["bulk", "list", "junk"].contains(&v.as_str()))
    {
        return Some(format!("Precedence: {v}"));
    }
    if let Some(list) = message
        .headers()
        .iter()
        .find(|h| h.name.as_str().to_ascii_lowercase().starts_with("list-"))
    {
        return Some(format!("mailing list ({})", list.name.as_str()));
    }
    // An empty return path (`<>`) is how bounces and other notifications are sent.
    if header("Return-Path").is_some_and(|v| {
        v.trim_matches(|c: char| c.is_whitespace() || c == '<' || c == '>')
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

fn collect_content(message: &Message, into: &mut ParsedMessage, depth: usize) {
    let texts: Vec<String> = (0..message.text_body_count())
        .filter_map(|i| {
            let part = message.text_part(u32::try_from(i).ok()?)?;
            // HTML-only mail: read through its text, keeping its line breaks.
            if part.is_text_html() {
                part.text_contents().map(html::to_text)
            } else {
                message.body_text(i).map(|t| t.into_owned())
            }
        })
        .collect();
    let text = texts.join("\n");
    if !text.trim().is_empty() {
        if !into.text.is_empty() {
            into.text.push('\n');
        }
        into.text.push_str(&text);
    }
    for part in message.attachments() {
        match &part.body {
            PartType::Message(inner) if depth < MAX_NESTING => {
                collect_content(inner, into, depth + 1)
            }
            PartType::Message(_) => {}
            _ => into.attachments.push(Attachment {
                name: part.attachment_name().map(str::to_string),
                content_type: part
                    .content_type()
                    .map(|ct| {
                        format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream"))
                            .to_ascii_lowercase()
                    })
                    .unwrap_or_else(|| "application/octet-stream".into()),
                bytes: part.contents().to_vec(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIMPLE: &[u8] = b"From: Ion Popescu <Ion@ASP.gov.md>\r\n\
To: servicii@egov.md\r\n\
Subject: Re: [EGOV-2026-0001] MPass\r\n\
Message-ID: <abc@asp.gov.md>\r\n\
In-Reply-To: <x1@egov.md>\r\n\
References: <x0@egov.md> <x1@egov.md>\r\n\
\r\n\
Buna ziua\r\n";

    #[test]
    fn headers_and_text_are_read() {
        let p = parse(SIMPLE).unwrap();
        assert_eq!(p.message_id.as_deref(), Some("abc@asp.gov.md"));
        assert_eq!(p.from.unwrap().as_str(), "ion@asp.gov.md");
        assert_eq!(p.from_name.as_deref(), Some("Ion Popescu"));
        assert_eq!(p.subject, "Re: [EGOV-2026-0001] MPass");
        assert_eq!(p.in_reply_to, vec!["x1@egov.md"]);
        assert_eq!(p.references, vec!["x0@egov.md", "x1@egov.md"]);
        assert!(p.text.contains("Buna ziua"));
        assert!(p.automated.is_none());
        assert_eq!(p.authors, 1);
    }

    #[test]
    fn every_author_is_counted() {
        let two = b"From: a@b.md, c@d.md\r\n\r\nhi\r\n";
        assert_eq!(parse(two).unwrap().authors, 2);
        let twice = b"From: a@b.md\r\nFrom: c@d.md\r\n\r\nhi\r\n";
        assert_eq!(parse(twice).unwrap().authors, 2);
    }

    #[test]
    fn a_message_without_sender_is_refused() {
        let raw = b"To: servicii@egov.md\r\nSubject: x\r\n\r\nbody\r\n";
        assert_eq!(parse(raw).unwrap_err(), ParseError::NoSender);
    }

    #[test]
    fn binary_junk_is_not_a_message() {
        assert!(parse(&[0u8, 159, 146, 150, 0, 1, 2]).is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn auto_replies_and_bounces_are_marked_automated() {
        let raw = b"From: a@b.md\r\nAuto-Submitted: auto-replied\r\n\r\nout of office\r\n";
        assert!(parse(raw).unwrap().automated.is_some());
        let raw = b"From: MAILER-DAEMON@b.md\r\n\r\nundeliverable\r\n";
        assert!(parse(raw).unwrap().automated.is_some());
        let raw = b"From: a@b.md\r\nAuto-Submitted: no\r\n\r\nhi\r\n";
        assert!(parse(raw).unwrap().automated.is_none());
    }

    #[test]
    fn hostile_structures_are_refused_whole() {
        let mut deep = String::from("From: a@b.md\r\n");
        for i in 0..12 {
            deep.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}xx\"\r\n\r\n--b{i}xx\r\n"
            ));
        }
        deep.push_str("Content-Type: text/plain\r\n\r\nhi\r\n");
        assert_eq!(parse(deep.as_bytes()).unwrap_err(), ParseError::TooDeep);

        let mut many = String::from(
            "From: a@b.md\r\nContent-Type: multipart/mixed; boundary=\"sep-sep\"\r\n\r\n",
        );
        for _ in 0..120 {
            many.push_str("--sep-sep\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        many.push_str("--sep-sep--\r\n");
        assert!(matches!(
            parse(many.as_bytes()),
            Err(ParseError::TooManyParts(_))
        ));

        let huge = format!(
            "From: a@b.md\r\nX-Filler: {}\r\n\r\nbody\r\n",
            "a".repeat(70_000)
        );
        assert!(matches!(
            parse(huge.as_bytes()),
            Err(ParseError::HeaderTooLarge(_))
        ));
    }

    #[test]
    fn an_oversized_certificate_file_refuses_the_message() {
        let raw = format!(
            "From: a@b.md\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_x_1\"\r\n\r\n\
             --=_x_1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--=_x_1\r\n\
             Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.cer\"\r\n\r\n{}\r\n--=_x_1--\r\n",
            "A".repeat(2000)
        );
        let tight = Limits {
            max_certificate_bytes: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            parse_within(raw.as_bytes(), &tight),
            Err(ParseError::CertificateTooLarge(..))
        ));
        assert!(parse(raw.as_bytes()).is_ok());
    }

    #[test]
    fn message_id_is_read_from_headers_alone() {
        assert_eq!(message_id_of(SIMPLE).as_deref(), Some("abc@asp.gov.md"));
        assert_eq!(message_id_of(b"From: a@b.md\r\n\r\n"), None);
    }
}
