//! Private keys never reach the database: the parts that carry one are cut out of the raw
//! message before it is stored, and a notice is left in their place.

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::extract::{attachment_holds_private_key, text_holds_private_key, REDACTION_NOTICE};
use crate::parse::Attachment;

/// The raw message with every private-key part replaced by a notice, or `None` when the
/// message holds no private key.
pub fn without_private_keys(raw: &[u8]) -> Option<Vec<u8>> {
    let mut ranges = match MessageParser::default().parse(raw) {
        Some(message) => key_parts(&message),
        None => Vec::new(),
    };
    if ranges.is_empty() && !text_holds_private_key(raw) {
        return None;
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out = raw.to_vec();
    for (start, end, base64) in ranges {
        if start <= end && end <= out.len() {
            let notice = if base64 {
                format!("{}\r\n", base64_of(REDACTION_NOTICE))
            } else {
                format!("{REDACTION_NOTICE}\r\n")
            };
            out.splice(start..end, notice.into_bytes());
        }
    }
    // Whatever the MIME structure hid (a key in a header, an unparseable part), a PEM key
    // block left anywhere in the bytes is cut out as text.
    Some(strip_pem_keys(out))
}

/// Byte ranges (start, end, is_base64) of the bodies of parts that carry a private key.
fn key_parts(message: &Message) -> Vec<(usize, usize, bool)> {
    message
        .parts
        .iter()
        .filter(|part| part_holds_key(part))
        // A key pasted into plain text is cut out line by line below, keeping the rest.
        .filter(|part| {
            let text = matches!(part.body, PartType::Text(_) | PartType::Html(_));
            !text || is_base64(part)
        })
        .map(|part| {
            (
                part.raw_body_offset() as usize,
                part.raw_end_offset() as usize,
                is_base64(part),
            )
        })
        .collect()
}

fn is_base64(part: &MessagePart) -> bool {
    part.content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
}

fn part_holds_key(part: &MessagePart) -> bool {
    match &part.body {
        PartType::Multipart(_) => false,
        PartType::Message(inner) => {
            !key_parts(inner).is_empty() || text_holds_private_key(inner.raw_message())
        }
        _ => attachment_holds_private_key(&Attachment {
            name: part.attachment_name().map(str::to_string),
            content_type: part
                .content_type()
                .map(|ct| {
                    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase()
                })
                .unwrap_or_default(),
            bytes: part.contents().to_vec(),
        }),
    }
}

fn strip_pem_keys(mut raw: Vec<u8>) -> Vec<u8> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END_MARK: &[u8] = b"PRIVATE KEY-----";
    loop {
        let Some(mark) = find(&raw, END_MARK, 0) else {
            return raw;
        };
        let start = rfind(&raw[..mark], BEGIN).unwrap_or(mark);
        // The END line carries the same marker; cut through it when present.
        let end = find(&raw, END_MARK, mark + END_MARK.len())
            .map(|e| e + END_MARK.len())
            .unwrap_or(mark + END_MARK.len());
        raw.splice(start..end, REDACTION_NOTICE.bytes());
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|p| p + from)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(haystack, needle)
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\n-----END PRIVATE KEY-----\r\n";

    #[test]
    fn a_message_without_keys_is_left_alone() {
        assert!(without_private_keys(b"From: a@b.md\r\n\r\nhello\r\n").is_none());
    }

    #[test]
    fn a_pfx_attachment_is_cut_out_and_noted() {
        let raw = String::from(
            "From: a@b.md\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n\
             --XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
             --XX\r\nContent-Type: application/x-pkcs12\r\nContent-Disposition: attachment; filename=\"sys.pfx\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nU0VDUkVUS0VZQllURVNTRUNSRVRLRVlCWVRFUw==\r\n--XX--\r\n",
        );
        let clean = without_private_keys(raw.as_bytes()).unwrap();
        let text = String::from_utf8(clean.clone()).unwrap();
        assert!(
            !text.contains("U0VDUkVUS0VZQllURVNTRUNSRVRLRVlCWVRFUw"),
            "{text}"
        );
        assert!(text.contains("see attached"));
        let parsed = crate::parse::parse(&clean).unwrap();
        let att = &parsed.attachments[0];
        assert_eq!(att.name.as_deref(), Some("sys.pfx"));
        assert!(String::from_utf8_lossy(&att.bytes).contains(REDACTION_NOTICE));
    }

    #[test]
    fn a_pem_key_pasted_in_the_text_is_cut_out() {
        let raw = format!("From: a@b.md\r\nSubject: key\r\n\r\nHere:\r\n{KEY_PEM}thanks\r\n");
        let clean = String::from_utf8(without_private_keys(raw.as_bytes()).unwrap()).unwrap();
        assert!(
            !clean.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            "{clean}"
        );
        assert!(!clean.contains("PRIVATE KEY-----"));
        assert!(clean.contains("thanks"));
        assert!(clean.contains(REDACTION_NOTICE));
    }
}
