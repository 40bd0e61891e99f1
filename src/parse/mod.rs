//! Stage 3a, parse (pure): raw bytes in, an owned [`ParsedMessage`] out, or the reason the
//! bytes are not a message we can act on.

mod automated;
pub mod clean;
mod envelope;
mod html;
mod report;

pub use report::DeliveryReport;

use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType,
};

use self::clean::{multi_line, one_line};
use crate::domain::EmailAddress;

/// How deep forwarded messages (`message/rfc822` parts) are opened for their content.
const MAX_NESTING: usize = 4;
/// File name endings of certificate and key files, whose size is capped.
const CERTIFICATE_FILES: [&str; 10] = [
    ".cer", ".crt", ".pem", ".der", ".p7b", ".p7c", ".pfx", ".p12", ".key", ".cert",
];

/// What a message may not exceed; over any of these it is refused whole (except
/// `max_certificates`, which caps what is read from it).
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
    /// Most certificates read from one message; the rest are reported, never filed.
    pub max_certificates: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_parts: 100,
            max_depth: 10,
            max_header_bytes: 64 * 1024,
            max_certificate_bytes: 256 * 1024,
            max_certificates: 10,
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
    /// The text of the top-level HTML version, when the message also has a plain-text one
    /// (`multipart/alternative`): commands must read the same in both.
    pub html_text: Option<String>,
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
        subject: one_line(message.subject().unwrap_or_default()),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        authors: authors(&message),
        automated: automated::automated(&message),
        // mail-parser's header_raw gives the last copy: the one a sender could have written.
        authentication_results: envelope::topmost(&message, "Authentication-Results")
            .map(|v| one_line(&v)),
        loop_marks: message
            .header_values("X-Loop")
            .filter_map(|v| v.as_text())
            .map(|v| one_line(v).to_ascii_lowercase())
            .collect(),
        report: report::delivery_report(&message).map(clean_report),
        return_path: envelope::return_path(&message),
        delivered_to: envelope::delivered_to(&message),
        ..ParsedMessage::default()
    };
    collect_content(&message, &mut parsed, 0);
    parsed.html_text = html_alternative(&message);
    // Entities in HTML (`&#27;`) decode to controls too, so the text is cleaned once whole.
    parsed.text = multi_line(&parsed.text);
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
    one_line(id)
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// A delivery report's fields are the reporting server's words, or a sender's.
fn clean_report(report: DeliveryReport) -> DeliveryReport {
    let line = |v: Option<String>| v.map(|v| one_line(&v)).filter(|v| !v.is_empty());
    DeliveryReport {
        original_message_id: line(report.original_message_id),
        recipient: line(report.recipient),
        action: line(report.action),
        status: line(report.status),
        diagnostic: line(report.diagnostic),
    }
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
    let name = addr.name().map(one_line).filter(|n| !n.is_empty());
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

/// The text of the message's own HTML body when it has a plain-text body too; `None` for
/// plain-only or HTML-only mail (whose `text` already is its only version).
fn html_alternative(message: &Message) -> Option<String> {
    let part = |i: usize, html: bool| {
        let i = u32::try_from(i).ok()?;
        let part = if html {
            message.html_part(i)
        } else {
            message.text_part(i)
        }?;
        (part.is_text_html() == html).then_some(part)
    };
    let has_plain = (0..message.text_body_count()).any(|i| part(i, false).is_some());
    if !has_plain {
        return None;
    }
    let html: Vec<String> = (0..message.html_body_count())
        .filter_map(|i| part(i, true)?.text_contents().map(html::to_text))
        .collect();
    (!html.is_empty()).then(|| multi_line(&html.join("\n")))
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
                name: part
                    .attachment_name()
                    .map(one_line)
                    .filter(|n| !n.is_empty()),
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
mod tests;
