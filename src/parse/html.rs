//! HTML mail read as text: block ends become line breaks (so "Label: value" lines stay
//! lines), scripts and styles go, tags are dropped and entities decoded.

use std::sync::LazyLock;

use regex::Regex;

static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)<head\b.*?</head\s*>|<style\b.*?</style\s*>|<script\b.*?</script\s*>|<!--.*?-->",
    )
    .expect("static regex is valid")
});
static EMPTY_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<p\b[^>]*>(?:\s|&nbsp;|<br\s*/?>)*</p\s*>|<div\b[^>]*>(?:\s|&nbsp;|<br\s*/?>)*</div\s*>")
        .expect("static regex is valid")
});
static BREAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<br\s*/?>|</?(?:p|div|tr|li|h[1-6]|table|ul|ol|blockquote|pre)\b[^>]*>")
        .expect("static regex is valid")
});
static BREAKS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n(?:[ \t]*\n)*").expect("static regex is valid"));

/// Marks an empty block (Outlook's `<div><br></div>`): the one place HTML means a blank line.
const BLANK: &str = "\u{1}";

/// The text of an HTML body, one line per block; an empty block is a blank line.
pub fn to_text(html: &str) -> String {
    let visible = INVISIBLE.replace_all(html, " ");
    // Source line breaks are spaces in HTML; only the tags below break lines.
    let flat = visible.replace(['\r', '\n'], " ");
    let marked = EMPTY_BLOCK.replace_all(&flat, format!("\n{BLANK}\n"));
    let broken = BREAK.replace_all(&marked, "\n");
    let single = BREAKS.replace_all(&broken, "\n");
    let mut out = String::new();
    for line in single.lines() {
        if line.trim() == BLANK {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            continue;
        }
        // mail-parser strips what tags are left and decodes every named entity.
        let text = mail_parser::decoders::html::html_to_text(line).replace('\u{a0}', " ");
        let text = text.trim();
        if !text.is_empty() {
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_and_entities_are_decoded() {
        let html = "<html><head><style>p{}</style></head><body><div>Denumirea sistemului: Registrul&nbsp;Na&#355;ional</div>\n<div>IP: 212.56.210.4<br>tel. 022</div><div><br></div><p>SI: e-&Icirc;mputerniciri</p><script>x()</script></body></html>";
        assert_eq!(
            to_text(html),
            "Denumirea sistemului: Registrul Naţional\nIP: 212.56.210.4\ntel. 022\n\nSI: e-Împuterniciri\n"
        );
    }

    #[test]
    fn list_items_stay_one_list() {
        assert_eq!(
            to_text("<p>Canale:</p><ul><li>Email</li><li>SMS</li></ul>"),
            "Canale:\nEmail\nSMS\n"
        );
    }
}
