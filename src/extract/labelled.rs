//! Values written after a label from the [label table](super::labels): the text is
//! folded once, every kind's regex runs over it once, and matches map back to the original
//! lines (folding keeps one char for one char).

use super::labels::{self, Kind};
use super::text::fold;
use super::values::strip_connecting;

/// Where something stands in a text: its line and the byte offset in that line.
pub type Position = (usize, usize);

/// A text with its folded form, read once for every label.
pub struct Doc<'a> {
    lines: Vec<&'a str>,
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
            lines: text.split('\n').collect(),
            starts: line_starts(&folded),
            folded,
        }
    }

    /// The whole text, folded.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// Every place a `kind` label ends, top to bottom.
    pub fn hits(&self, kind: Kind) -> Vec<Hit<'a>> {
        labels::regex(kind)
            .captures_iter(&self.folded)
            .filter_map(|c| c.name("h").or_else(|| c.name("a")))
            .map(|m| self.hit_at(m.start()))
            .collect()
    }

    /// The original line and offset of a byte offset in the folded text.
    fn hit_at(&self, offset: usize) -> Hit<'a> {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let folded_line = &self.folded[self.starts[line]..offset];
        let chars = folded_line.chars().count();
        let original = self.lines[line];
        let col = original
            .char_indices()
            .nth(chars)
            .map_or(original.len(), |(i, _)| i);
        Hit {
            line,
            col,
            rest: &original[col..],
        }
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
}

#[cfg(test)]
#[path = "labelled_tests.rs"]
mod tests;
