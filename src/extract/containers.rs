//! Files inside files: the entries of a `.zip` and the attachments inside Outlook's
//! `winmail.dat`, opened so their certificates (and keys) are seen. Archives are read under
//! limits counted as the bytes come out of the decompressor, so a zip bomb costs nothing.

use std::io::Read;

use serde::Serialize;

use crate::parse::clean::one_line;
use crate::parse::Attachment;

/// Most entries read from one archive.
pub const MAX_ENTRIES: usize = 50;
/// Most bytes unpacked from one archive, counted as they are decompressed.
pub const MAX_UNPACKED: u64 = 10 * 1024 * 1024;
/// Largest expansion of one entry over its compressed size.
pub const MAX_RATIO: u64 = 100;

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
}

/// The files an attachment stands for: itself, or what its archive holds.
pub enum Opened {
    /// Not a container: the attachment itself.
    Plain,
    /// The files inside, named `archive.zip/inner.cer`.
    Files(Vec<Attachment>),
    /// A container that was not opened.
    Refused(Refusal),
}

/// Opens zip archives and TNEF streams; anything else is `Plain`.
pub fn open(attachment: &Attachment) -> Opened {
    let bytes = &attachment.bytes;
    let outer = attachment
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return match unzip(bytes, &outer) {
            Ok(files) => Opened::Files(files),
            Err(refusal) => Opened::Refused(refusal),
        };
    }
    if super::tnef::is_tnef(bytes) {
        return match super::tnef::attachments(bytes) {
            Ok(found) => Opened::Files(
                found
                    .into_iter()
                    .map(|a| Attachment {
                        // The sender attached `x.cer` in Outlook and never saw winmail.dat:
                        // the file keeps its own name.
                        name: Some(inner_name(a.name.as_deref().unwrap_or_default())),
                        content_type: "application/octet-stream".into(),
                        bytes: a.data,
                    })
                    .collect(),
            ),
            Err(super::tnef::TnefError::TooManyAttachments) => {
                Opened::Refused(Refusal::TooManyEntries)
            }
            Err(_) => Opened::Refused(Refusal::Unreadable),
        };
    }
    Opened::Plain
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

fn unzip(bytes: &[u8], outer: &str) -> Result<Vec<Attachment>, Refusal> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| Refusal::Unreadable)?;
    if archive.len() > MAX_ENTRIES {
        return Err(Refusal::TooManyEntries);
    }
    let mut budget = MAX_UNPACKED;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| Refusal::Unreadable)?;
        if entry.is_dir() {
            continue;
        }
        // Declared sizes can lie; the limits are applied to what actually comes out.
        let compressed = entry.compressed_size().max(1);
        let allowed = budget.min(compressed.saturating_mul(MAX_RATIO));
        let mut data = Vec::new();
        (&mut entry)
            .take(allowed + 1)
            .read_to_end(&mut data)
            .map_err(|_| Refusal::Unreadable)?;
        let got = data.len() as u64;
        if got > allowed {
            return Err(if allowed == budget {
                Refusal::TooLarge
            } else {
                Refusal::Ratio
            });
        }
        budget -= got;
        let inner = inner_name(entry.name());
        files.push(Attachment {
            name: Some(format!("{outer}/{inner}")),
            content_type: "application/octet-stream".into(),
            bytes: data,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    fn attachment(bytes: Vec<u8>) -> Attachment {
        Attachment {
            name: Some("acte.zip".into()),
            content_type: "application/zip".into(),
            bytes,
        }
    }

    #[test]
    fn the_files_of_a_zip_are_opened_and_named_after_it() {
        let z = zip_of(&[
            ("dir/sistem.cer", b"abc".to_vec()),
            ("readme.txt", b"hi".to_vec()),
        ]);
        let Opened::Files(files) = open(&attachment(z)) else {
            panic!("not opened")
        };
        assert_eq!(files[0].name.as_deref(), Some("acte.zip/sistem.cer"));
        assert_eq!(files[0].bytes, b"abc");
        assert_eq!(files.len(), 2);
    }

    #[test]
    fn names_inside_a_zip_are_cleaned_to_one_line() {
        let z = zip_of(&[(
            "dir/a\r\n2026-12-02T10:00:00Z  INFO x\x1b[2J.cer",
            b"abc".to_vec(),
        )]);
        let Opened::Files(files) = open(&attachment(z)) else {
            panic!("not opened")
        };
        assert_eq!(
            files[0].name.as_deref(),
            Some("acte.zip/a 2026-12-02T10:00:00Z INFO x[2J.cer")
        );
        assert_eq!(inner_name("x/\u{7}\r\n"), "(unnamed)");
    }

    /// One TNEF attribute: level, id, length, data, checksum (MS-OXTNEF 2.1.3.3).
    fn tnef_attribute(out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]) {
        out.push(level);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        out.extend_from_slice(data);
        let sum = data.iter().fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        out.extend_from_slice(&sum.to_le_bytes());
    }

    #[test]
    fn names_inside_winmail_dat_are_cleaned_to_one_line() {
        let mut stream = 0x223E_9F78_u32.to_le_bytes().to_vec();
        stream.extend_from_slice(&1u16.to_le_bytes());
        tnef_attribute(&mut stream, 2, 0x0006_9002, &[0xFF; 14]);
        tnef_attribute(
            &mut stream,
            2,
            0x0001_8010,
            b"sistem\r\nforged\x1b]0;x\x07.cer\0",
        );
        tnef_attribute(&mut stream, 2, 0x0006_800F, b"abc");
        let winmail = Attachment {
            name: Some("winmail.dat".into()),
            content_type: "application/ms-tnef".into(),
            bytes: stream,
        };
        let Opened::Files(files) = open(&winmail) else {
            panic!("not opened")
        };
        assert_eq!(files[0].name.as_deref(), Some("sistem forged]0;x.cer"));
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_ratio() {
        let z = zip_of(&[("zeros.bin", vec![0u8; 11 * 1024 * 1024])]);
        assert!(matches!(
            open(&attachment(z)),
            Opened::Refused(Refusal::Ratio | Refusal::TooLarge)
        ));
    }

    #[test]
    fn too_many_entries_are_refused() {
        let entries: Vec<(String, Vec<u8>)> =
            (0..51).map(|i| (format!("{i}.txt"), vec![b'x'])).collect();
        let refs: Vec<(&str, Vec<u8>)> = entries
            .iter()
            .map(|(n, d)| (n.as_str(), d.clone()))
            .collect();
        assert!(matches!(
            open(&attachment(zip_of(&refs))),
            Opened::Refused(Refusal::TooManyEntries)
        ));
    }

    #[test]
    fn a_broken_zip_is_unreadable_and_other_files_are_plain() {
        assert!(matches!(
            open(&attachment(b"PK\x03\x04broken".to_vec())),
            Opened::Refused(Refusal::Unreadable)
        ));
        assert!(matches!(open(&attachment(b"%PDF".to_vec())), Opened::Plain));
    }
}
