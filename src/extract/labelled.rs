//! Values and lists written after a label from the [label table](super::labels): the text is
//! folded once, every kind's regex runs over it once, and matches map back to the original
//! lines (folding keeps one char for one char).

use std::sync::LazyLock;

use regex::Regex;

use super::labels::{self, Kind};
use super::text::{fold, fold_char};
use super::values::strip_connecting;

/// Where something stands in a text: its line and the byte offset in that line.
pub type Position = (usize, usize);

/// Lines read below a label before a list is cut short: a list is a few lines, and a bound
/// keeps hostile mail (thousands of labels) linear.
const MAX_LIST_LINES: usize = 60;

static BULLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*•–—]|\d{1,2}[.)]|[a-zа-я]\))\s+(.+?)\s*$")
        .expect("static regex is valid")
});

/// A text with its folded form, read once for every label.
pub struct Doc<'a> {
    text: &'a str,
    lines: Vec<&'a str>,
    /// Where each line starts in `text`.
    line_starts: Vec<usize>,
    folded: String,
    /// Where each line starts in `folded`.
    starts: Vec<usize>,
}

/// Where a label ends: its line, and the original text after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The label's line.
    pub line: usize,
    /// Byte offset of `rest` in its line.
    pub col: usize,
    /// The original text after the label (separator and connecting words included).
    pub rest: &'a str,
}

/// One raw list item, as written, with where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawItem<'a> {
    /// The item's text, not yet cleaned.
    pub text: &'a str,
    /// Where it stands.
    pub at: Position,
}

/// Maps byte offsets of the folded text to (line, byte offset in the original line), for
/// offsets given in increasing order: folding keeps one char for one char, so both texts
/// are walked together, each char once.
#[derive(Default)]
struct Cursor {
    line: usize,
    /// Byte offset in the folded text.
    folded: usize,
    /// Byte offset in the original line.
    col: usize,
}

impl Cursor {
    fn to(&mut self, doc: &Doc, folded: usize) -> Position {
        let line = doc.starts.partition_point(|&s| s <= folded) - 1;
        if line != self.line || folded < self.folded || self.folded < doc.starts[line] {
            *self = Cursor {
                line,
                folded: doc.starts[line],
                col: 0,
            };
        }
        let original = doc.lines[line];
        for c in doc.folded[self.folded..folded].chars() {
            self.folded += c.len_utf8();
            self.col += original[self.col..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        }
        (line, self.col.min(original.len()))
    }
}

impl<'a> Doc<'a> {
    /// Folds `text` once.
    pub fn new(text: &'a str) -> Self {
        let folded = fold(text);
        let line_starts = |s: &str| {
            std::iter::once(0)
                .chain(s.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        };
        Self {
            text,
            lines: text.split('\n').collect(),
            line_starts: line_starts(text),
            starts: line_starts(&folded),
            folded,
        }
    }

    /// The original text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The position of a byte offset in the original text.
    pub fn position(&self, offset: usize) -> Position {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line, offset - self.line_starts[line])
    }

    /// The whole text, folded.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Every place a `kind` label ends, top to bottom. A hit's `rest` runs to the next
    /// label of its kind on the same line, or to the line's end: no text is read twice, so
    /// a line holding a label thousands of times costs its length once, not once per label.
    pub fn hits(&self, kind: Kind) -> Vec<Hit<'a>> {
        // (where the label starts, where its value starts), folded offsets, in order.
        let found: Vec<(usize, usize)> = labels::regex(kind)
            .captures_iter(&self.folded)
            .filter_map(|c| {
                let start = c.get(0)?.start();
                let value = c.name("h").or_else(|| c.name("a")).or_else(|| {
                    let lead = c.name("l")?;
                    labels::lead_is_own(&self.folded[start..lead.start()]).then_some(lead)
                })?;
                Some((start, value.start()))
            })
            .collect();
        // Offsets are mapped in increasing order (a value, then the next label) by one
        // cursor that walks each line once.
        let mut cursor = Cursor::default();
        let mut hits = Vec::with_capacity(found.len());
        for (n, &(_, value)) in found.iter().enumerate() {
            let (line, col) = cursor.to(self, value);
            let original = self.lines[line];
            let line_end = self.starts.get(line + 1).copied().unwrap_or(usize::MAX);
            let end = match found.get(n + 1) {
                Some(&(next, _)) if next < line_end => cursor.to(self, next.max(value)).1,
                _ => original.len(),
            };
            hits.push(Hit {
                line,
                col,
                rest: &original[col..end.max(col)],
            });
        }
        hits
    }

    /// The single values written after `kind` labels: the rest of the label's line, or when
    /// that is empty the next non-empty line. Values start with what joined them to the label.
    pub fn values(&self, kind: Kind) -> Vec<(&'a str, Position)> {
        let mut out = Vec::new();
        for hit in self.hits(kind) {
            if !strip_connecting(hit.rest).trim().is_empty() {
                out.push((hit.rest, (hit.line, hit.col)));
            } else if let Some((i, next)) = self
                .lines
                .iter()
                .enumerate()
                .skip(hit.line + 1)
                .find(|(_, l)| !l.trim().is_empty())
            {
                out.push((*next, (i, 0)));
            }
        }
        out
    }

    /// The raw items of every list a `kind` label introduces: on the label's line (going on
    /// to the next while a line ends with a comma or semicolon), or on the lines below it up
    /// to a blank line — bulleted lines, or plain ones when the label ended with a separator.
    pub fn list_items(&self, kind: Kind) -> Vec<RawItem<'a>> {
        let mut items = Vec::new();
        let hits = self.hits(kind);
        for (n, hit) in hits.iter().enumerate() {
            // A list ends where the next label of its kind stands (so no line is read twice).
            let next = hits.get(n + 1).map_or(self.lines.len(), |h| h.line);
            let until = next.min(hit.line + 1 + MAX_LIST_LINES);
            let value = strip_connecting(hit.rest);
            if !value.trim().is_empty() {
                let col = hit.col + (hit.rest.len() - value.len());
                self.line_items(value, (hit.line, col), until, &mut items);
            } else {
                let separated = hit.rest.trim_start().starts_with([':', '=', '-', '–', '—']);
                self.items_below(hit.line, until, separated, &mut items);
            }
        }
        items
    }

    /// Items on a label's line, and on the lines after (before `until`) while one ends
    /// with `,` or `;`.
    fn line_items(&self, value: &'a str, at: Position, until: usize, items: &mut Vec<RawItem<'a>>) {
        let (mut line, mut value, mut col) = (at.0, value, at.1);
        loop {
            for (offset, text) in split_items(value) {
                items.push(RawItem {
                    text,
                    at: (line, col + offset),
                });
            }
            let goes_on = value.trim_end().ends_with([',', ';']);
            line += 1;
            match self.lines.get(line) {
                Some(next) if goes_on && line < until && !next.trim().is_empty() => {
                    (value, col) = (next, 0)
                }
                _ => break,
            }
        }
    }

    /// Items on the lines below a label that ends its line, before line `until`.
    fn items_below(
        &self,
        label_line: usize,
        until: usize,
        separated: bool,
        items: &mut Vec<RawItem<'a>>,
    ) {
        let mut bulleted = None;
        for (i, line) in self
            .lines
            .iter()
            .enumerate()
            .take(until)
            .skip(label_line + 1)
        {
            let (text, start, is_bullet) = match BULLET.captures(line) {
                Some(c) => {
                    let m = c.get(1).expect("group 1 is the item");
                    (m.as_str(), m.start(), true)
                }
                None if line.trim().is_empty() => break,
                None => (line.trim(), line.len() - line.trim_start().len(), false),
            };
            // The first line decides: a bulleted list ends at its first unbulleted line; a
            // plain one (only after "label:") at a line that is another label.
            match *bulleted.get_or_insert(is_bullet) {
                true if !is_bullet => break,
                false if is_bullet || !separated || text.contains(':') => break,
                _ => {}
            }
            for (offset, item) in split_items(text) {
                items.push(RawItem {
                    text: item,
                    at: (i, start + offset),
                });
            }
        }
    }
}

static SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[,;]|(?:^|[ \t]+)(?:as[ \t]+well[ \t]+as|precum[ \t]+si|а[ \t]+также|and|si|и|or|sau|или)(?:[ \t]+|$)",
    )
    .expect("static regex is valid")
});

/// The items of one line of a list, with their byte offsets: split on commas, semicolons
/// and the conjunctions of the three languages, never inside parentheses (a remark may
/// hold a comma or an "and").
pub fn split_items(line: &str) -> Vec<(usize, &str)> {
    // The folded line, with what stands in parentheses masked, and for each of its byte
    // offsets the original's (folding keeps one char for one char, not one byte).
    let mut masked = String::with_capacity(line.len());
    let mut original_at = Vec::with_capacity(line.len() + 1);
    let mut depth = 0usize;
    for (at, c) in line.char_indices() {
        let folded = match c {
            '(' => {
                depth += 1;
                '('
            }
            ')' => {
                depth = depth.saturating_sub(1);
                ')'
            }
            _ if depth > 0 => '_',
            c => fold_char(c),
        };
        masked.push(folded);
        original_at.resize(masked.len(), at);
    }
    original_at.push(line.len());
    let mut out = Vec::new();
    let mut from = 0;
    for m in SPLIT.find_iter(&masked) {
        let (start, end) = (original_at[m.start()], original_at[m.end()]);
        push_item(line, from, start, &mut out);
        from = end;
    }
    push_item(line, from, line.len(), &mut out);
    out
}

fn push_item<'a>(line: &'a str, from: usize, to: usize, out: &mut Vec<(usize, &'a str)>) {
    let part = &line[from..to];
    let trimmed = part.trim_start();
    if !trimmed.trim_end().is_empty() {
        out.push((from + part.len() - trimmed.len(), trimmed.trim_end()));
    }
}

#[cfg(test)]
#[path = "labelled_tests.rs"]
mod tests;
