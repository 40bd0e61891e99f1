//! How a value written after a label is cleaned ("Denumirea SI este „X”." → `X`), and what
//! the operators are told about it: how it was written when that differs from the value
//! filed, and a remark in parentheses after it.

use serde::Serialize;

use super::labels::CONNECTING;
use super::text::fold;

/// What the operators should know about one value filed: how the sender wrote it, when the
/// filed value reads differently, and a remark they wrote right after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `system_name`, `attribute`, `event_type`, `channel` or `document_type`.
    pub item: &'static str,
    /// The value as filed.
    pub value: String,
    /// What the sender wrote, when it is not the value filed once both are folded and
    /// stripped to letters and digits ("poștă electronică" for `email`; not "E-mail").
    pub written: Option<String>,
    /// The remark in parentheses written right after the value, without them.
    pub remark: Option<String>,
}

impl Note {
    /// The note on `value`, filed as `item` from what was `written` with `remark`; `None`
    /// when there is nothing to tell.
    pub fn of(
        item: &'static str,
        value: &str,
        written: &str,
        remark: Option<&str>,
    ) -> Option<Note> {
        let written = (key(written) != key(value)).then(|| written.to_string());
        (written.is_some() || remark.is_some()).then(|| Note {
            item,
            value: value.to_string(),
            written,
            remark: remark.map(shortened),
        })
    }
}

/// Longest remark kept, in chars: a remark is a few words. It is stored with its item and
/// shown beside it in every operator mail about the case, so a longer one is cut.
const MAX_REMARK: usize = 120;

/// `remark` cut to [`MAX_REMARK`] chars, with an ellipsis when it was longer.
fn shortened(remark: &str) -> String {
    match remark.char_indices().nth(MAX_REMARK) {
        Some((at, _)) => format!("{}…", remark[..at].trim_end()),
        None => remark.to_string(),
    }
}

/// A value cleaned, and the remark that followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned<'a> {
    /// The value: no connecting words, quotes or trailing punctuation.
    pub value: &'a str,
    /// The text in parentheses after the value, trimmed; `None` when there was none.
    pub remark: Option<&'a str>,
}

/// Letters and digits of `text`, folded: what two spellings of one word share.
pub fn key(text: &str) -> String {
    fold(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Separators a value may start with after its label, bold markers included.
const SEPARATORS: [char; 8] = [':', '=', '-', '–', '—', '*', '_', '#'];

/// Chars a value does not end with.
const TRAILING: [char; 7] = ['.', ',', ';', ':', '!', '*', '_'];

const OPENING_QUOTES: [char; 6] = ['"', '\'', '„', '«', '“', '‘'];
const CLOSING_QUOTES: [char; 5] = ['"', '\'', '”', '»', '“'];

/// `raw` without the separators and connecting words between a label and its value
/// (": ", " — это ", " is called ", " este "). Connecting words count only in lower case:
/// "System: IS Cadastru" keeps its "IS".
pub fn strip_connecting(raw: &str) -> &str {
    let mut rest = raw;
    // A few rounds: "— это", "is:" — never a loop over a hostile line.
    for _ in 0..4 {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(&c));
        let head: String = rest.chars().take(24).collect();
        let folded_head = fold(&head);
        let word = CONNECTING.iter().find(|w| {
            folded_head.starts_with(**w)
                && folded_head[w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == ':')
        });
        let Some(word) = word else { break };
        let chars = word.chars().count();
        let end = rest
            .char_indices()
            .nth(chars)
            .map_or(rest.len(), |(i, _)| i);
        if rest[..end].chars().any(char::is_uppercase) {
            break;
        }
        rest = &rest[end..];
    }
    rest
}

/// Cleans a value written after a label: connecting words, a remark in parentheses at its
/// end (returned apart), quotes around it and trailing punctuation go. `None` when nothing
/// is left.
pub fn clean(raw: &str) -> Option<Cleaned<'_>> {
    let value = trim_end(strip_connecting(raw));
    let (value, remark) = split_remark(value);
    let value = unquote(trim_end(value));
    let value = trim_end(value);
    (!value.is_empty()).then_some(Cleaned { value, remark })
}

fn trim_end(text: &str) -> &str {
    text.trim()
        .trim_end_matches(|c: char| c.is_whitespace() || TRAILING.contains(&c))
}

/// The value before a final `(…)`, and the remark inside it (`None` when blank).
fn split_remark(text: &str) -> (&str, Option<&str>) {
    if !text.ends_with(')') {
        return (text, None);
    }
    let mut depth = 0usize;
    for (at, c) in text.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    let before = text[..at].trim_end();
                    if before.is_empty() {
                        return (text, None);
                    }
                    let inside = text[at + 1..text.len() - 1].trim();
                    return (before, (!inside.is_empty()).then_some(inside));
                }
            }
            _ => {}
        }
    }
    (text, None)
}

/// `text` without the quotes around it: a pair around the whole, or one quote left alone at
/// either end ("Registrul" typed with one quote).
fn unquote(text: &str) -> &str {
    let is_quote = |c: char| OPENING_QUOTES.contains(&c) || CLOSING_QUOTES.contains(&c);
    let quotes = text.chars().filter(|c| is_quote(*c)).count();
    let opens = text.starts_with(OPENING_QUOTES);
    let closes = text.ends_with(CLOSING_QUOTES);
    let first = text.chars().next().map_or(0, char::len_utf8);
    let last = text.chars().next_back().map_or(0, char::len_utf8);
    match (quotes, opens, closes) {
        (2, true, true) if text.len() > first => text[first..text.len() - last].trim(),
        (1, true, _) => text[first..].trim(),
        (1, _, true) => text[..text.len() - last].trim(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(raw: &str) -> (&str, Option<&str>) {
        let c = clean(raw).expect("a value");
        (c.value, c.remark)
    }

    #[test]
    fn connecting_words_and_separators_go() {
        assert_eq!(cleaned(" is Local Acts Register").0, "Local Acts Register");
        assert_eq!(cleaned(" — это «Е-Школа».").0, "Е-Школа");
        assert_eq!(cleaned(" —это Е-Школа").0, "Е-Школа");
        assert_eq!(cleaned(" se numește „Registrul”").0, "Registrul");
        assert_eq!(cleaned(": este Registrul").0, "Registrul");
        assert_eq!(cleaned(" will be called SchoolReg!").0, "SchoolReg");
        assert_eq!(cleaned(" называется Реестр").0, "Реестр");
        assert_eq!(cleaned(" будет Реестр;").0, "Реестр");
        assert_eq!(cleaned(": e Registrul").0, "Registrul");
        assert_eq!(cleaned(": IS Cadastru").0, "IS Cadastru");
        assert_eq!(cleaned(": e-Școala").0, "e-Școala");
        assert_eq!(cleaned(": **Registrul**").0, "Registrul");
    }

    #[test]
    fn a_remark_after_the_value_is_kept_apart() {
        assert_eq!(
            cleaned("NumarCadastral (atribut nestandard)"),
            ("NumarCadastral", Some("atribut nestandard"))
        );
        assert_eq!(
            cleaned("StudentCardNumber ( custom )."),
            ("StudentCardNumber", Some("custom"))
        );
        assert_eq!(cleaned("„Registrul” (nou)."), ("Registrul", Some("nou")));
        assert_eq!(cleaned("Registrul (a (b))"), ("Registrul", Some("a (b)")));
        assert_eq!(cleaned("Registrul ()"), ("Registrul", None));
        assert_eq!(cleaned("(custom)"), ("(custom)", None));
        assert_eq!(
            cleaned("Registrul (vechi) nou"),
            ("Registrul (vechi) nou", None)
        );
    }

    #[test]
    fn quotes_go_only_around_the_whole_value() {
        assert_eq!(cleaned("«Е-Школа»").0, "Е-Школа");
        assert_eq!(
            cleaned("\"Registrul bunurilor imobile\"").0,
            "Registrul bunurilor imobile"
        );
        assert_eq!(cleaned("“Portal”").0, "Portal");
        assert_eq!(cleaned("'Portal'").0, "Portal");
        assert_eq!(cleaned("\"Portal").0, "Portal");
        assert_eq!(
            cleaned("SIA „Registrul Școlar”").0,
            "SIA „Registrul Școlar”"
        );
        assert_eq!(cleaned("„A” și „B”").0, "„A” și „B”");
        assert!(clean(" : . ").is_none());
    }

    #[test]
    fn a_note_says_only_what_matters() {
        assert_eq!(Note::of("channel", "email", "E-mail", None), None);
        assert_eq!(Note::of("channel", "sms", "SMS", None), None);
        assert_eq!(
            Note::of("channel", "email", "poștă electronică", None),
            Some(Note {
                item: "channel",
                value: "email".into(),
                written: Some("poștă electronică".into()),
                remark: None,
            })
        );
        let n = Note::of(
            "attribute",
            "StudentCardNumber",
            "StudentCardNumber",
            Some("custom"),
        );
        assert_eq!(n.unwrap().remark.as_deref(), Some("custom"));
        // A remark of a megabyte would sit beside its item in every operator mail.
        let long = "ă".repeat(1_000_000);
        let n = Note::of("event_type", "login", "login", Some(&long)).unwrap();
        let remark = n.remark.unwrap();
        assert_eq!(remark.chars().count(), MAX_REMARK + 1);
        assert!(remark.ends_with('…'));
        assert_eq!(
            serde_json::to_value(Note::of("attribute", "FirstName", "prenume", None)).unwrap(),
            serde_json::json!({"item": "attribute", "value": "FirstName", "written": "prenume", "remark": null})
        );
    }
}
