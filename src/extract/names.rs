//! The information system's name and the institution's, written after their labels.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{labelled_values, normalize_romanian};

static SYSTEM_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          denumire[a]?\s+(?:sistemului|si\b)(?:\s+informational)?
        | numele\s+sistemului(?:\s+informational)?
        | ^\s*sistemul\s+informational\s*[:\-–—]
        | ^\s*si\s*[:\-–—]
        | (?:information\s+)?system(?:'s)?\s+name
        | name\s+of\s+the\s+(?:information\s+)?system
        | ^\s*information\s+system\s*[:\-–—]
        | (?:название|наименование)\s+(?:информационной\s+)?системы
        | ^\s*информационная\s+система\s*[:\-–—]",
    )
    .expect("static regex is valid")
});

static INSTITUTION_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:institutia|institutie|beneficiarul|beneficiar|organizatia|institution|organi[sz]ation|beneficiary|учреждение|организация|бенефициар)\s*[:\-–—]",
    )
    .expect("static regex is valid")
});

/// Longest name kept; longer text after a label is a sentence, not a name.
const MAX_NAME: usize = 150;

/// The information system's name, from the first line that labels it.
pub fn system_name_in(text: &str) -> Option<String> {
    labelled_values(text, &SYSTEM_LABEL)
        .into_iter()
        .find_map(|v| clean_name(&v))
}

/// The institution's name, from the first line that labels it.
pub fn institution_in(text: &str) -> Option<String> {
    labelled_values(text, &INSTITUTION_LABEL)
        .into_iter()
        .find_map(|v| clean_name(&v))
}

fn clean_name(value: &str) -> Option<String> {
    let trimmed = value
        .trim()
        .trim_start_matches(['"', '\'', '«', '„', '“', '”'])
        .trim_end_matches(['.', ',', ';', '"', '\'', '»', '“', '”']);
    let name = normalize_romanian(trimmed.trim());
    let chars = name.chars().count();
    (2..=MAX_NAME).contains(&chars).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_name_is_read_in_three_languages() {
        assert_eq!(
            system_name_in("Denumirea sistemului informațional: „Registrul Școlar”.").as_deref(),
            Some("Registrul Școlar")
        );
        assert_eq!(
            system_name_in("denumirea sistemului informational - e-Şcoala").as_deref(),
            Some("e-Școala")
        );
        assert_eq!(
            system_name_in("Information system name: SchoolReg").as_deref(),
            Some("SchoolReg")
        );
        assert_eq!(
            system_name_in("Название информационной системы: «Е-Школа»").as_deref(),
            Some("Е-Школа")
        );
        assert_eq!(
            system_name_in("SI: SIA Registrul").as_deref(),
            Some("SIA Registrul")
        );
    }

    #[test]
    fn words_that_merely_mention_a_system_are_not_names() {
        assert_eq!(system_name_in("Sistemul nostru este gata de testare"), None);
        assert_eq!(system_name_in("our information system is ready"), None);
    }

    #[test]
    fn the_institution_is_read_after_its_label() {
        assert_eq!(
            institution_in("Instituția: Agenția Servicii Publice").as_deref(),
            Some("Agenția Servicii Publice")
        );
    }
}
