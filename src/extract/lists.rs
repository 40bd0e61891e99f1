//! Lists a beneficiary writes under a label: MPass authentication attributes, MLog event
//! types, MNotify notification channels. Items follow the label on its line (separated by
//! commas or semicolons) or stand one per bulleted line below it, up to a blank line.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::text::fold;

/// MPass's standard attribute names (docs/procedure.md), in their canonical spelling.
pub const STANDARD_ATTRIBUTES: [&str; 13] = [
    "NameIdentifier",
    "IsResident",
    "FirstName",
    "LastName",
    "BirthDate",
    "Gender",
    "EmailAddress",
    "MobilePhone",
    "HomePhone",
    "Language",
    "AdministeredLegalEntity",
    "IDNO",
    "CompanyName",
];

/// The MPass attributes a mail asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attributes {
    /// Standard names, canonical spelling.
    pub standard: Vec<String>,
    /// Other names of an attribute list, as written: kept, and flagged to the operators.
    pub custom: Vec<String>,
}

static ATTRIBUTES_LABEL: LazyLock<Regex> =
    LazyLock::new(|| label(r"atribute|atributele|atributelor|attributes|атрибуты|атрибутов"));
static EVENTS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    label(
        r"tipuri de evenimente|tipurile de evenimente|evenimente|evenimentele|event types|events|типы событий|события",
    )
});
static CHANNELS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    label(
        r"canale de notificare|canalele de notificare|canale|canalele|notification channels|channels|каналы уведомлений|каналы",
    )
});
static DOCUMENTS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    label(
        r"tipuri de documente|tipurile de documente|tipuri documente|document types|types of documents|типы документов|виды документов",
    )
});
static STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)\b(?:{})\b", STANDARD_ATTRIBUTES.join("|")))
        .expect("static regex is valid")
});
static BULLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+(.+?)\s*$").expect("static regex is valid")
});

fn label(words: &str) -> Regex {
    Regex::new(&format!(r"(?:^|[^\p{{L}}])({words})(?:[^\p{{L}}]|$)"))
        .expect("static regex is valid")
}

/// The attributes named in `text`: every standard name anywhere, and the other items of a
/// labelled attribute list.
pub fn attributes_in(text: &str) -> Attributes {
    let mut standard: Vec<&str> = Vec::new();
    for m in STANDARD.find_iter(text) {
        let name = STANDARD_ATTRIBUTES
            .iter()
            .find(|s| s.eq_ignore_ascii_case(m.as_str()))
            .copied();
        if let Some(name) = name.filter(|n| !standard.contains(n)) {
            standard.push(name);
        }
    }
    let custom = items_after(text, &ATTRIBUTES_LABEL)
        .into_iter()
        .filter(|item| {
            !STANDARD_ATTRIBUTES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(item))
        })
        .collect();
    Attributes {
        standard: standard.into_iter().map(str::to_string).collect(),
        custom,
    }
}

/// MLog event types, as written.
pub fn event_types_in(text: &str) -> Vec<String> {
    items_after(text, &EVENTS_LABEL)
}

/// MDocs document types, as written.
pub fn document_types_in(text: &str) -> Vec<String> {
    items_after(text, &DOCUMENTS_LABEL)
}

/// MNotify channels, lower-cased.
pub fn channels_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items_after(text, &CHANNELS_LABEL) {
        let item = item.to_lowercase();
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The items of every list introduced by a line matching `label`.
fn items_after(text: &str, label: &Regex) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut items: Vec<String> = Vec::new();
    let mut push = |item: &str| {
        let item = item.trim().trim_end_matches(['.', ',', ';']).trim();
        if !item.is_empty() && item.chars().count() <= 80 && !items.iter().any(|i| i == item) {
            items.push(item.to_string());
        }
    };
    for (i, line) in lines.iter().enumerate() {
        let folded = fold(line);
        let Some(m) = label.captures(&folded).and_then(|c| c.get(1)) else {
            continue;
        };
        let after: String = line
            .chars()
            .skip(folded[..m.end()].chars().count())
            .collect();
        let bullets_follow = match after.split_once(':') {
            Some((_, rest)) if !rest.trim().is_empty() => {
                rest.split([',', ';']).for_each(&mut push);
                false
            }
            Some(_) => true,
            // A label that ends its line introduces a list; one inside a sentence does not.
            None => after.trim().is_empty(),
        };
        if bullets_follow {
            for next in lines.iter().skip(i + 1) {
                match BULLET.captures(next) {
                    Some(c) => push(&c[1]),
                    None => break,
                }
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_and_custom_attributes_are_told_apart() {
        let text = "Atributele necesare: NameIdentifier, firstname, LastName, Patronimic.\nIDNO este necesar.";
        let a = attributes_in(text);
        assert_eq!(
            a.standard,
            ["NameIdentifier", "FirstName", "LastName", "IDNO"]
        );
        assert_eq!(a.custom, ["Patronimic"]);
    }

    #[test]
    fn a_bulleted_list_ends_at_the_blank_line() {
        let text =
            "Tipurile de evenimente:\n- autentificare\n- semnare document\n\n- nu face parte";
        assert_eq!(event_types_in(text), ["autentificare", "semnare document"]);
    }

    #[test]
    fn channels_are_lower_cased() {
        assert_eq!(
            channels_in("Каналы уведомлений: Email; SMS"),
            ["email", "sms"]
        );
        assert_eq!(
            channels_in("Notification channels:\n1. E-mail\n2) Push"),
            ["e-mail", "push"]
        );
    }

    #[test]
    fn document_types_are_read() {
        assert_eq!(
            document_types_in("Tipurile de documente: contract, act adițional"),
            ["contract", "act adițional"]
        );
    }

    #[test]
    fn text_without_a_label_has_no_lists() {
        assert!(event_types_in("We log everything, email us").is_empty());
        assert!(attributes_in("nimic aici").custom.is_empty());
    }
}
