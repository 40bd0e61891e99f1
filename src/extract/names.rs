//! The information system's name and the institution's, written after their labels.

use super::labelled::{Doc, Position};
use super::labels::Kind;
use super::text::normalize_romanian;
use super::values::{clean, Note};

/// Longest name kept; longer text after a label is a sentence, not a name.
const MAX_NAME: usize = 150;

/// The information system's name from the first line that labels it, and the note on it
/// (a remark in parentheses after it), with where it stands.
pub fn system_name(doc: &Doc) -> Option<(String, Option<(Position, Note)>)> {
    doc.values(Kind::SystemName)
        .into_iter()
        .find_map(|(raw, at)| {
            let cleaned = clean(raw)?;
            if !separated(raw) && !looks_like_a_name(raw, cleaned.value) {
                return None;
            }
            let name = name_of(cleaned.value)?;
            let note = Note::of("system_name", &name, &name, cleaned.remark).map(|n| (at, n));
            Some((name, note))
        })
}

/// The institution's name, from the first line that labels it; a remark after it is part
/// of it ("Agenția Servicii Publice (ASP)").
pub fn institution(doc: &Doc) -> Option<String> {
    doc.values(Kind::Institution)
        .into_iter()
        .find_map(|(raw, _)| {
            let cleaned = clean(raw)?;
            match cleaned.remark {
                Some(remark) => name_of(&format!("{} ({remark})", cleaned.value)),
                None => name_of(cleaned.value),
            }
        })
}

/// Whether a label's value follows a separator (`:`, `=`, a dash), not only a connecting
/// word ("… este X", "… is X") or a line break.
fn separated(raw: &str) -> bool {
    raw.trim_start()
        .starts_with([':', '=', '-', '–', '—', '*', '_'])
}

/// A value joined to its label by words alone is a name only when it reads like one:
/// quoted, or with a capital or a digit ("is Local Acts Register", "este e-Cadastru"), not
/// the rest of a sentence ("Denumirea sistemului este importantă pentru noi").
fn looks_like_a_name(raw: &str, value: &str) -> bool {
    let quoted = super::values::strip_connecting(raw)
        .trim_start()
        .starts_with(['"', '\'', '„', '«', '“', '”']);
    quoted
        || value
            .chars()
            .any(|c| c.is_uppercase() || c.is_ascii_digit())
}

fn name_of(value: &str) -> Option<String> {
    let name = normalize_romanian(value);
    (2..=MAX_NAME)
        .contains(&name.chars().count())
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system_name_in(text: &str) -> Option<String> {
        system_name(&Doc::new(text)).map(|(name, _)| name)
    }

    fn institution_in(text: &str) -> Option<String> {
        institution(&Doc::new(text))
    }

    #[test]
    fn the_system_name_is_read_in_three_languages() {
        for (text, name) in [
            ("Denumirea sistemului informațional: „Registrul Școlar”.", "Registrul Școlar"),
            ("denumirea sistemului informational - e-Şcoala", "e-Școala"),
            ("Information system name: SchoolReg", "SchoolReg"),
            ("Название информационной системы: «Е-Школа»", "Е-Школа"),
            ("SI: SIA Registrul", "SIA Registrul"),
            ("the system name is Local Acts Register", "Local Acts Register"),
            (
                "Denumirea sistemului (așa cum este înregistrat în MPass): Registrul Actelor Locale",
                "Registrul Actelor Locale",
            ),
            ("Название ИС — это «Е-Школа».", "Е-Школа"),
            ("Sistemul: Registrul", "Registrul"),
            ("Sistemul (nume scurt): RSUD", "RSUD"),
            ("Denumirea SI este e-Cadastru", "e-Cadastru"),
            ("Наименование ИС: Реестр", "Реестр"),
            ("ИС – Реестр", "Реестр"),
            ("System: SchoolReg", "SchoolReg"),
            ("**Sistemul:** Registrul", "Registrul"),
            ("Denumirea sistemului:\n\n  e-Școala\n", "e-Școala"),
            ("Numele sistemului \"Registrul\"", "Registrul"),
            ("Numele sistemului este „registrul nou”", "registrul nou"),
            ("Our system name is e-Cadastru", "e-Cadastru"),
        ] {
            assert_eq!(system_name_in(text).as_deref(), Some(name), "{text}");
        }
    }

    #[test]
    fn words_that_merely_mention_a_system_are_not_names() {
        for text in [
            "Sistemul nostru este gata de testare",
            "our information system is ready",
            "The system is ready",
            "Sistemul-pilot funcționează",
            "Vă transmitem denumirea sistemului și adresa IP.",
            "Наша ИС готова",
            "Canal: email",
            "Denumirea sistemului este importantă pentru noi.",
            "The system name is not decided yet",
            "Название системы будет согласовано позже",
        ] {
            assert_eq!(system_name_in(text), None, "{text}");
        }
    }

    #[test]
    fn a_remark_after_the_system_name_becomes_its_note() {
        let (name, note) =
            system_name(&Doc::new("Denumirea sistemului: Registrul Actelor (RAL)")).unwrap();
        assert_eq!(name, "Registrul Actelor");
        let (at, note) = note.unwrap();
        assert_eq!(at.0, 0);
        assert_eq!(
            (note.item, note.written, note.remark.as_deref()),
            ("system_name", None, Some("RAL"))
        );
    }

    #[test]
    fn the_institution_is_read_after_its_label() {
        assert_eq!(
            institution_in("Instituția: Agenția Servicii Publice").as_deref(),
            Some("Agenția Servicii Publice")
        );
        assert_eq!(
            institution_in("Denumirea instituției este „Agenția Servicii Publice” (ASP).")
                .as_deref(),
            Some("Agenția Servicii Publice (ASP)")
        );
        assert_eq!(
            institution_in("Учреждение — Национальная касса").as_deref(),
            Some("Национальная касса")
        );
        assert_eq!(
            institution_in("Instituția noastră dorește conectarea"),
            None
        );
    }
}
