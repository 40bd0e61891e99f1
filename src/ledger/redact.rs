//! Private keys never reach the database: the parts that carry one are cut out of the raw
//! message before it is stored, and a notice is left in their place.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

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
    let raw = message.raw_message();
    message
        .parts
        .iter()
        .filter(|part| cut_whole(raw, part))
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

/// True when a part is cut out whole: it carries a private key, and is not a text whose
/// PEM key block shows in the raw message — that is cut out line by line below, keeping
/// the rest of the text.
fn cut_whole(raw: &[u8], part: &MessagePart) -> bool {
    match &part.body {
        PartType::Multipart(_) => false,
        PartType::Message(inner) => {
            !key_parts(inner).is_empty() || text_holds_private_key(inner.raw_message())
        }
        PartType::Text(_) | PartType::Html(_) => {
            let body = raw
                .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)
                .unwrap_or_default();
            !text_holds_private_key(body)
                && attachment_holds_private_key(&file_of(part, sent_bytes(body, part)))
        }
        _ => attachment_holds_private_key(&file_of(part, part.contents().to_vec())),
    }
}

/// A text part's bytes as sent, decoded from its transfer encoding only. Read as text
/// through its charset, a zip or a DER key typed `text/plain` loses the bytes that show
/// what it is.
fn sent_bytes(body: &[u8], part: &MessagePart) -> Vec<u8> {
    match part.encoding {
        Encoding::Base64 => base64_decode(body),
        Encoding::QuotedPrintable => quoted_printable_decode(body),
        Encoding::None => Some(body.to_vec()),
    }
    .unwrap_or_else(|| part.contents().to_vec())
}

fn file_of(part: &MessagePart, bytes: Vec<u8>) -> Attachment {
    Attachment {
        name: part.attachment_name().map(str::to_string),
        content_type: part
            .content_type()
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase())
            .unwrap_or_default(),
        bytes,
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

    /// A message with one attachment, `acte.zip`, typed and encoded as given.
    fn with_file(content_type: &str, encoding: &str, body: &str) -> String {
        format!(
            "From: a@b.md\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n\
             --XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
             --XX\r\nContent-Type: {content_type}\r\nContent-Disposition: attachment; filename=\"acte.zip\"\r\n\
             Content-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n--XX--\r\n"
        )
    }

    fn base64_of_bytes(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn a_key_in_a_nested_zip_is_cut_out_even_past_the_depth_read() {
        for levels in [2, 4, 6] {
            let zip = base64_of_bytes(&crate::extract::nested_zips(levels));
            let raw = with_file("application/zip", "base64", &zip);
            let clean = without_private_keys(raw.as_bytes()).expect("a key to cut");
            let text = String::from_utf8(clean.clone()).unwrap();
            assert!(!text.contains(&zip[..40]), "{text}");
            assert!(text.contains("see attached"));
            // What is stored tells the desk a key was sent, so the sender hears of it.
            let parsed = crate::parse::parse(&clean).unwrap();
            let now = chrono::Utc::now();
            let ex = crate::extract::extract(&parsed, &crate::extract::Checks::at(now));
            assert!(ex.has_private_key(), "{levels}: {:?}", ex.problems);
        }
        let harmless = crate::extract::zip_of(&[("a.zip", crate::extract::zip_of(&[]))]);
        let raw = with_file("application/zip", "base64", &base64_of_bytes(&harmless));
        assert!(without_private_keys(raw.as_bytes()).is_none());
    }

    #[test]
    fn a_zip_with_a_key_typed_as_text_is_cut_out() {
        // Read as text through a charset, the zip's bytes would no longer show the key.
        let zip = crate::extract::nested_zips(2);
        let quoted: Vec<String> = zip.iter().map(|b| format!("={b:02X}")).collect();
        let quoted: Vec<String> = quoted.chunks(25).map(|c| c.concat()).collect();
        for (encoding, body) in [
            ("base64", base64_of_bytes(&zip)),
            ("quoted-printable", quoted.join("=\r\n")),
        ] {
            let raw = with_file("text/plain; charset=utf-8", encoding, &body);
            let clean = without_private_keys(raw.as_bytes()).expect(encoding);
            let text = String::from_utf8(clean.clone()).unwrap();
            assert!(!text.contains(&body[..40]), "{text}");
            let parsed = crate::parse::parse(&clean).unwrap();
            assert!(parsed.text.contains("see attached"));
            let notice = REDACTION_NOTICE.as_bytes();
            assert!(memchr::memmem::find(&parsed.attachments[0].bytes, notice).is_some());
        }
    }

    #[test]
    fn a_pem_key_hidden_by_its_transfer_encoding_is_cut_out_with_its_part() {
        // A soft line break through the armour: the text shows a key, the raw bytes do not.
        let body = KEY_PEM.replace("PRIVATE KEY-----", "PRIVATE KE=\r\nY-----");
        let raw = format!(
            "From: a@b.md\r\nContent-Type: text/plain\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\nHere:\r\n{body}thanks\r\n"
        );
        let clean = String::from_utf8(without_private_keys(raw.as_bytes()).unwrap()).unwrap();
        assert!(
            !clean.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
            "{clean}"
        );
        assert!(clean.contains(REDACTION_NOTICE));
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
