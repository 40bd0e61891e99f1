//! Delivery reports (RFC 3464, `multipart/report; report-type=delivery-status`): which of
//! our mails they are about and what the receiving server said.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

/// What a delivery report says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// The Message-ID of the mail it reports on (from the returned message or its headers).
    pub original_message_id: Option<String>,
    /// `Final-Recipient` / `Original-Recipient`, without the address type.
    pub recipient: Option<String>,
    /// `Action` (failed, delayed, delivered...).
    pub action: Option<String>,
    /// `Status`, e.g. 5.1.1.
    pub status: Option<String>,
    /// `Diagnostic-Code`, without the type.
    pub diagnostic: Option<String>,
}

/// The report inside `message`, when it is one.
pub fn delivery_report(message: &Message) -> Option<DeliveryReport> {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if !is_report {
        return None;
    }
    let mut report = DeliveryReport::default();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let kind =
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase();
        match (&part.body, kind.as_str()) {
            (PartType::Message(inner), _) if report.original_message_id.is_none() => {
                report.original_message_id = inner.message_id().map(clean);
            }
            (_, "message/delivery-status" | "message/global-delivery-status") => {
                read_status(&String::from_utf8_lossy(part.contents()), &mut report);
            }
            (_, "text/rfc822-headers" | "message/rfc822-headers")
                if report.original_message_id.is_none() =>
            {
                report.original_message_id = returned_message_id(part.contents());
            }
            _ => {}
        }
    }
    Some(report)
}

/// The Message-ID in a returned header block. The block often ends on its last field with
/// no line break (the break before the next boundary belongs to the boundary), and a header
/// parser reads a field only once its line ends: the block is closed before it is read.
fn returned_message_id(headers: &[u8]) -> Option<String> {
    let mut block = headers.to_vec();
    block.extend_from_slice(b"\r\n\r\n");
    MessageParser::default()
        .parse_headers(&block[..])
        .and_then(|h| h.message_id().map(clean))
        .filter(|id| !id.is_empty())
}

fn clean(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Reads the per-recipient fields of a delivery-status body (the first recipient counts).
fn read_status(body: &str, report: &mut DeliveryReport) {
    for line in body.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        // "rfc822; ion@asp.gov.md" and "smtp; 550 5.1.1 ..." carry a type first.
        let typed = value.split_once(';').map_or(value, |(_, v)| v.trim());
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "final-recipient" | "original-recipient" => &mut report.recipient,
            "action" => &mut report.action,
            "status" => &mut report.status,
            "diagnostic-code" => &mut report.diagnostic,
            _ => continue,
        };
        if slot.is_none() && !typed.is_empty() {
            *slot = Some(typed.chars().take(500).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postfix_bounce_names_our_mail_and_the_reason() {
        let raw = b"From: MAILER-DAEMON@mx.egov.md (Mail Delivery System)\r\n\
To: servicii@egov.md\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\
\r\n\
--B1\r\n\
Content-Type: text/plain\r\n\
\r\n\
I'm sorry to have to inform you...\r\n\
--B1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.egov.md\r\n\
\r\n\
Final-Recipient: rfc822; ion@asp.gov.md\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ion@asp.gov.md>: Recipient address rejected\r\n\
--B1\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: servicii@egov.md\r\n\
Message-ID: <abc.desk@egov.md>\r\n\
Subject: [EGOV-2026-0001] Confirmare\r\n\
--B1--\r\n";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        let r = delivery_report(&message).unwrap();
        assert_eq!(r.original_message_id.as_deref(), Some("abc.desk@egov.md"));
        assert_eq!(r.recipient.as_deref(), Some("ion@asp.gov.md"));
        assert_eq!(r.status.as_deref(), Some("5.1.1"));
        assert_eq!(r.action.as_deref(), Some("failed"));
        assert!(r.diagnostic.unwrap().starts_with("550 5.1.1"));
    }

    #[test]
    fn returned_headers_ending_on_the_message_id_line_are_read() {
        let raw = b"From: MAILER-DAEMON@mx.asp.gov.md\r\n\
To: servicii@egov.md\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B2\"\r\n\
\r\n\
--B2\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Final-Recipient: rfc822; ion@asp.gov.md\r\n\
Action: failed\r\n\
Status: 5.2.2\r\n\
--B2\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Subject: [EGOV-2026-0001] Confirmare\r\n\
Message-ID: <abc.desk@egov.md>\r\n\
--B2--\r\n";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        let r = delivery_report(&message).unwrap();
        assert_eq!(r.original_message_id.as_deref(), Some("abc.desk@egov.md"));
        assert_eq!(
            returned_message_id(b"Message-ID: <x@egov.md>").as_deref(),
            Some("x@egov.md")
        );
        assert_eq!(returned_message_id(b"Subject: x"), None);
    }
}
