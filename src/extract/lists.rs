//! Lists a beneficiary writes under a label: MPass authentication attributes, MLog event
//! types, MNotify notification channels, MDocs document types. Items are cleaned like any
//! value; channels and standard attributes are filed under their canonical names.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::labelled::{Doc, Position};
use super::labels::Kind;
use super::synonyms::{self, STANDARD_ATTRIBUTES};
use super::values::{clean, Note};

/// Longest item kept: a longer one is a sentence, not an item.
const MAX_ITEM: usize = 80;

/// Items kept per list kind: a list is short; hostile mail gets no further.
const MAX_ITEMS: usize = 100;

/// The MPass attributes a mail asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attributes {
    /// Standard names, canonical spelling.
    pub standard: Vec<String>,
    /// Other names of an attribute list, as written: kept, and flagged to the operators.
    pub custom: Vec<String>,
}

/// The values of one list kind, in order, and the notes on them with where each stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found<T> {
    /// The values.
    pub values: T,
    /// Notes on them.
    pub notes: Vec<(Position, Note)>,
}

static STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII word boundaries: the names are ASCII, and a Unicode `\b` keeps the fast
    // engines off Cyrillic text.
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:{})(?-u:\b)",
        STANDARD_ATTRIBUTES.join("|")
    ))
    .expect("static regex is valid")
});

/// One cleaned list item: the value filed, what was written, the remark, where.
struct Item {
    value: String,
    written: String,
    remark: Option<String>,
    at: Position,
}

/// The cleaned items of every `kind` list, without repeats, each filed as `file` says.
fn items(doc: &Doc, kind: Kind, file: impl Fn(&str) -> String) -> Vec<Item> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for raw in doc.list_items(kind) {
        let Some(cleaned) = clean(raw.text) else {
            continue;
        };
        if cleaned.value.chars().count() > MAX_ITEM {
            continue;
        }
        let value = file(cleaned.value);
        if seen.insert(value.clone()) {
            out.push(Item {
                value,
                written: cleaned.value.to_string(),
                remark: cleaned.remark.map(str::to_string),
                at: raw.at,
            });
            if out.len() == MAX_ITEMS {
                break;
            }
        }
    }
    out
}

fn note(item: &'static str, i: &Item) -> Option<(Position, Note)> {
    Note::of(item, &i.value, &i.written, i.remark.as_deref()).map(|n| (i.at, n))
}

/// Items filed as written, with notes of their remarks.
fn as_written(doc: &Doc, kind: Kind, item: &'static str) -> Found<Vec<String>> {
    let items = items(doc, kind, str::to_string);
    Found {
        notes: items.iter().filter_map(|i| note(item, i)).collect(),
        values: items.into_iter().map(|i| i.value).collect(),
    }
}

/// The attributes named in `doc`: every standard name anywhere (and the common words for
/// one inside an attribute list), and the other items of an attribute list.
pub fn attributes(doc: &Doc) -> Found<Attributes> {
    let file = |written: &str| {
        synonyms::standard_attribute(written).map_or_else(|| written.to_string(), str::to_string)
    };
    let listed = items(doc, Kind::Attribute, file);
    let mut standard: Vec<(Position, String)> = Vec::new();
    for m in STANDARD.find_iter(doc.text()) {
        if let Some(name) = synonyms::standard_attribute(m.as_str()) {
            standard.push((doc.position(m.start()), name.to_string()));
        }
    }
    let mut custom = Vec::new();
    for item in &listed {
        if STANDARD_ATTRIBUTES.contains(&item.value.as_str()) {
            standard.push((item.at, item.value.clone()));
        } else {
            custom.push(item.value.clone());
        }
    }
    // Order of first appearance; the sort is stable, so a name seen twice at one place
    // keeps one.
    standard.sort_by_key(|(at, _)| *at);
    let mut seen = HashSet::new();
    standard.retain(|(_, name)| seen.insert(name.clone()));
    Found {
        notes: listed.iter().filter_map(|i| note("attribute", i)).collect(),
        values: Attributes {
            standard: standard.into_iter().map(|(_, name)| name).collect(),
            custom,
        },
    }
}

/// MLog event types, as written.
pub fn event_types(doc: &Doc) -> Found<Vec<String>> {
    as_written(doc, Kind::EventType, "event_type")
}

/// MDocs document types, as written.
pub fn document_types(doc: &Doc) -> Found<Vec<String>> {
    as_written(doc, Kind::DocumentType, "document_type")
}

/// MNotify channels: `email`, `sms`, `push`, `cabinet` for what stands for them, anything
/// else lower-cased as written.
pub fn channels(doc: &Doc) -> Found<Vec<String>> {
    let file = |written: &str| {
        synonyms::channel(written).map_or_else(|| written.to_lowercase(), str::to_string)
    };
    let items = items(doc, Kind::Channel, file);
    Found {
        // Merely lower-cased reads the same once folded: only other words make a note.
        notes: items.iter().filter_map(|i| note("channel", i)).collect(),
        values: items.into_iter().map(|i| i.value).collect(),
    }
}

#[cfg(test)]
#[path = "lists_tests.rs"]
mod tests;
