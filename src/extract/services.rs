//! The platforms a mail asks about. A platform named only as one the system already uses
//! ("suntem deja conectați la MPass", "already integrated with MPass", "уже подключены к
//! MPass") is context for the request, not a request of its own: a mail saying so and asking
//! for MSign asks for MSign alone. So is MPass in "the system name as registered in MPass".

use std::sync::LazyLock;

use regex::Regex;

use super::text::fold;
use crate::domain::ServiceMention;

static SERVICE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bm-?(?:pass|sign|notify|docs|log|power|delivery|pay|connect)\b")
        .expect("static regex is valid")
});

/// Words after which a platform is context, folded: "already" within two words of a word
/// for being connected or using ("deja conectat", "already successfully integrated"), such
/// a word a few words before "already" ("use MPass already"), or "registered in MPass". The gaps are short: "already prepared the system to be connected
/// to MSign" is a request.
static NAMED_AS_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    let using = r"(?:conectat\w*|integrat\w*|utiliz(?:am|ez|eaza|at\w*)|folos(?:im|esc|este|it\w*)
        |connected|integrated|us(?:e|es|ing)|подключен\w*|подключил\w*|интегрирован\w*|использу\w*|работаем)";
    let gap = |words: usize| format!(r"(?:[\p{{L}}\p{{N}}-]+[^\p{{L}}\p{{N}}]+){{0,{words}}}");
    // "The system name as registered in MPass" (what MNotify asks for) names MPass as the
    // place the name comes from, not as a platform asked for.
    let registered =
        r"(?:inregistrat\w*|registered|зарегистрирован\w*|cum\s+(?:e|este)\s+in|as\s+in|как\s+в)";
    Regex::new(&format!(
        r"(?x)(?:^|[^\p{{L}}])(?:deja|already|уже)[^\p{{L}}]+{}{using}(?:[^\p{{L}}]|$)
        | (?:^|[^\p{{L}}]){using}[^\p{{L}}]+{}(?:deja|already|уже)(?:[^\p{{L}}]|$)
        | (?:^|[^\p{{L}}]){registered}[^\p{{L}}]+{}m-?pass",
        gap(2),
        gap(4),
        gap(2),
    ))
    .expect("static regex is valid")
});

/// Where a request starts inside a sentence (folded text): "…connected to MPass, and we
/// would like MSign" holds context and then a request.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^\p{L}])(?:we would|we'd|we want|we wish|we need|we ask|please|would like|dorim|vrem|solicitam|va rugam|rugam|avem nevoie|хотим|просим|нам нужно|необходимо|хотели бы)(?:[^\p{L}]|$)",
    )
    .expect("static regex is valid")
});

/// Platforms named, subject first, without repeats, leaving out those named only after
/// words saying the system already uses them.
pub fn services_in(subject: &str, body: &str) -> Vec<ServiceMention> {
    let mut asked = Vec::new();
    for text in [subject, body] {
        // Folded, one char per char: the names are ASCII, so they read the same.
        let folded = fold(text);
        for sentence in folded.split(['.', '!', '?', ';', '\n']) {
            for clause in clauses(sentence) {
                // What follows "already connected" in its clause is what the system is on.
                let context_from = NAMED_AS_CONTEXT
                    .find(clause)
                    .map_or(clause.len(), |m| m.start());
                for m in SERVICE_NAME
                    .find_iter(clause)
                    .filter(|m| m.start() < context_from)
                {
                    if let Some(mention) = ServiceMention::from_name(m.as_str()) {
                        if !asked.contains(&mention) {
                            asked.push(mention);
                        }
                    }
                }
            }
        }
    }
    asked
}

/// A sentence cut where each request starts.
fn clauses(sentence: &str) -> Vec<&str> {
    let mut cuts: Vec<usize> = REQUEST.find_iter(sentence).map(|m| m.start()).collect();
    cuts.retain(|&at| at > 0);
    let mut out = Vec::new();
    let mut from = 0;
    for at in cuts {
        out.push(&sentence[from..at]);
        from = at;
    }
    out.push(&sentence[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Service;

    fn named(subject: &str, body: &str) -> Vec<Service> {
        services_in(subject, body)
            .into_iter()
            .filter_map(|m| match m {
                ServiceMention::Service(s) => Some(s),
                ServiceMention::Redirect(_) => None,
            })
            .collect()
    }

    #[test]
    fn every_platform_asked_for_is_named_subject_first() {
        assert_eq!(
            named(
                "Conectare MSign",
                "Dorim să conectăm sistemul la MPass și MSign."
            ),
            [Service::MSign, Service::MPass]
        );
        assert_eq!(
            named("", "Просим подключить систему к MNotify и M-Log"),
            [Service::MNotify, Service::MLog]
        );
    }

    #[test]
    fn a_platform_already_in_use_is_context_not_a_request() {
        for body in [
            "Sistemul nostru este deja conectat la MPass. Dorim conectarea la MSign.",
            "Suntem deja integrați cu MPass; solicităm conectarea la MSign",
            "Our system is already connected to MPass, and we would like to connect to MSign.\nThanks",
            "We already use MPass.\nPlease connect us to MSign",
            "Наша система уже подключена к MPass. Просим подключить MSign.",
            "Mai folosim deja MPass.\nSolicităm MSign.",
            "Suntem deja conectați la MPass, MNotify și MLog. Solicităm conectarea la MSign.",
            "Conectare MSign.\nDenumirea sistemului (așa cum este înregistrat în MPass): Registrul",
            "MSign, please.\nSystem name (as registered in MPass): Land Registry",
            "Подключение к MSign.\nНазвание ИС (как зарегистрирована в MPass): Реестр",
            "Conectare MSign.\nDenumirea sistemului (cum e în MPass): Registrul",
        ] {
            assert_eq!(named("", body), [Service::MSign], "{body}");
        }
        // "Already" about something else does not hide the platform.
        for body in [
            "Am trimis deja certificatul pentru MSign.",
            "Please connect us to MSign, we already use MPass.",
            "Dorim conectarea la MSign, avem deja 1000 de utilizatori.",
            "We have already prepared the system to be connected to MSign.",
            "Please connect MSign, integration tests already passed.",
        ] {
            assert_eq!(named("", body), [Service::MSign], "{body}");
        }
    }
}
