//! Text helpers shared by the extractors: diacritic folding, the new (unquoted) part of a
//! reply, and values written after a label (`Serial number: …`).

use std::sync::LazyLock;

use regex::Regex;

/// Lower-cases and strips Romanian diacritics, one char for one char, so offsets in the
/// folded text map back to the original (`Numărul` → `numarul`, `ş`/`ș` → `s`).
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// One char folded: lower-case, Romanian diacritics and ё dropped.
pub(super) fn fold_char(c: char) -> char {
    match c {
        'ă' | 'â' | 'Ă' | 'Â' => 'a',
        'î' | 'Î' => 'i',
        'ș' | 'ş' | 'Ș' | 'Ş' => 's',
        'ț' | 'ţ' | 'Ț' | 'Ţ' => 't',
        'ё' | 'Ё' => 'е',
        other => other.to_lowercase().next().unwrap_or(other),
    }
}

/// Unifies the cedilla forms of ş/ţ with the comma-below forms Romanian uses.
pub fn normalize_romanian(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ş' => 'ș',
            'Ş' => 'Ș',
            'ţ' => 'ț',
            'Ţ' => 'Ț',
            other => other,
        })
        .collect()
}

static REPLY_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            on\s.{0,200}\swrote:?
          | (?:in|pe)\s.{0,200}\sa\s+scris:?
          | .{0,200}\s(?:написал|написала|написал\(а\)|пишет):?
          | -{2,}\s*(?:original\s+message|mesaj(?:ul)?\s+original|исходное\s+сообщение)\s*-{2,}
        )$",
    )
    .expect("static regex is valid")
});

static FORWARDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            -{2,}\s*(?:forwarded\s+message|mesaj\s+(?:redirectionat|transmis|inaintat)|пересылаемое\s+сообщение|переадресованное\s+сообщение)\s*-{2,}
          | begin\s+forwarded\s+message:?
        )$",
    )
    .expect("static regex is valid")
});

static OUTLOOK_FROM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\*?(?:from|de la|от):\*?\s").expect("static regex is valid"));

static OUTLOOK_SENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\*?(?:sent|date|trimis|data|отправлено|дата):\*?\s")
        .expect("static regex is valid")
});

/// The part of a message its sender wrote now: quoted (`>`) lines dropped, and nothing
/// from the first reply header ("On … wrote:", "În … a scris:", "… написал:", Outlook's
/// From:/Sent: block) or signature delimiter on, so our own earlier mail is never re-read.
pub fn new_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    // A forwarded message is content, not history: its From:/Date: block is no reply header.
    let mut forwarded = false;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed == "--" && line.starts_with("--") {
            break;
        }
        let folded = fold(trimmed);
        if FORWARDED.is_match(&folded) {
            forwarded = true;
            continue;
        }
        if REPLY_HEADER.is_match(&folded) {
            break;
        }
        if !forwarded
            && OUTLOOK_FROM.is_match(&folded)
            && lines
                .iter()
                .skip(i + 1)
                .take(3)
                .any(|l| OUTLOOK_SENT.is_match(&fold(l.trim())))
        {
            break;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        kept.push(*line);
    }
    kept.join("\n")
}

/// What the sender wrote themselves, above anything they quote *or forward*: where commands
/// are read. A forwarded message is someone else's words, never the sender's command.
pub fn own_text(text: &str) -> String {
    let own: Vec<&str> = text
        .lines()
        .take_while(|line| !FORWARDED.is_match(&fold(line.trim())))
        .collect();
    new_text(&own.join("\n"))
}

/// A value written after a label, with the line of the label (which may say TEST or PROD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    /// The label's whole line.
    pub line: String,
    /// The text after the label and its separator.
    pub value: String,
}

/// For each line whose folded form matches `label`, the original text after the label and
/// its separator (when a line holds only the label, the next non-empty line), with the
/// label's line.
pub fn labelled(text: &str, label: &Regex) -> Vec<Labelled> {
    let lines: Vec<&str> = text.lines().collect();
    let mut values = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let folded = fold(line);
        let Some(m) = label.find(&folded) else {
            continue;
        };
        let chars_before = folded[..m.end()].chars().count();
        let rest: String = line.chars().skip(chars_before).collect();
        let rest = rest.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '=' | '-' | '–' | '—' | '#' | '№' | '.')
        });
        let value = if !rest.trim().is_empty() {
            rest.trim().to_string()
        } else if let Some(next) = lines.iter().skip(i + 1).find(|l| !l.trim().is_empty()) {
            next.trim().to_string()
        } else {
            continue;
        };
        values.push(Labelled {
            line: line.to_string(),
            value,
        });
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_one_char_per_char() {
        let s = "Numărul de SERIE: ÎŞţ";
        assert_eq!(fold(s), "numarul de serie: ist");
        assert_eq!(fold(s).chars().count(), s.chars().count());
    }

    #[test]
    fn quoted_replies_and_signatures_are_left_out() {
        let text = "Numarul de serie: 01:02:03:04\n\
                    -- \nIon Popescu\n";
        assert_eq!(new_text(text).trim(), "Numarul de serie: 01:02:03:04");
        let text = "nou\n> vechi\nOn Mon, 2 Nov 2026, servicii@egov.md wrote:\nold stuff";
        assert_eq!(new_text(text), "nou");
        let text =
            "nou\nÎn lun., 2 nov. 2026 la 10:00, Servicii <servicii@egov.md> a scris:\nvechi";
        assert_eq!(new_text(text), "nou");
        let text = "новое\n2 нояб. 2026 г., 10:00 пользователь servicii@egov.md написал:\nстарое";
        assert_eq!(new_text(text), "новое");
        let text = "new\nFrom: Servicii\nSent: Monday\nTo: x\nold";
        assert_eq!(new_text(text), "new");
    }

    #[test]
    fn what_an_html_client_quoted_is_left_out_like_quoted_lines() {
        let html = |body: &str| {
            let raw =
                format!("From: a@b.md\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{body}\r\n");
            new_text(&crate::parse::parse(raw.as_bytes()).unwrap().text)
        };
        assert_eq!(
            html("<div>SI: Portal nou</div><blockquote type=\"cite\"><div>SI: Portal vechi</div></blockquote><div>IP: 194.0.2.10</div>"),
            "SI: Portal nou\nIP: 194.0.2.10"
        );
        assert_eq!(
            html("<div>SI: Portal nou</div><div class=\"gmail_quote\"><div>SI: Portal vechi</div></div><div>IP: 194.0.2.10</div>"),
            "SI: Portal nou"
        );
        assert!(html("<div>Vedeți</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- Forwarded message ---------<br>From: Ion</div><div>SI: Portal</div></div>").ends_with("SI: Portal"));
    }

    #[test]
    fn a_forwarded_message_is_content_not_history() {
        let text = "see below\n---------- Forwarded message ---------\nFrom: Ion <i@x.md>\nDate: Mon\nSubject: MPass\n\nSI: Portal";
        assert!(new_text(text).ends_with("SI: Portal"), "{}", new_text(text));
    }

    #[test]
    fn the_value_after_a_label_is_taken_from_the_original_text() {
        let label = Regex::new(r"denumirea sistemului").unwrap();
        let text =
            "Denumirea sistemului: SIA „Registrul Școlar”\nDenumirea sistemului:\n\n  e-Școala\n";
        assert_eq!(
            labelled(text, &label)
                .into_iter()
                .map(|l| l.value)
                .collect::<Vec<_>>(),
            vec!["SIA „Registrul Școlar”", "e-Școala"]
        );
    }
}
