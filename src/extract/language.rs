//! Which of the three languages a mail is written in: told from what the sender wrote above
//! their sign-off, since signatures and disclaimers are often in another language (a Russian
//! mail signed "Cu stimă" over a Romanian address and an English confidentiality notice).

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

/// A line that closes a mail and opens its signature ("Kind regards,", "Cu stimă,", "С
/// уважением,"), folded.
static SIGN_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:kind|best|warm)\s+regards|regards|best|sincerely|yours\s+(?:sincerely|faithfully)|thank\s+you|thanks|many\s+thanks|cu\s+(?:deosebita\s+)?(?:stima|respect)|toate\s+cele\s+bune|multumesc|multumim|с\s+уважением|с\s+наилучшими\s+пожеланиями|всего\s+доброго|спасибо|благодарю)\s*[,.!]?$",
    )
    .expect("static regex is valid")
});

/// The language of a mail: of `own` (its body above the sign-off, [`above_sign_off`]) when
/// that says enough, else of `subject` and the whole body together.
pub fn of_mail(subject: &str, body: &str, own: &str) -> Option<Language> {
    detect(own).or_else(|| detect(&format!("{subject}\n{body}")))
}

/// What the sender wrote above their sign-off: `body` up to the first line that closes the
/// mail, or the whole body when none does.
pub fn above_sign_off(body: &str) -> &str {
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        if SIGN_OFF.is_match(&fold(line.trim())) {
            return &body[..at];
        }
        at += line.len();
    }
    body
}

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

    #[test]
    fn a_signature_in_another_language_does_not_decide() {
        let of_mail = |subject: &str, body: &str| of_mail(subject, body, above_sign_off(body));
        let body =
            "Добрый день,\n\nВысылаем IP-адрес: 85.120.61.33.\n\nCu stimă,\nSergiu Țurcanu\n\
                    Șef Direcția Tehnologii Informaționale și Securitate Cibernetică\n\
                    Agenția Națională pentru Reglementare în Energetică, Chișinău\n\
                    CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential.";
        assert_eq!(of_mail("MLog", body), Some(Language::Ru));
        let body = "Hello,\n\nHere are the addresses.\n\nKind regards,\nTudor Moraru\n\
                    Direcția Generală Tehnologii Informaționale și Comunicații\n\
                    Acest mesaj și anexele sale sunt confidențiale și sunt destinate destinatarului.";
        assert_eq!(of_mail("", body), Some(Language::En));
        // Nothing to go on above the sign-off: the subject and the rest decide.
        assert_eq!(
            of_mail("Conectare la MSign", "Mulțumesc,\nIon"),
            Some(Language::Ro)
        );
    }
}
