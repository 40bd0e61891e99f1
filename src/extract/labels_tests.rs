//! Every variant of the label table, written as people write it.

use super::*;
use crate::extract::labelled::Doc;
use crate::extract::text::fold;

/// Ways of writing a folded variant: as is, capitalised, upper-case, with every letter that
/// can take a diacritic taking it (comma below and cedilla forms), and `ё` for `е`.
fn spellings(variant: &str) -> Vec<String> {
    let mut out = vec![
        variant.to_string(),
        capitalised(variant),
        variant.to_uppercase(),
    ];
    let diacritics = |comma: bool| -> String {
        variant
            .chars()
            .map(|c| match (c, comma) {
                ('a', _) => 'ă',
                ('i', _) => 'î',
                ('s', true) => 'ș',
                ('t', true) => 'ț',
                ('s', false) => 'ş',
                ('t', false) => 'ţ',
                ('е', _) => 'ё',
                (c, _) => c,
            })
            .collect()
    };
    out.push(capitalised(&diacritics(true)));
    out.push(diacritics(false).to_uppercase());
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The kinds whose label starts the value in `line`, with what follows it.
fn kinds_in(line: &str) -> Vec<(Kind, String)> {
    let doc = Doc::new(line);
    Kind::ALL
        .iter()
        .flat_map(|k| doc.hits(*k).into_iter().map(|h| (*k, h.rest.to_string())))
        .collect()
}

#[test]
fn every_variant_is_folded_and_compiles() {
    for row in TABLE {
        for v in row.singular.iter().chain(row.plural) {
            assert_eq!(fold(v), *v, "{v} must be written folded");
            assert_eq!(v.trim(), *v);
        }
    }
    for k in Kind::ALL {
        assert!(!regex(k).as_str().is_empty());
    }
}

#[test]
fn every_kind_has_labels_in_every_language_singular_and_plural() {
    for kind in Kind::ALL {
        for language in ["ro", "ru", "en"] {
            let rows: Vec<_> = TABLE
                .iter()
                .filter(|r| r.kind == kind && r.language == language)
                .collect();
            assert!(
                rows.iter().any(|r| !r.singular.is_empty()),
                "{kind:?} {language}"
            );
            assert!(
                rows.iter().any(|r| !r.plural.is_empty()),
                "{kind:?} {language}"
            );
        }
    }
}

#[test]
fn every_variant_labels_its_kind_alone_however_written() {
    for row in TABLE {
        for v in row.singular.iter().chain(row.plural) {
            for written in spellings(v) {
                for sep in [": Valoare", " - Valoare", " — Valoare", " (nota): Valoare"] {
                    let line = format!("{written}{sep}");
                    // A remark after the label is the label's: the value part follows it.
                    let rest = sep.trim_start_matches(" (nota)").to_string();
                    assert_eq!(kinds_in(&line), [(row.kind, rest)], "{line:?}");
                }
                assert_eq!(
                    kinds_in(&format!("  * {written}:")),
                    [(row.kind, ":".to_string())],
                    "{written}"
                );
            }
        }
    }
}

#[test]
fn descriptive_labels_stand_anywhere_bare_ones_only_at_a_line_start() {
    for row in TABLE {
        for v in row.singular.iter().chain(row.plural) {
            let mid = format!("Vă scriem: {v}: Valoare");
            let sentence = format!("{} nostru e gata", capitalised(v));
            match row.place {
                Anywhere => {
                    assert_eq!(kinds_in(&mid).len(), 1, "{mid:?}");
                    assert_eq!(kinds_in(&format!("{v} este Valoare")).len(), 1, "{v}");
                    assert_eq!(kinds_in(&format!("{v} is Valoare")).len(), 1, "{v}");
                    assert_eq!(kinds_in(&format!("{v}\nValoare")).len(), 1, "{v}");
                }
                Head => {
                    assert!(kinds_in(&mid).is_empty(), "{mid:?}");
                    assert!(kinds_in(&format!("{v} este Valoare")).is_empty(), "{v}");
                    assert!(kinds_in(&format!("{v}\nValoare")).is_empty(), "{v}");
                }
            }
            assert!(kinds_in(&sentence).is_empty(), "{sentence:?}");
            if row.place == Head {
                assert!(kinds_in(&format!("{v}x: Valoare")).is_empty(), "{v}x");
                assert!(kinds_in(&format!("x{v}: Valoare")).is_empty(), "x{v}");
            } else {
                // With a colon, "label word:" is a label with a lead-in word of its own.
                assert!(kinds_in(&format!("{v}x este Valoare")).is_empty(), "{v}x");
            }
        }
    }
}

#[test]
fn the_contract_s_labels_are_in_the_table() {
    for (written, kind) in [
        ("Sistemul", Kind::SystemName),
        ("Denumirea SI", Kind::SystemName),
        ("Denumirea sistemului", Kind::SystemName),
        ("Название ИС", Kind::SystemName),
        ("Наименование ИС", Kind::SystemName),
        ("System", Kind::SystemName),
        ("Canal de notificare", Kind::Channel),
        ("Canale", Kind::Channel),
        ("Canalul", Kind::Channel),
        ("Канал уведомлений", Kind::Channel),
        ("Channel", Kind::Channel),
        ("Tip de document", Kind::DocumentType),
        ("Tipuri documente", Kind::DocumentType),
        ("Тип документа", Kind::DocumentType),
        ("Document type", Kind::DocumentType),
        ("Eveniment", Kind::EventType),
        ("Tip eveniment", Kind::EventType),
        ("Тип события", Kind::EventType),
        ("Event type", Kind::EventType),
        ("Atribut", Kind::Attribute),
        ("Atributul", Kind::Attribute),
        ("Атрибут", Kind::Attribute),
        ("Attribute", Kind::Attribute),
    ] {
        let folded = fold(written);
        let row = TABLE.iter().find(|r| {
            r.kind == kind
                && (r.singular.contains(&folded.as_str()) || r.plural.contains(&folded.as_str()))
        });
        assert!(
            row.is_some_and(|r| !r.singular.is_empty() && !r.plural.is_empty()),
            "{written}: in a row with singular and plural variants"
        );
        assert_eq!(kinds_in(&format!("{written}: x")).len(), 1, "{written}");
    }
}

#[test]
fn qualifiers_and_remarks_belong_to_the_label() {
    assert_eq!(
        kinds_in("Atributele necesare: IDNO"),
        [(Kind::Attribute, ": IDNO".to_string())]
    );
    assert_eq!(
        kinds_in("Denumirea sistemului (așa cum este înregistrat în MPass): X"),
        [(Kind::SystemName, ": X".to_string())]
    );
    assert_eq!(
        kinds_in("Event types (MLog): login"),
        [(Kind::EventType, ": login".to_string())]
    );
    assert!(kinds_in("Sistemul-pilot e gata").is_empty());
    assert!(kinds_in("System-wide settings").is_empty());
}
