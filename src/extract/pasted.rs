//! Certificates pasted into the text as PEM, however a mail client left them: indented,
//! re-wrapped, with blank lines inside, or with the armour broken over two lines.

use std::ops::Range;
use std::sync::LazyLock;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use regex::Regex;

use super::environment::{environment_of, Environment};

/// The `file` a pasted certificate is filed and reported under.
pub const MESSAGE_TEXT: &str = "message text";

/// A PEM certificate block found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted {
    /// Where it sits in the text, armour included.
    pub range: Range<usize>,
    /// Its DER bytes; `None` when its body is not base64.
    pub der: Option<Vec<u8>>,
    /// TEST or PROD, when the text leading to it says so.
    pub environment: Option<Environment>,
}

// Whitespace, line breaks included, may sit anywhere in the armour: a client re-wrapping
// long lines breaks "-----END CERTIFICATE-----" at its space.
static BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-{3,}\s*BEGIN\s+(?:(?:X509|TRUSTED)\s+)?(?:CERTIFICATE|PKCS7)\s*-{3,}")
        .expect("static regex is valid")
});

static END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-{3,}\s*END\s+(?:(?:X509|TRUSTED)\s+)?(?:CERTIFICATE|PKCS7)\s*-{3,}")
        .expect("static regex is valid")
});

/// Base64 as pasted: padding kept, dropped or broken by re-wrapping alike.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The PEM certificate (and PKCS#7) blocks in `text`, in order. A block without its END
/// line runs as far as its base64 does.
pub fn blocks_in(text: &str) -> Vec<Pasted> {
    // Most mail holds no PEM at all: one fast search spares it the expressions.
    if !text.contains("BEGIN") {
        return Vec::new();
    }
    // Each expression runs over the text once, so a flood of armour lines without their
    // END costs no more than the text's length.
    let begins: Vec<_> = BEGIN.find_iter(text).collect();
    let mut ends = END.find_iter(text).peekable();
    let mut found: Vec<Pasted> = Vec::new();
    for (i, begin) in begins.iter().enumerate() {
        let next = begins.get(i + 1).map_or(text.len(), |m| m.start());
        while ends.next_if(|e| e.start() < begin.end()).is_some() {}
        let (body, end) = match ends.peek() {
            Some(end) if end.start() < next => (begin.end()..end.start(), end.end()),
            _ => {
                let stop = base64_run_end(text, begin.end(), next);
                (begin.end()..stop, stop)
            }
        };
        // Armour run together ("-----END …----------BEGIN …") must not make blocks overlap.
        let start = found.last().map_or(0, |b| b.range.end).max(begin.start());
        found.push(Pasted {
            range: start..end.max(start),
            der: decode(&text[body]),
            environment: environment_before(text, begin.start()),
        });
    }
    found
}

/// `text` with each block replaced by a line break: what the rest of the text is read from,
/// so base64 is never taken for a serial, a name or a word, and costs the many extractors
/// that read every line nothing. A list written above a block ends at it.
pub fn cut_out(text: &str, blocks: &[Pasted]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for block in blocks {
        out.push_str(&text[at..block.range.start]);
        out.push('\n');
        at = block.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The DER bytes of a block's body: base64 with any white space, else `None`.
fn decode(body: &str) -> Option<Vec<u8>> {
    let mut compact = String::with_capacity(body.len());
    for c in body.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') {
            compact.push(c);
        } else if !(c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}')) {
            return None;
        }
    }
    let der = LENIENT.decode(compact.trim_end_matches('=')).ok()?;
    (!der.is_empty()).then_some(der)
}

/// Where the base64 lines after a BEGIN without END stop: before the first line holding
/// anything else, and before `limit`.
fn base64_run_end(text: &str, start: usize, limit: usize) -> usize {
    let mut end = start;
    let mut at = start;
    for line in text[start..limit].split_inclusive('\n') {
        let content = line.trim();
        if !content.is_empty() && !content.chars().all(is_base64_char) {
            break;
        }
        at += line.len();
        if !content.is_empty() {
            end = at;
        }
    }
    end
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

/// What the text right before a block says: its own line up to the armour, or else the
/// nearest line above with anything on it ("Certificatul pentru TEST:").
fn environment_before(text: &str, at: usize) -> Option<Environment> {
    let before = &text[..at];
    let (above, same_line) = before.rsplit_once('\n').unwrap_or(("", before));
    let lead = if same_line.trim().is_empty() {
        above.lines().rev().find(|l| !l.trim().is_empty())?
    } else {
        same_line
    };
    environment_of(lead)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../tests/fixtures/certs/system-prod.pem");

    fn der() -> Vec<u8> {
        let b64: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    fn one(text: &str) -> Pasted {
        let blocks = blocks_in(text);
        assert_eq!(blocks.len(), 1, "{text}");
        blocks.into_iter().next().unwrap()
    }

    #[test]
    fn a_block_as_pasted_is_found_with_its_place() {
        let text = format!("Certificatul:\n{PEM}Mulțumim");
        let block = one(&text);
        assert_eq!(block.der, Some(der()));
        assert_eq!(&text[block.range.clone()], PEM.trim_end());
        assert!(blocks_in("Fără certificat, doar text BEGIN.").is_empty());
    }

    #[test]
    fn indentation_crlf_blank_lines_and_non_breaking_spaces_are_read_through() {
        let mangled: String = PEM
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                3 => format!("    {l}\r\n\r\n"),
                5 => format!("\u{a0}{l}\r\n"),
                _ => format!("  {l}\r\n"),
            })
            .collect();
        assert_eq!(one(&mangled).der, Some(der()));
    }

    #[test]
    fn lines_rewrapped_at_76_and_armour_broken_at_its_space_are_read_through() {
        let b64: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        let wrapped: Vec<String> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        let text = format!(
            "Text -----BEGIN\nCERTIFICATE----- {}\n-----END\nCERTIFICATE-----",
            wrapped.join("\n")
        );
        assert_eq!(one(&text).der, Some(der()));
        // All on one line, as some clients join a pasted block.
        let joined = format!("-----BEGIN CERTIFICATE----- {b64} -----END CERTIFICATE-----");
        assert_eq!(one(&joined).der, Some(der()));
    }

    #[test]
    fn a_block_that_is_not_base64_or_has_no_end_is_still_a_block() {
        let broken =
            one("-----BEGIN CERTIFICATE-----\nMIIC*not base64*\n-----END CERTIFICATE-----");
        assert_eq!(broken.der, None);
        let text = "-----BEGIN CERTIFICATE-----\nMIIC/jCC\nAeYCCU86\n\nThanks, Ion";
        let cut = one(text);
        assert_eq!(
            &text[cut.range.clone()],
            "-----BEGIN CERTIFICATE-----\nMIIC/jCC\nAeYCCU86\n"
        );
        assert!(cut.der.is_some_and(|d| d.len() == 12));
        assert_eq!(one("-----BEGIN CERTIFICATE-----\n").der, None);
    }

    #[test]
    fn two_blocks_run_together_are_two_and_do_not_overlap() {
        let body: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        let text = format!(
            "-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE----------BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----"
        );
        let blocks = blocks_in(&text);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].range.end <= blocks[1].range.start);
        assert!(blocks.iter().all(|b| b.der == Some(der())));
    }

    #[test]
    fn the_words_before_a_block_say_its_environment() {
        let text = format!("Certificatul pentru TEST:\n\n{PEM}\nIar cel de producție: {PEM}");
        let blocks = blocks_in(&text);
        assert_eq!(blocks[0].environment, Some(Environment::Test));
        assert_eq!(blocks[1].environment, Some(Environment::Prod));
    }

    #[test]
    fn cutting_out_leaves_the_text_around_with_a_blank_line_between() {
        let text = format!("Serial: 01:02:03\n{PEM}IP: 194.0.2.10 ăș\nCert: {PEM}");
        let blocks = blocks_in(&text);
        assert_eq!(
            cut_out(&text, &blocks),
            "Serial: 01:02:03\n\n\nIP: 194.0.2.10 ăș\nCert: \n\n"
        );
    }

    #[test]
    fn a_flood_of_armour_without_end_is_read_in_one_pass() {
        // A search for END per block would take minutes here; one pass, milliseconds.
        let text = "-----BEGIN CERTIFICATE-----\nabc\n".repeat(20_000);
        assert_eq!(blocks_in(&text).len(), 20_000);
    }
}
