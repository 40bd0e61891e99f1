//! Reads the files out of Outlook's `winmail.dat`.
//!
//! TNEF (Transport Neutral Encapsulation Format, MIME type `application/ms-tnef`, specified
//! in MS-OXTNEF) is how Outlook and Exchange serialise a MAPI message when they send "rich
//! text" mail. The recipient then sees a single opaque `winmail.dat` part instead of the files
//! the sender attached, so a certificate or a form sent from Outlook would never reach the
//! case it belongs to. This module opens that envelope and hands back the attached files.
//!
//! Only what is needed to recover files is read: attachment-level attributes and, inside
//! `attAttachment`, the file name and data properties. Message-level attributes (subject,
//! body, recipients) are skipped. Embedded messages are not followed; they come back as the
//! raw bytes of their own TNEF stream.
//!
//! The input arrives from strangers, so every length is checked against the bytes that are
//! really there before anything is sliced or copied, and the names and file bytes returned
//! never add up to more than the input's length. Names are otherwise returned exactly as the
//! sender wrote them: callers must sanitise them before using them as paths.

use std::fmt;

mod reader;
mod text;

use reader::Reader;
use text::Text;

/// `TNEF_SIGNATURE`, the first four bytes of every stream (MS-OXTNEF 2.1.3).
const SIGNATURE: u32 = 0x223E_9F78;
/// Signature plus the legacy attachment key that follows it.
const HEADER_LEN: usize = 6;

const LEVEL_MESSAGE: u8 = 0x01;
const LEVEL_ATTACHMENT: u8 = 0x02;

const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
const ATT_ATTACHMENT: u32 = 0x0006_9005;

const PR_ATTACH_DATA: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;

const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000D;
const MV_FLAG: u16 = 0x1000;

/// Property ids from here up are named properties, which carry a name after the tag.
const FIRST_NAMED_ID: u16 = 0x8000;
const MNID_ID: u32 = 0;
const MNID_STRING: u32 = 1;
const GUID_LEN: usize = 16;

const MAX_ATTACHMENTS: usize = 100;
const MAX_PROPERTIES: u32 = 1_000;
/// Far above any mail size limit, yet small enough that a forged stream cannot tie us up.
const MAX_INPUT_LEN: usize = 256 * 1024 * 1024;

/// A file found inside a TNEF stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnefAttachment {
    /// The file name the sender gave, long name preferred; `None` when none was sent.
    pub name: Option<String>,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// Why a TNEF stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TnefError {
    /// The bytes do not start with the TNEF signature.
    NotTnef,
    /// The stream ends in the middle of an attribute.
    Truncated,
    /// The stream holds more attachments than we are willing to unpack.
    TooManyAttachments,
    /// The stream is larger than we are willing to read.
    TooLarge,
    /// The stream is complete but its contents contradict the format.
    Malformed(&'static str),
}

impl fmt::Display for TnefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTnef => {
                f.write_str("not a TNEF (winmail.dat) stream: the signature is missing")
            }
            Self::Truncated => f.write_str("the TNEF stream ends in the middle of an attribute"),
            Self::TooManyAttachments => write!(
                f,
                "the TNEF stream holds more than {MAX_ATTACHMENTS} attachments"
            ),
            Self::TooLarge => write!(
                f,
                "the TNEF stream is larger than {} MiB",
                MAX_INPUT_LEN / (1024 * 1024)
            ),
            Self::Malformed(why) => write!(f, "the TNEF stream is malformed: {why}"),
        }
    }
}

impl std::error::Error for TnefError {}

/// True when `bytes` starts with the TNEF signature.
#[must_use]
pub fn is_tnef(bytes: &[u8]) -> bool {
    bytes
        .first_chunk::<4>()
        .is_some_and(|head| u32::from_le_bytes(*head) == SIGNATURE)
}

/// The files attached inside a TNEF stream, in order.
pub fn attachments(bytes: &[u8]) -> Result<Vec<TnefAttachment>, TnefError> {
    attachments_within(bytes, MAX_INPUT_LEN)
}

/// [`attachments`] with the size limit as a parameter, so tests need not build 256 MiB.
fn attachments_within(bytes: &[u8], max_len: usize) -> Result<Vec<TnefAttachment>, TnefError> {
    if !is_tnef(bytes) {
        return Err(TnefError::NotTnef);
    }
    if bytes.len() > max_len {
        return Err(TnefError::TooLarge);
    }
    let mut reader = Reader::new(bytes, TnefError::Truncated);
    // The legacy key ties attachments to places in old tagged message text; files do not
    // need it (MS-OXTNEF 2.1.3).
    reader.take(HEADER_LEN)?;
    let mut collector = Collector::default();
    // Every attribute consumes at least 11 bytes, so this loop ends.
    while !reader.is_empty() {
        let attribute = next_attribute(&mut reader)?;
        match attribute.level {
            LEVEL_MESSAGE => {}
            LEVEL_ATTACHMENT => collector.apply(&attribute)?,
            _ => return Err(TnefError::Malformed("unknown attribute level")),
        }
    }
    Ok(collector.finish(bytes.len()))
}

/// One attribute of the stream, borrowing its data from the input.
struct Attribute<'a> {
    level: u8,
    id: u32,
    data: &'a [u8],
}

/// Reads level, id, length, data and checksum (MS-OXTNEF 2.1.3).
fn next_attribute<'a>(reader: &mut Reader<'a>) -> Result<Attribute<'a>, TnefError> {
    let level = reader.u8()?;
    let id = reader.u32()?;
    let len = reader.length()?;
    let data = reader.take(len)?;
    // The checksum is read but not compared: enough writers compute it wrongly that
    // rejecting a mismatch would lose real files, and it guards against nothing hostile.
    reader.u16()?;
    Ok(Attribute { level, id, data })
}

/// Gathers attachment attributes into files as the stream is walked.
#[derive(Default)]
struct Collector<'a> {
    complete: Vec<Draft<'a>>,
    started: usize,
    current: Option<Draft<'a>>,
}

impl<'a> Collector<'a> {
    fn apply(&mut self, attribute: &Attribute<'a>) -> Result<(), TnefError> {
        // Each attachment's attributes MUST begin with attAttachRendData (MS-OXTNEF 2.1.3).
        if attribute.id == ATT_ATTACH_REND_DATA {
            return self.start_attachment();
        }
        // Attributes that come before any attAttachRendData belong to no attachment.
        let Some(draft) = self.current.as_mut() else {
            return Ok(());
        };
        match attribute.id {
            ATT_ATTACH_TITLE => draft.title = Some(Text::Narrow(attribute.data)),
            ATT_ATTACH_DATA => draft.data = Some(attribute.data),
            ATT_ATTACHMENT => read_property_list(attribute.data, draft)?,
            _ => {}
        }
        Ok(())
    }

    fn start_attachment(&mut self) -> Result<(), TnefError> {
        if self.started >= MAX_ATTACHMENTS {
            return Err(TnefError::TooManyAttachments);
        }
        self.started = self.started.saturating_add(1);
        self.flush();
        self.current = Some(Draft::default());
        Ok(())
    }

    fn flush(&mut self) {
        if let Some(draft) = self.current.take() {
            if draft.file_bytes().is_some() {
                self.complete.push(draft);
            }
        }
    }

    /// Copies the files out, spending at most `input_len` bytes on data and names together.
    fn finish(mut self, input_len: usize) -> Vec<TnefAttachment> {
        self.flush();
        // File bytes are disjoint slices of the input, so they always fit; what is left may
        // go to names, which can grow when re-encoded as UTF-8 (0x80 in Windows-1252 is €).
        let data_len = self
            .complete
            .iter()
            .filter_map(Draft::file_bytes)
            .fold(0_usize, |sum, data| sum.saturating_add(data.len()));
        let mut budget = input_len.saturating_sub(data_len);
        self.complete
            .into_iter()
            .filter_map(|draft| draft.into_attachment(&mut budget))
            .collect()
    }
}

/// What has been seen of one attachment so far; copied out only once it is complete.
#[derive(Default)]
struct Draft<'a> {
    title: Option<Text<'a>>,
    long_name: Option<Text<'a>>,
    short_name: Option<Text<'a>>,
    data: Option<&'a [u8]>,
    property_data: Option<&'a [u8]>,
}

impl<'a> Draft<'a> {
    fn take_property(&mut self, property: Property<'a>) {
        let Some(value) = property.first_value else {
            return;
        };
        match (property.id, property.kind) {
            (PR_ATTACH_LONG_FILENAME, PT_STRING8) => self.long_name = Some(Text::Narrow(value)),
            (PR_ATTACH_LONG_FILENAME, PT_UNICODE) => self.long_name = Some(Text::Wide(value)),
            (PR_ATTACH_FILENAME, PT_STRING8) => self.short_name = Some(Text::Narrow(value)),
            (PR_ATTACH_FILENAME, PT_UNICODE) => self.short_name = Some(Text::Wide(value)),
            (PR_ATTACH_DATA, PT_BINARY | PT_OBJECT) => self.property_data = Some(value),
            _ => {}
        }
    }

    fn file_bytes(&self) -> Option<&'a [u8]> {
        // attAttachData is the mapped form of PR_ATTACH_DATA_BIN; prefer it when both exist.
        self.data.or(self.property_data)
    }

    fn into_attachment(self, name_budget: &mut usize) -> Option<TnefAttachment> {
        let data = self.file_bytes()?;
        // The 8.3 title is a legacy fallback; the long name is what the sender saw.
        let name = [self.long_name, self.title, self.short_name]
            .into_iter()
            .flatten()
            .find_map(|text| text.decode(name_budget));
        Some(TnefAttachment {
            name,
            data: data.to_vec(),
        })
    }
}

/// One MAPI property, keeping only the first value since file names and data are single.
#[derive(Clone, Copy)]
struct Property<'a> {
    kind: u16,
    id: u16,
    first_value: Option<&'a [u8]>,
}

/// Walks the counted property list of `attAttachment` (MS-OXTNEF 2.1.3).
fn read_property_list<'a>(bytes: &'a [u8], draft: &mut Draft<'a>) -> Result<(), TnefError> {
    let mut reader = Reader::new(
        bytes,
        TnefError::Malformed("MAPI property list is cut short"),
    );
    let count = reader.u32()?;
    if count > MAX_PROPERTIES {
        return Err(TnefError::Malformed("too many MAPI properties"));
    }
    for _ in 0..count {
        let property = read_property(&mut reader)?;
        draft.take_property(property);
    }
    // Bytes after the last counted property are ignored, as for unknown attributes.
    Ok(())
}

fn read_property<'a>(reader: &mut Reader<'a>) -> Result<Property<'a>, TnefError> {
    let kind = reader.u16()?;
    let id = reader.u16()?;
    if id >= FIRST_NAMED_ID {
        skip_property_name(reader)?;
    }
    let first_value = read_values(reader, kind)?;
    Ok(Property {
        kind,
        id,
        first_value,
    })
}

/// Named properties carry their GUID and either a number or a UTF-16 name after the tag.
fn skip_property_name(reader: &mut Reader<'_>) -> Result<(), TnefError> {
    reader.take(GUID_LEN)?;
    match reader.u32()? {
        MNID_ID => {
            reader.u32()?;
        }
        MNID_STRING => {
            let len = reader.length()?;
            reader.take(len)?;
            reader.skip_padding(len);
        }
        _ => return Err(TnefError::Malformed("unknown named property kind")),
    }
    Ok(())
}

/// How a property type's values are laid out in the stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// A fixed number of bytes per value, already including padding to 4.
    Fixed(usize),
    /// A u32 length, the bytes, then padding to a multiple of 4.
    Sized,
    /// Like `Sized`, but the bytes begin with the interface id of the object.
    Object,
}

fn layout_of(base_type: u16) -> Option<Layout> {
    match base_type {
        // PtypInteger16 and PtypBoolean are padded to 4 bytes in TNEF.
        0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(Layout::Fixed(4)),
        0x0005..=0x0007 | 0x0014 | 0x0040 => Some(Layout::Fixed(8)),
        0x0048 => Some(Layout::Fixed(16)),
        PT_STRING8 | PT_UNICODE | PT_BINARY => Some(Layout::Sized),
        PT_OBJECT => Some(Layout::Object),
        _ => None,
    }
}

/// Reads every value of one property and returns the first.
fn read_values<'a>(reader: &mut Reader<'a>, kind: u16) -> Result<Option<&'a [u8]>, TnefError> {
    // Without knowing a type's size we cannot find the next property, so it is fatal.
    let layout =
        layout_of(kind & !MV_FLAG).ok_or(TnefError::Malformed("unknown MAPI property type"))?;
    // Multi-valued properties, and variable-size ones even when single, are counted.
    let count = match layout {
        Layout::Fixed(_) if kind & MV_FLAG == 0 => 1,
        _ => reader.u32()?,
    };
    // Refuse a count the remaining bytes cannot hold before looping over it.
    let smallest = match layout {
        Layout::Fixed(size) => size,
        Layout::Sized | Layout::Object => 4,
    };
    let count = usize::try_from(count).map_err(|_| reader.short())?;
    if count > reader.len() / smallest {
        return Err(reader.short());
    }
    let mut first = None;
    for _ in 0..count {
        let value = read_value(reader, layout)?;
        first = first.or(Some(value));
    }
    Ok(first)
}

fn read_value<'a>(reader: &mut Reader<'a>, layout: Layout) -> Result<&'a [u8], TnefError> {
    match layout {
        Layout::Fixed(size) => reader.take(size),
        Layout::Sized => reader.sized(),
        // The size includes the 16-byte interface id that precedes the object's bytes.
        Layout::Object => reader.sized()?.get(GUID_LEN..).ok_or(TnefError::Malformed(
            "object value is shorter than its interface id",
        )),
    }
}

#[cfg(test)]
mod tests;
