//! The entries of one zip archive, read under the budget its attachment shares with every
//! archive nested in it.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{inner_name, Budget, Node, Refusal, MAX_RATIO};

/// A zip archive over borrowed bytes.
pub(super) type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Entries that make a zip a document package: Office Open XML, OpenDocument and EPUB,
/// Java archives.
const DOCUMENT_MARKS: [&str; 3] = ["[Content_Types].xml", "mimetype", "META-INF/MANIFEST.MF"];

/// The archive `bytes` hold, its central directory read.
pub(super) fn archive(bytes: &[u8]) -> Result<Archive<'_>, Refusal> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::Unreadable)
}

/// True when the archive is a document package rather than a set of files.
pub(super) fn is_document(archive: &Archive) -> bool {
    DOCUMENT_MARKS
        .iter()
        .any(|mark| archive.index_for_name(mark).is_some())
}

/// The files of `archive`, which holds the bytes of `node`, named `node/inner`; every entry
/// and every byte that comes out is taken from `budget`.
pub(super) fn entries(
    archive: &mut Archive,
    node: &Node,
    budget: &mut Budget,
) -> Result<Vec<Node<'static>>, Refusal> {
    // Directories count too: a million of them would cost as much as files.
    budget.entries = budget
        .entries
        .checked_sub(archive.len())
        .ok_or(Refusal::TooManyEntries)?;
    let prefix = format!("{}/", node.path());
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| Refusal::Unreadable)?;
        if entry.is_dir() {
            continue;
        }
        // Declared sizes can lie; the limits are applied to what actually comes out.
        let origin = node.share(entry.compressed_size());
        let allowed = budget.bytes.min(origin.saturating_mul(MAX_RATIO));
        let mut data = Vec::new();
        (&mut entry)
            .take(allowed + 1)
            .read_to_end(&mut data)
            .map_err(|_| Refusal::Unreadable)?;
        let got = data.len() as u64;
        if got > allowed {
            return Err(if allowed == budget.bytes {
                Refusal::TooLarge
            } else {
                Refusal::Ratio
            });
        }
        budget.bytes -= got;
        files.push(Node {
            prefix: prefix.clone(),
            name: inner_name(entry.name()),
            bytes: Cow::Owned(data),
            origin,
        });
    }
    Ok(files)
}
