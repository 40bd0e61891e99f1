//! Labels found in folded text and mapped back to the original.

use super::*;

#[test]
fn a_hit_points_into_the_original_line_despite_diacritics() {
    let doc = Doc::new("Bună ziua,\nDenumirea sistemului informațional: Școala «Ș»\n");
    let hits = doc.hits(Kind::SystemName);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].line, 1);
    assert_eq!(hits[0].rest, ": Școala «Ș»");
    assert_eq!(&doc.lines[1][hits[0].col..], hits[0].rest);
}

#[test]
fn a_value_is_on_the_label_s_line_or_the_next_non_empty_one() {
    let doc = Doc::new("SI:\n\n  Registrul\nSistemul – Portal");
    let values: Vec<_> = doc.values(Kind::SystemName);
    assert_eq!(values, [("  Registrul", (2, 0)), (" – Portal", (3, 8))]);
}
