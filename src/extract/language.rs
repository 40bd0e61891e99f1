//! Which of the three languages a mail is written in.

use std::sync::LazyLock;

use regex::Regex;

use super::text::fold;
use crate::domain::Language;

static ROMANIAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(si|pentru|va|sistemul|sistemului|numarul|serie|conectare|buna|ziua|stima|solicitam|rugam|certificatul|adresa|catre|este|sunt|care|cu|la|de|din|informational|multumim|atasat|anexat)\b",
    )
    .expect("static regex is valid")
});

static ENGLISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(the|and|please|dear|regards|system|certificate|attached|we|our|you|your|is|are|of|to|for|with|hello|thank|thanks|kind|name|number|request)\b",
    )
    .expect("static regex is valid")
});

/// Detects the language of `text`, or `None` when it has too few words to tell.
pub fn detect(text: &str) -> Option<Language> {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 3 {
        return None;
    }
    let cyrillic = text
        .chars()
        .filter(|c| matches!(c, '\u{0400}'..='\u{04FF}'))
        .count();
    if cyrillic * 10 >= letters * 3 {
        return Some(Language::Ru);
    }
    let diacritics = text
        .chars()
        .filter(|c| "ăâîșşțţĂÂÎȘŞȚŢ".contains(*c))
        .count();
    let folded = fold(text);
    let ro = ROMANIAN.find_iter(&folded).count() + diacritics * 2;
    let en = ENGLISH.find_iter(&folded).count();
    match (ro, en) {
        (0, 0) => None,
        (ro, en) if ro >= en => Some(Language::Ro),
        _ => Some(Language::En),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_is_told_apart() {
        assert_eq!(
            detect("Bună ziua, vă transmitem certificatul"),
            Some(Language::Ro)
        );
        assert_eq!(
            detect("Buna ziua, va transmitem certificatul pentru sistemul"),
            Some(Language::Ro)
        );
        assert_eq!(
            detect("Здравствуйте, направляем сертификат системы"),
            Some(Language::Ru)
        );
        assert_eq!(
            detect("Dear colleagues, please find the certificate attached"),
            Some(Language::En)
        );
        assert_eq!(detect("4F:3A"), None);
    }
}
