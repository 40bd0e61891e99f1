//! Files inside files: the entries of a `.zip` and the attachments inside Outlook's
//! `winmail.dat`, opened so their certificates (and keys) are seen — also when they nest (a
//! zip in a zip, a zip in winmail.dat, winmail.dat in a zip). Archives are read under limits
//! counted across every level together as the bytes come out of the decompressor, so a zip
//! bomb, nested or not, costs nothing.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use serde::Serialize;
use zip::ZipArchive;

use crate::parse::clean::one_line;
use crate::parse::Attachment;

/// Most files taken out of one attachment, every level of nesting together.
pub const MAX_ENTRIES: usize = 50;
/// Most bytes unpacked from one attachment, every level together, counted as they are
/// decompressed.
pub const MAX_UNPACKED: u64 = 10 * 1024 * 1024;
/// Largest expansion of an entry over the bytes of the attachment it stands for: nested
/// archives multiply, so an entry two levels down is judged against the sender's bytes.
pub const MAX_RATIO: u64 = 100;
/// Most levels of archive opened: a zip in a zip in a zip is read, one more is refused.
pub const MAX_DEPTH: usize = 3;

/// Why an archive was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// More than [`MAX_ENTRIES`] entries.
    TooManyEntries,
    /// More than [`MAX_UNPACKED`] bytes.
    TooLarge,
    /// An entry expanding more than [`MAX_RATIO`] times.
    Ratio,
    /// Not a readable archive.
    Unreadable,
    /// An archive nested deeper than [`MAX_DEPTH`] levels.
    TooDeep,
}

/// One thing found inside a container.
#[derive(Debug, Clone)]
pub enum Inner {
    /// A file, named `archive.zip/inner.cer` (`a.zip/b.zip/inner.cer` two levels down).
    File(Attachment),
    /// An archive inside that was not opened, named by its path; the rest was read.
    Refused {
        /// Its path, e.g. `a.zip/b.zip`.
        file: String,
        /// Why it was not opened.
        reason: Refusal,
    },
}

/// The files an attachment stands for: itself, or what its archive holds.
pub enum Opened {
    /// Not a container: the attachment itself.
    Plain,
    /// What is inside, at every level opened, in the order it is stored.
    Files(Vec<Inner>),
    /// A container that was not opened: nothing inside it is used.
    Refused(Refusal),
}

/// Opens zip archives and TNEF streams, and those inside them up to [`MAX_DEPTH`] levels;
/// anything else is `Plain`.
pub fn open(attachment: &Attachment) -> Opened {
    open_within(attachment, MAX_DEPTH)
}

/// Like [`open`], but as deep as the shared limits allow: a private key must be found even
/// one level past what is read. Each level takes at least one entry from [`MAX_ENTRIES`], so
/// the depth stays bounded.
pub fn open_for_keys(attachment: &Attachment) -> Opened {
    open_within(attachment, usize::MAX)
}

fn open_within(attachment: &Attachment, max_depth: usize) -> Opened {
    let Some(kind) = Kind::of(&attachment.bytes) else {
        return Opened::Plain;
    };
    let mut walk = Walk {
        budget: Budget {
            entries: MAX_ENTRIES,
            bytes: MAX_UNPACKED,
        },
        max_depth,
        found: Vec::new(),
    };
    let top = Node {
        prefix: String::new(),
        name: attachment
            .name
            .clone()
            .unwrap_or_else(|| "(unnamed)".into()),
        bytes: Cow::Borrowed(&attachment.bytes),
        origin: attachment.bytes.len() as u64,
    };
    match walk.container(kind, &top, 1) {
        Ok(()) => Opened::Files(walk.found),
        Err(refusal) => Opened::Refused(refusal),
    }
}

/// The kinds of container opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Tnef,
}

impl Kind {
    fn of(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            Some(Kind::Zip)
        } else if super::tnef::is_tnef(bytes) {
            Some(Kind::Tnef)
        } else {
            None
        }
    }
}

/// What is left to spend on one attachment, shared by every level inside it.
struct Budget {
    entries: usize,
    bytes: u64,
}

/// A file met on the way down.
struct Node<'a> {
    /// The archives it sits in, each followed by `/` (empty at the top).
    prefix: String,
    /// Its own name, cleaned.
    name: String,
    bytes: Cow<'a, [u8]>,
    /// How many bytes of the attachment as sent it stands for (at least 1): what its
    /// expansion is judged against.
    origin: u64,
}

impl Node<'_> {
    fn path(&self) -> String {
        format!("{}{}", self.prefix, self.name)
    }

    /// The origin of a part of this file `len` bytes long: its share of this file's origin.
    /// A declared size larger than the file is a lie and counts as the whole file.
    fn share(&self, len: u64) -> u64 {
        let whole = (self.bytes.len() as u64).max(1);
        let part = u128::from(len.clamp(1, whole));
        let shared = (part * u128::from(self.origin)).div_ceil(u128::from(whole));
        u64::try_from(shared).unwrap_or(u64::MAX).max(1)
    }
}

struct Walk {
    budget: Budget,
    max_depth: usize,
    found: Vec<Inner>,
}

impl Walk {
    /// Reads the container `node` at `depth` (1 for the attachment itself) and what it
    /// holds. A limit broken anywhere refuses the whole attachment; an archive inside that
    /// is too deep or cannot be read is refused alone.
    fn container(&mut self, kind: Kind, node: &Node, depth: usize) -> Result<(), Refusal> {
        let children = match kind {
            Kind::Zip => {
                let mut archive = archive(&node.bytes)?;
                entries(&mut archive, node, &mut self.budget)?
            }
            Kind::Tnef => self.tnef_files(node)?,
        };
        for child in children {
            let Some(kind) =
                Kind::of(&child.bytes).filter(|k| *k == Kind::Tnef || !is_document(&child.bytes))
            else {
                self.found.push(Inner::File(Attachment {
                    name: Some(child.path()),
                    content_type: "application/octet-stream".into(),
                    bytes: child.bytes.into_owned(),
                }));
                continue;
            };
            if depth >= self.max_depth {
                self.refuse(&child, Refusal::TooDeep);
                continue;
            }
            let before = self.found.len();
            match self.container(kind, &child, depth + 1) {
                Ok(()) => {}
                Err(Refusal::Unreadable) => {
                    // All or nothing for each archive, as for the attachment itself.
                    self.found.truncate(before);
                    self.refuse(&child, Refusal::Unreadable);
                }
                Err(limit) => return Err(limit),
            }
        }
        Ok(())
    }

    fn refuse(&mut self, node: &Node, reason: Refusal) {
        self.found.push(Inner::Refused {
            file: node.path(),
            reason,
        });
    }

    /// The files of a TNEF stream. The sender attached `x.cer` in Outlook and never saw
    /// winmail.dat: its files take its place, under the same prefix, with their own names.
    /// Nothing is unpacked (they are the stream's own bytes), so only entries are counted.
    fn tnef_files(&mut self, node: &Node) -> Result<Vec<Node<'static>>, Refusal> {
        let found = match super::tnef::attachments(&node.bytes) {
            Ok(found) => found,
            Err(super::tnef::TnefError::TooManyAttachments) => return Err(Refusal::TooManyEntries),
            Err(_) => return Err(Refusal::Unreadable),
        };
        self.budget.entries = self
            .budget
            .entries
            .checked_sub(found.len())
            .ok_or(Refusal::TooManyEntries)?;
        Ok(found
            .into_iter()
            .map(|a| Node {
                prefix: node.prefix.clone(),
                name: inner_name(a.name.as_deref().unwrap_or_default()),
                origin: node.share(a.data.len() as u64),
                bytes: Cow::Owned(a.data),
            })
            .collect())
    }
}

/// A zip that is a document (Office Open XML, OpenDocument, EPUB, Java archive) rather than
/// an archive a person made: inside another archive it is a file like any other, so a zip of
/// certificates and Word files is not refused for the Word files' parts.
fn is_document(bytes: &[u8]) -> bool {
    archive(bytes).is_ok_and(|archive| {
        DOCUMENT_MARKS
            .iter()
            .any(|mark| archive.index_for_name(mark).is_some())
    })
}

/// A zip archive over borrowed bytes, read under the budget its attachment shares with
/// every archive nested in it.
type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Entries that make a zip a document package: Office Open XML, OpenDocument and EPUB,
/// Java archives.
const DOCUMENT_MARKS: [&str; 3] = ["[Content_Types].xml", "mimetype", "META-INF/MANIFEST.MF"];

/// The archive `bytes` hold, its central directory read.
fn archive(bytes: &[u8]) -> Result<Archive<'_>, Refusal> {
    ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::Unreadable)
}

/// The files of `archive`, which holds the bytes of `node`, named `node/inner`; every entry
/// and every byte that comes out is taken from `budget`.
fn entries(
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

/// The last component of a name a sender wrote, whichever separator they used.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// A file name from inside a container, cleaned like every name a sender gives: it is
/// shown to people and written to the log.
fn inner_name(name: &str) -> String {
    let clean = one_line(base_name(name));
    if clean.is_empty() {
        "(unnamed)".into()
    } else {
        clean
    }
}

#[cfg(test)]
pub(crate) mod tests;
