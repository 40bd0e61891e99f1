//! How an MPower beneficiary will work: `api` (their own system calls MPower) or `agency`
//! (the agency configures the authorizations), from the phrasings of docs/procedure.md.

use std::sync::LazyLock;

use regex::Regex;

/// The agency configures: said outright, or by denying an own system or the API. A denial
/// also hides the API words inside it ("fără integrare API" is no "integrare API"). Word
/// boundaries are ASCII ones: a Unicode `\b` keeps the fast engines off Cyrillic text.
static AGENCY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          configurat\w*\s+de\s+(?:catre\s+)?agenti\w*
        | prin\s+intermediul\s+agentiei
        | nu\s+avem\s+(?:un\s+)?sistem(?:ul)?\s+(?:nostru\s+)?propriu
        | (?-u:\b)nu\s+(?:prin|via|folosind)\s+api(?-u:\b)
        | fara\s+(?:o\s+)?(?:integrare\s+)?(?:prin\s+)?api(?-u:\b)
        | настро\w*\s+агентств\w*
        | через\s+агентств\w*
        | у\s+нас\s+нет\s+собственной\s+системы
        | (?:^|[^\p{L}])не\s+(?:через|по)\s+api(?-u:\b)
        | без\s+(?:интеграции\s+)?(?:по\s+|через\s+)?api(?-u:\b)
        | configured\s+by\s+the\s+agency
        | (?:through|via)\s+the\s+agency
        | we\s+(?:do\s+not|don't|don’t)\s+have\s+(?:an?\s+|our\s+)?own\s+system
        | (?-u:\b)not\s+(?:via|through|using|by)\s+(?:the\s+)?api(?-u:\b)
        | without\s+(?:an?\s+|the\s+)?api(?-u:\b)(?:\s+integration)?
        ",
    )
    .expect("static regex is valid")
});

/// Their own system calls MPower.
static API: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?-u:\b)integrare\s+(?:prin\s+)?api(?-u:\b)
        | (?-u:\b)integrat\w*\s+(?:prin|via)\s+api(?-u:\b)
        | (?-u:\b)prin\s+api(?-u:\b)
        | sistemul\s+(?:nostru\s+propriu|propriu)
        | (?-u:\b)api[\s-]+integration
        | (?-u:\b)via\s+(?:the\s+)?api(?-u:\b)
        | our\s+own\s+system\s+will\s+call
        | интеграци\w*\s+(?:через\s+|по\s+)?api(?-u:\b)
        | (?:^|[^\p{L}])через\s+api(?-u:\b)
        | (?-u:\b)api[\s-]+интеграци\w*
        ",
    )
    .expect("static regex is valid")
});

/// Words that deny the API words a few words after them ("nu dorim integrare API").
const NEGATIONS: &[&str] = &[
    "nu",
    "fara",
    "niciodata",
    "не",
    "нет",
    "без",
    "никогда",
    "not",
    "no",
    "don't",
    "don’t",
    "dont",
    "never",
    "without",
];

/// `api`, `agency`, or `None` when the folded text says neither or both. A negated API
/// ("nu prin API", "without API", "nu dorim integrare API") is never `api`: not the API
/// means the agency configures.
pub fn mpower_mode_in(folded: &str) -> Option<&'static str> {
    let denials: Vec<(usize, usize)> = AGENCY
        .find_iter(folded)
        .map(|m| (m.start(), m.end()))
        .collect();
    let (mut api, mut agency) = (false, !denials.is_empty());
    for m in API.find_iter(folded) {
        // Denials are in order and do not overlap, so their ends are in order too: the
        // only one that can overlap `m` is the first ending after its start. A search, not
        // a scan: a text of thousands of denials and API words stays linear.
        let first = denials.partition_point(|&(_, e)| e <= m.start());
        if denials.get(first).is_some_and(|&(s, _)| s < m.end()) {
            continue;
        }
        if negated(folded, m.start()) {
            agency = true;
        } else {
            api = true;
        }
    }
    match (api, agency) {
        (true, false) => Some("api"),
        (false, true) => Some("agency"),
        _ => None,
    }
}

/// True when one of the four words before `at`, in its clause, is a negation.
fn negated(folded: &str, at: usize) -> bool {
    // Only the last 120 bytes: a few words, and never a scan back over a hostile text.
    let mut from = at.saturating_sub(120);
    while !folded.is_char_boundary(from) {
        from += 1;
    }
    let clause = folded[from..at]
        .rsplit(['.', '!', '?', ';', ',', ':', '\n'])
        .next()
        .unwrap_or("");
    clause.split_whitespace().rev().take(4).any(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
        NEGATIONS.contains(&word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::fold;

    fn mode(text: &str) -> Option<&'static str> {
        mpower_mode_in(&fold(text))
    }

    #[test]
    fn every_agency_phrasing_is_agency() {
        for text in [
            "Autorizări configurate de Agenție",
            "Împuternicirile vor fi configurate de către Agenție.",
            "Autorizarile vor fi configurate de Agentie",
            "Nu avem sistem propriu.",
            "nu avem un sistem propriu",
            "Lucrăm prin intermediul Agenției",
            "Dorim fără integrare API",
            "Без интеграции по API",
            "Работаем через Агентство",
            "Полномочия будут настроены Агентством",
            "У нас нет собственной системы",
            "Authorizations configured by the Agency",
            "We will work through the Agency",
            "We do not have our own system",
            "We don't have our own system",
            "We want it without API integration",
        ] {
            assert_eq!(mode(text), Some("agency"), "{text}");
        }
    }

    #[test]
    fn every_api_phrasing_is_api() {
        for text in [
            "Dorim integrare API cu sistemul nostru",
            "Integrare prin API",
            "Sistemul va fi integrat prin API",
            "Vom lucra prin API",
            "We want API integration",
            "We will connect via API",
            "Подключимся через API",
            "Нужна интеграция по API",
            "Интеграция через API",
            "Our own system will call MPower",
            "Împuternicirile vor fi gestionate de sistemul nostru propriu",
        ] {
            assert_eq!(mode(text), Some("api"), "{text}");
        }
    }

    #[test]
    fn a_negated_api_is_never_api() {
        for text in [
            "Nu prin API, ci manual",
            "Не через API",
            "Not via API",
            "Without API, please",
            "Fără API",
            "Without API integration, the Agency configures",
            "fara integrare prin API",
            "Nu dorim integrare API",
            "We will not use API integration",
            "Не планируем интеграцию по API",
        ] {
            assert_eq!(mode(text), Some("agency"), "{text}");
        }
    }

    #[test]
    fn thousands_of_denials_and_api_words_are_read_in_one_pass() {
        // Each API word was checked against every denial: minutes for this text.
        let text = "nu prin api ".repeat(100_000);
        assert_eq!(mode(&text), Some("agency"));
        let text = format!(
            "{}{}",
            "fara api ".repeat(50_000),
            "integrare api ".repeat(50_000)
        );
        assert_eq!(mode(&text), None);
    }

    #[test]
    fn both_or_neither_is_none() {
        assert_eq!(mode("Salut"), None);
        assert_eq!(
            mode("Integrare API, dar autorizările configurate de Agenție"),
            None
        );
        assert_eq!(mode("We want API integration through the Agency"), None);
        // A negation in another clause denies nothing.
        assert_eq!(mode("Nu prin Agenție, ci prin API"), Some("api"));
    }
}
