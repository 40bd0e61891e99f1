//! HTML mail read as text: block ends become line breaks (so "Label: value" lines stay
//! lines), scripts and styles go, tags are dropped and entities decoded. What a mail client
//! quoted (`<blockquote>`, Gmail's, Outlook's and Yahoo's reply markup) comes out as `> `
//! lines, exactly as plain-text quotes, so it is never read as new text or as a command.

use std::sync::LazyLock;

use regex::{Captures, Regex};

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

/// Every tag, its quoted attribute values read whole (a `</blockquote>` written inside an
/// attribute is not a tag); the tags that matter for quoting are picked out by name.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<(/?)([a-z][a-z0-9]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>"#)
        .expect("static regex is valid")
});
/// Block tags after which the rest of the body may be what the client quoted.
const QUOTING_BLOCKS: [&str; 8] = [
    "div", "p", "section", "article", "aside", "span", "table", "hr",
];
/// The mark of a block after which the rest of the body is what the client quoted: Gmail's
/// `gmail_quote`, Outlook's `divRplyFwdMsg` and bordered separator (as Outlook for Windows
/// and the Mac write it: `border-top:solid`, `border-top-style:solid`, `border-style: solid
/// none none`; a sender's own `border-top: 1px solid` signature line is no quote), Yahoo's
/// `yahoo_quoted` (`ydp…yahoo_quoted` included). Matched after numeric entities are decoded.
static QUOTE_DIV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)
          \b(?:class|id)\s*=\s*["']?[^"'>]*(?:gmail_quote|yahoo_quoted)
        | \bid\s*=\s*["']?divRplyFwdMsg\b
        | \bstyle\s*=\s*["'][^"']*(?:border-top(?:-style)?\s*:\s*solid|border-style\s*:\s*solid\s+none)"#,
    )
    .expect("static regex is valid")
});
static NUMERIC_ENTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)&#(x[0-9a-f]{1,6}|[0-9]{1,7});?").expect("static regex is valid")
});
/// The first line of a forwarded message (Gmail in English, Romanian and Russian; Apple
/// Mail): what follows it is content the sender passes on, not history.
static FORWARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            -{2,}\s*(?:forwarded\s+message|mesaj(?:ul)?\s+(?:redirec[tţț]ionat|transmis|[iî]naintat)|пересылаемое\s+сообщение|переадресованное\s+сообщение)\s*-{2,}
          | begin\s+forwarded\s+message:?
        )$",
    )
    .expect("static regex is valid")
});

/// Marks an empty block (Outlook's `<div><br></div>`): the one place HTML means a blank line.
const BLANK: &str = "\u{1}";
/// Marks where a quote opens (a `<blockquote>`).
const QUOTE_OPEN: &str = "\u{2}";
/// Marks where a quote closes.
const QUOTE_CLOSE: &str = "\u{3}";
/// Marks where the client's quote of the earlier mail begins and runs to the end.
const QUOTE_REST: &str = "\u{4}";
/// Marks a `<blockquote>` that holds a forwarded message: read, but its end still closes it.
const FORWARD_OPEN: &str = "\u{5}";
/// How much of what follows a quoting tag is looked at to tell a forward from a quote.
const FORWARD_PROBE: usize = 2000;
/// How many quoting tags of one body are looked at that way.
const FORWARD_PROBES: usize = 64;
/// Words one of which a forward's first line holds (folded), checked before any regex.
const FORWARD_WORDS: [&str; 7] = [
    "forward",
    "redirec",
    "transmis",
    "inaintat",
    "înaintat",
    "пересыла",
    "переадрес",
];

/// The text of an HTML body, one line per block; an empty block is a blank line, and what
/// the client quoted is on lines that begin with `> `.
pub fn to_text(html: &str) -> String {
    // The markers are control characters; a sender's own must not pass for ours.
    let own = html.replace(['\u{1}', '\u{2}', '\u{3}', '\u{4}', '\u{5}'], "");
    let visible = INVISIBLE.replace_all(&own, " ");
    // Source line breaks are spaces in HTML; only the tags below break lines.
    let flat = visible.replace(['\r', '\n'], " ");
    let quotes = mark_quotes(&flat);
    let marked = EMPTY_BLOCK.replace_all(&quotes, format!("\n{BLANK}\n"));
    let broken = BREAK.replace_all(&marked, "\n");
    let single = BREAKS.replace_all(&broken, "\n");
    let mut out = String::new();
    // One entry per open blockquote: whether it quotes (a forward does not); `quoting`
    // counts the `true`s, so deep nesting costs nothing per line.
    let mut open: Vec<bool> = Vec::new();
    let mut quoting = 0usize;
    let mut rest = false;
    for line in single.lines() {
        match line.trim() {
            BLANK => {
                if !out.is_empty() && !out.ends_with("\n\n") {
                    out.push('\n');
                }
                continue;
            }
            QUOTE_OPEN => {
                open.push(true);
                quoting += 1;
            }
            FORWARD_OPEN => open.push(false),
            QUOTE_CLOSE => {
                if open.pop() == Some(true) {
                    quoting -= 1;
                }
            }
            QUOTE_REST => rest = true,
            _ => {
                let text = line_text(line);
                if !text.is_empty() {
                    if rest || quoting > 0 {
                        out.push_str("> ");
                    }
                    out.push_str(&text);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// One line's text: mail-parser strips what tags are left and decodes every named entity.
fn line_text(line: &str) -> String {
    mail_parser::decoders::html::html_to_text(line)
        .replace('\u{a0}', " ")
        .trim()
        .to_string()
}

/// Puts a marker line where each quote opens and closes; other tags stay as they are.
fn mark_quotes(flat: &str) -> String {
    // Telling a forward from a quote reads what follows the tag; a message of thousands of
    // nested quotes must not make that reading quadratic, and past the budget a quote is
    // just a quote (the safe reading: its words are not the sender's).
    let mut probes = FORWARD_PROBES;
    let mut forwards = |after: &str| {
        probes = probes.saturating_sub(1);
        probes > 0 && forwards(after)
    };
    TAG.replace_all(flat, |caps: &Captures| {
        let Some(tag) = caps.get(0) else {
            return String::new();
        };
        let text = tag.as_str();
        let closing = !caps[1].is_empty();
        let name = caps[2].to_ascii_lowercase();
        let marker = if name == "blockquote" && closing {
            QUOTE_CLOSE
        } else if closing || !(name == "blockquote" || QUOTING_BLOCKS.contains(&name.as_str())) {
            return text.to_string();
        } else if name == "blockquote" {
            if forwards(&flat[tag.end()..]) {
                FORWARD_OPEN
            } else {
                QUOTE_OPEN
            }
        } else if QUOTE_DIV.is_match(&decode_numeric(text)) && !forwards(&flat[tag.end()..]) {
            QUOTE_REST
        } else {
            return text.to_string();
        };
        format!("\n{marker}\n")
    })
    .into_owned()
}

/// A tag with its numeric character references decoded (`gmail&#95;quote` is `gmail_quote`
/// to the browser that shows it, so it is to us).
fn decode_numeric(tag: &str) -> String {
    NUMERIC_ENTITY
        .replace_all(tag, |caps: &Captures| {
            let code = &caps[1];
            let value = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => code.parse().ok(),
            };
            value
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        })
        .into_owned()
}

/// Whether the HTML right after a quoting tag opens a forwarded message (its first lines
/// say so), whose content is the sender's to pass on.
fn forwards(after: &str) -> bool {
    let mut end = after.len().min(FORWARD_PROBE);
    while !after.is_char_boundary(end) {
        end -= 1;
    }
    let window = after[..end].to_lowercase();
    if !FORWARD_WORDS.iter().any(|w| window.contains(w)) {
        return false;
    }
    let head = INVISIBLE.replace_all(&after[..end], " ");
    let broken = BREAK.replace_all(&head, "\n");
    broken
        .lines()
        .map(line_text)
        .filter(|l| !l.is_empty())
        .take(3)
        .any(|l| FORWARD.is_match(&l))
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

    const REMARK: &str = "<div dir=\"ltr\">Mă uit mâine.</div>";

    #[test]
    fn a_blockquote_is_quoted_and_nesting_is_tracked() {
        assert_eq!(
            to_text(&format!("{REMARK}<blockquote style=\"margin:0 0 0 .8ex\"><div>OK</div><div>Token: t</div></blockquote>")),
            "Mă uit mâine.\n> OK\n> Token: t\n"
        );
        assert_eq!(
            to_text("<blockquote>a<blockquote>b</blockquote>c</blockquote>d"),
            "> a\n> b\n> c\nd\n"
        );
    }

    #[test]
    fn quote_markup_in_every_way_clients_and_forgers_write_it_is_quoted() {
        for opening in [
            "<div class=\"ydp5c1yahoo_quoted\">",
            "<div id=\"yahoo_quoted_4411\">",
            "<div style=\"border:none;border-top-style:solid;border-top-width:1pt\">",
            "<div style=\"border-style: solid none none; border-top-color: #B5C4DF\">",
            "<p style=\"border-top:solid #E1E1E1 1.0pt\">",
            "<div class=\"gmail&#95;quote\">",
            "<section class=\"gmail_quote\">",
        ] {
            let html = format!("{REMARK}{opening}<div>De la: Agenția</div><div>OK</div>");
            assert_eq!(
                to_text(&html),
                "Mă uit mâine.\n> De la: Agenția\n> OK\n",
                "{opening}"
            );
        }
    }

    #[test]
    fn a_closing_tag_inside_an_attribute_closes_nothing() {
        let html = format!(
            "{REMARK}<blockquote><span title=\"</blockquote>\">x</span><div>OK</div></blockquote>"
        );
        let text = to_text(&html);
        assert!(text.starts_with("Mă uit mâine.\n"), "{text}");
        assert!(text.lines().skip(1).all(|l| l.starts_with("> ")), "{text}");
        assert!(text.ends_with("> OK\n"), "{text}");
    }

    #[test]
    fn deep_nesting_costs_nothing_per_line() {
        let depth = 20_000;
        let html = format!(
            "{}OK{}",
            "<blockquote>".repeat(depth),
            "</blockquote>".repeat(depth)
        );
        assert_eq!(to_text(&html), "> OK\n");
    }

    #[test]
    fn thunderbird_and_apple_mail_quote_with_type_cite() {
        let thunderbird = format!("{REMARK}<div class=\"moz-cite-prefix\">On 01.12.2026 09:00, Agenția wrote:<br></div><blockquote type=\"cite\" cite=\"mid:x@egov.md\"><div>OK</div></blockquote>");
        assert_eq!(
            to_text(&thunderbird),
            "Mă uit mâine.\nOn 01.12.2026 09:00, Agenția wrote:\n> OK\n"
        );
        let apple = format!("{REMARK}<div><br><blockquote type=\"cite\"><div>OK</div></blockquote></div><div>PS</div>");
        assert_eq!(to_text(&apple), "Mă uit mâine.\n> OK\nPS\n");
    }

    #[test]
    fn gmail_quotes_everything_from_its_quote_div() {
        let gmail = format!("{REMARK}<br><div class=\"gmail_quote gmail_quote_container\"><div dir=\"ltr\" class=\"gmail_attr\">On Tue, 1 Dec 2026 at 09:00, Agenția &lt;servicii@egov.md&gt; wrote:<br></div><div>OK</div></div>");
        assert_eq!(
            to_text(&gmail),
            "Mă uit mâine.\n> On Tue, 1 Dec 2026 at 09:00, Agenția <servicii@egov.md> wrote:\n> OK\n"
        );
    }

    #[test]
    fn a_gmail_forward_is_content_in_every_language() {
        for attribution in [
            "---------- Forwarded message ---------",
            "---------- Mesaj redirecționat ---------",
            "---------- Пересылаемое сообщение ---------",
        ] {
            let forward = format!("<div dir=\"ltr\">Vedeți mai jos.<br><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">{attribution}<br>From: <strong class=\"gmail_sendername\" dir=\"auto\">Ion</strong> <span dir=\"auto\">&lt;ion@asp.gov.md&gt;</span><br>Date: Mon, 30 Nov 2026<br></div><br><br><div dir=\"ltr\">SI: Portal</div></div></div>");
            let text = to_text(&forward);
            assert!(!text.contains("> "), "{text}");
            assert!(text.ends_with("SI: Portal\n"), "{text}");
        }
    }

    #[test]
    fn an_apple_mail_forward_is_content() {
        let forward = "<div>FYI</div><div><br><blockquote type=\"cite\"><div>Begin forwarded message:</div><br class=\"Apple-interchange-newline\"><div><b>From: </b>Ion</div><div>SI: Portal</div></blockquote></div>";
        assert_eq!(
            to_text(forward),
            "FYI\nBegin forwarded message:\nFrom: Ion\nSI: Portal\n"
        );
    }

    #[test]
    fn outlook_quotes_from_its_reply_header_on() {
        let web = format!("{REMARK}<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" color=\"#000000\"><b>From:</b> Agenția &lt;servicii@egov.md&gt;<br><b>Sent:</b> Tuesday<br></font><div>&nbsp;</div></div><div>OK</div>");
        assert_eq!(
            to_text(&web),
            "Mă uit mâine.\n> From:Agenția <servicii@egov.md>\n> Sent:Tuesday\n\n> OK\n"
        );
        let desktop = "<div class=\"WordSection1\"><p class=\"MsoNormal\">Mă uit mâine.<o:p></o:p></p><div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\"><p class=\"MsoNormal\"><b>De la:</b> Agenția<br><b>Trimis:</b> marți</p></div></div><p class=\"MsoNormal\">OK<o:p></o:p></p></div>";
        assert_eq!(
            to_text(desktop),
            "Mă uit mâine.\n> De la: Agenția\n> Trimis:marți\n> OK\n"
        );
    }

    #[test]
    fn yahoo_quotes_from_its_quoted_div() {
        let yahoo = format!("{REMARK}<div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div style=\"font-size:13px\"><div>On Tuesday, Agenția wrote:</div><div>OK</div></div></div>");
        assert_eq!(
            to_text(&yahoo),
            "Mă uit mâine.\n> On Tuesday, Agenția wrote:\n> OK\n"
        );
    }

    #[test]
    fn a_styled_border_of_the_senders_own_is_no_quote() {
        assert_eq!(
            to_text(
                "<div>SI: Portal</div><div style=\"border-top: 1px solid #ccc\">Ion Popescu</div>"
            ),
            "SI: Portal\nIon Popescu\n"
        );
    }

    #[test]
    fn a_senders_own_marker_characters_close_no_quote() {
        assert_eq!(
            to_text("<blockquote><div>\u{3}</div><div>\u{5}OK</div></blockquote>"),
            "> OK\n"
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
