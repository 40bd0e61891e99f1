//! Labels found in folded text and mapped back to the original.

use super::*;

#[test]
fn a_hit_points_into_the_original_line_despite_diacritics() {
    let doc = Doc::new("Bună ziua,\nDenumirea sistemului informațional: Școala «Ș»\n");
    let hits = doc.hits(Kind::SystemName);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].line, 1);
    assert_eq!(hits[0].rest, ": Școala «Ș»");
    assert_eq!(
        &doc.text().lines().nth(1).unwrap()[hits[0].col..],
        hits[0].rest
    );
}

#[test]
fn a_value_is_on_the_label_s_line_or_the_next_non_empty_one() {
    let doc = Doc::new("SI:\n\n  Registrul\nSistemul – Portal");
    let values: Vec<_> = doc.values(Kind::SystemName);
    assert_eq!(values, [("  Registrul", (2, 0)), (" – Portal", (3, 8))]);
}

#[test]
fn list_items_know_where_they_stand() {
    let doc =
        Doc::new("Canale: email, SMS și push\n\nTipuri de documente:\n- act\n- proces-verbal");
    let channels: Vec<_> = doc
        .list_items(Kind::Channel)
        .into_iter()
        .map(|i| (i.text, i.at))
        .collect();
    assert_eq!(
        channels,
        [("email", (0, 8)), ("SMS", (0, 15)), ("push", (0, 23))]
    );
    let documents: Vec<_> = doc
        .list_items(Kind::DocumentType)
        .into_iter()
        .map(|i| (i.text, i.at))
        .collect();
    assert_eq!(documents, [("act", (3, 2)), ("proces-verbal", (4, 2))]);
}

#[test]
fn items_split_on_separators_and_conjunctions_but_not_inside_parentheses() {
    fn items(line: &str) -> Vec<&str> {
        split_items(line).into_iter().map(|(_, t)| t).collect()
    }
    assert_eq!(
        items("email, SMS și notificare în cabinet"),
        ["email", "SMS", "notificare în cabinet"]
    );
    assert_eq!(
        items("A; B sau C or D или E и F and G"),
        ["A", "B", "C", "D", "E", "F", "G"]
    );
    assert_eq!(items("A, and B, si C"), ["A", "B", "C"]);
    assert_eq!(
        items("A precum și B a также C as well as D"),
        ["A", "B a также C", "D"]
    );
    assert_eq!(items("A а также B"), ["A", "B"]);
    assert_eq!(items("X (a, b și c) și Y"), ["X (a, b și c)", "Y"]);
    assert_eq!(
        items("Sistem, Sisteme, e-mail"),
        ["Sistem", "Sisteme", "e-mail"]
    );
    assert_eq!(items(" , ;"), Vec::<&str>::new());
    let offsets: Vec<usize> = split_items("ă, ș și ț")
        .into_iter()
        .map(|(o, _)| o)
        .collect();
    assert_eq!(offsets, [0, 4, 11]);
}

#[test]
fn a_label_opening_its_line_may_have_words_of_its_own_before_the_colon() {
    let events = |text: &str| -> Vec<String> {
        Doc::new(text)
            .list_items(Kind::EventType)
            .iter()
            .map(|i| i.text.to_string())
            .collect()
    };
    assert_eq!(
        events("Tipurile de evenimente care vor fi logate: autentificare, semnare"),
        ["autentificare", "semnare"]
    );
    assert_eq!(
        events("The event types we need: login, logout"),
        ["login", "logout"]
    );
    assert_eq!(
        events("Типы событий, которые нужно логировать: вход, выход"),
        ["вход", "выход"]
    );
    // A conjunction joins another subject: the list is not this label's.
    let doc = Doc::new("Denumirea sistemului și tipurile de evenimente: a, b");
    assert!(doc.values(Kind::SystemName).is_empty());
    // Words before the label, beyond two, make it a sentence.
    assert!(
        events("Vă rog să verificați și tipurile de evenimente pe care le-am trimis: a").is_empty()
    );
}

#[test]
fn a_label_repeated_on_one_line_reads_each_value_once() {
    let doc = Doc::new("Tip document: act; tipul de document: proces-verbal");
    let rests: Vec<_> = doc
        .hits(Kind::DocumentType)
        .into_iter()
        .map(|h| h.rest)
        .collect();
    assert_eq!(rests, [": act;", ": proces-verbal"]);
    let items: Vec<_> = doc
        .list_items(Kind::DocumentType)
        .into_iter()
        .map(|i| i.text)
        .collect();
    assert_eq!(items, ["act", "proces-verbal"]);
    // Reading the rest of the line after every label took minutes here (each of the 50,000
    // labels re-read the megabyte after it); one pass takes milliseconds.
    let line = "tip de document: x ".repeat(50_000);
    let doc = Doc::new(&line);
    assert_eq!(doc.hits(Kind::DocumentType).len(), 50_000);
    assert_eq!(doc.list_items(Kind::DocumentType).len(), 50_000);
    let line = "denumirea sistemului: x ".repeat(50_000);
    assert_eq!(Doc::new(&line).values(Kind::SystemName).len(), 50_000);
}
