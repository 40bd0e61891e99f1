//! Sender text cleaned once, where it enters: control characters and bidi controls go, and
//! a value that is one line (a subject, a name, a file name) is folded to one line, so no
//! template, header, log line or terminal downstream ever sees the raw form.

/// Line breaks a value of one line must not keep: CR, LF, TAB, NEL, LINE and PARAGRAPH
/// SEPARATOR.
fn breaks_line(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\t' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Bidi embedding, override and isolate controls: they reorder what a reader sees (a file
/// named `cod\u{202e}exe.cer` reads as `codrec.exe`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// C0 and C1 controls and DEL: what terminals and headers act on.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// A value of one line: line breaks and tabs become spaces, other controls and bidi
/// controls go, runs of white space become one space, the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = if breaks_line(c) { ' ' } else { c };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if is_control(c) || is_bidi_control(c) {
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// A text of several lines: CRLF, CR, NEL and the Unicode line and paragraph separators
/// become `\n`, tabs stay, every other control and bidi control goes.
pub fn multi_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push('\t'),
            c if is_control(c) || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks_and_drops_controls() {
        assert_eq!(
            one_line("Conectare MDocs\nVă rugăm\r\n  trimiteți\tparola"),
            "Conectare MDocs Vă rugăm trimiteți parola"
        );
        assert_eq!(
            one_line("\x1b[31mroșu\x1b[0m\x07 \x1b]0;titlu\x07"),
            "[31mroșu[0m ]0;titlu"
        );
        assert_eq!(one_line("a\u{85}b\u{2028}c\u{2029}d"), "a b c d");
        assert_eq!(one_line("a\u{9b}b\u{7f}c\u{0}d"), "abcd");
        assert_eq!(one_line("  \r\n "), "");
        assert_eq!(one_line("Registrul\u{a0}Școlar"), "Registrul Școlar");
    }

    #[test]
    fn one_line_drops_bidi_controls() {
        assert_eq!(one_line("cod\u{202e}exe.cer"), "codexe.cer");
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}',
        ] {
            assert_eq!(one_line(&format!("a{c}b")), "ab", "{:?}", c);
        }
        // Marks that only hint direction are text, not controls.
        assert_eq!(one_line("a\u{200f}b"), "a\u{200f}b");
    }

    #[test]
    fn a_forged_log_line_stays_inside_its_value() {
        let name = "sistem.cer\r\n2026-12-02T10:00:00.000000Z  INFO egov_desk: forged";
        let clean = one_line(name);
        assert!(!clean.contains('\n'));
        assert!(clean.starts_with("sistem.cer 2026-12-02"), "{clean}");
    }

    #[test]
    fn multi_line_keeps_lines_and_tabs_and_drops_controls() {
        assert_eq!(
            multi_line("a\r\nb\rc\nd\u{2028}e\u{2029}f\u{85}g"),
            "a\nb\nc\nd\ne\nf\ng"
        );
        assert_eq!(multi_line("a\tb\r\n\r\nc"), "a\tb\n\nc");
        assert_eq!(
            multi_line("Instituția: \x1b]0;x\x07ASP\x1b[2J\u{202e}\x0c\x0b\u{9b}"),
            "Instituția: ]0;xASP[2J"
        );
        assert_eq!(multi_line("  indented  \n"), "  indented  \n");
    }
}
