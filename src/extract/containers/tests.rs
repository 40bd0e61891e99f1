//! Tests of opening containers: zips, winmail.dat, and the one inside the other.

use super::*;
use std::io::Write;

use zip::CompressionMethod::{Deflated, Stored};

fn zip_with(entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

/// A deflated zip of `entries` (also for the tests of extract and of the ledger).
pub(crate) fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    zip_with(entries, Deflated)
}

fn attachment(bytes: Vec<u8>) -> Attachment {
    Attachment {
        name: Some("acte.zip".into()),
        content_type: "application/zip".into(),
        bytes,
    }
}

/// What was found, as `name` for files and `name: reason` for archives refused inside.
fn listing(opened: Opened) -> Vec<String> {
    let Opened::Files(found) = opened else {
        panic!("not opened")
    };
    found
        .into_iter()
        .map(|inner| match inner {
            Inner::File(f) => f.name.unwrap(),
            Inner::Refused { file, reason } => format!("{file}: {reason:?}"),
        })
        .collect()
}

fn file_bytes(opened: Opened, name: &str) -> Vec<u8> {
    let Opened::Files(found) = opened else {
        panic!("not opened")
    };
    found
        .into_iter()
        .find_map(|inner| match inner {
            Inner::File(f) if f.name.as_deref() == Some(name) => Some(f.bytes),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn the_files_of_a_zip_are_opened_and_named_after_it() {
    let z = zip_of(&[
        ("dir/sistem.cer", b"abc".to_vec()),
        ("readme.txt", b"hi".to_vec()),
    ]);
    assert_eq!(
        listing(open(&attachment(z.clone()))),
        ["acte.zip/sistem.cer", "acte.zip/readme.txt"]
    );
    assert_eq!(
        file_bytes(open(&attachment(z)), "acte.zip/sistem.cer"),
        b"abc"
    );
}

#[test]
fn names_inside_a_zip_are_cleaned_to_one_line() {
    let z = zip_of(&[(
        "dir/a\r\n2026-12-02T10:00:00Z  INFO x\x1b[2J.cer",
        b"abc".to_vec(),
    )]);
    assert_eq!(
        listing(open(&attachment(z))),
        ["acte.zip/a 2026-12-02T10:00:00Z INFO x[2J.cer"]
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

/// A winmail.dat stream holding one file.
fn winmail_of(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut stream = 0x223E_9F78_u32.to_le_bytes().to_vec();
    stream.extend_from_slice(&1u16.to_le_bytes());
    tnef_attribute(&mut stream, 2, 0x0006_9002, &[0xFF; 14]);
    let mut title = name.to_vec();
    title.push(0);
    tnef_attribute(&mut stream, 2, 0x0001_8010, &title);
    tnef_attribute(&mut stream, 2, 0x0006_800F, data);
    stream
}

fn winmail(bytes: Vec<u8>) -> Attachment {
    Attachment {
        name: Some("winmail.dat".into()),
        content_type: "application/ms-tnef".into(),
        bytes,
    }
}

#[test]
fn names_inside_winmail_dat_are_cleaned_to_one_line() {
    let stream = winmail_of(b"sistem\r\nforged\x1b]0;x\x07.cer", b"abc");
    assert_eq!(listing(open(&winmail(stream))), ["sistem forged]0;x.cer"]);
}

#[test]
fn a_zip_bomb_is_refused_by_its_ratio() {
    let z = zip_of(&[("zeros.bin", vec![0u8; 11 * 1024 * 1024])]);
    assert!(matches!(
        open(&attachment(z)),
        Opened::Refused(Refusal::Ratio | Refusal::TooLarge)
    ));
}

fn many(count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|i| (format!("{i}.txt"), vec![b'x']))
        .collect()
}

fn refs(entries: &[(String, Vec<u8>)]) -> Vec<(&str, Vec<u8>)> {
    entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect()
}

#[test]
fn too_many_entries_are_refused() {
    assert!(matches!(
        open(&attachment(zip_of(&refs(&many(51))))),
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

#[test]
fn a_zip_in_a_zip_is_opened_and_its_files_named_by_the_path() {
    let inner = zip_of(&[("certs/sistem.cer", b"abc".to_vec())]);
    let outer = zip_of(&[("readme.txt", b"hi".to_vec()), ("dir/interior.zip", inner)]);
    assert_eq!(
        listing(open(&attachment(outer))),
        ["acte.zip/readme.txt", "acte.zip/interior.zip/sistem.cer"]
    );
}

/// `levels` zips, each inside the next, the innermost holding `key.pem` (a PEM key's first
/// line: enough to be one).
pub(crate) fn nested(levels: usize) -> Vec<u8> {
    let mut bytes = zip_of(&[("key.pem", b"-----BEGIN PRIVATE KEY-----".to_vec())]);
    for level in (1..levels).rev() {
        bytes = zip_of(&[
            (&format!("l{level}.txt"), b"x".to_vec()),
            (&format!("l{}.zip", level + 1), bytes),
        ]);
    }
    bytes
}

#[test]
fn three_levels_of_zip_are_read_and_a_fourth_is_refused_alone() {
    assert_eq!(
        listing(open(&attachment(nested(3)))),
        [
            "acte.zip/l1.txt",
            "acte.zip/l2.zip/l2.txt",
            "acte.zip/l2.zip/l3.zip/key.pem"
        ]
    );
    assert_eq!(
        listing(open(&attachment(nested(4)))),
        [
            "acte.zip/l1.txt",
            "acte.zip/l2.zip/l2.txt",
            "acte.zip/l2.zip/l3.zip/l3.txt",
            "acte.zip/l2.zip/l3.zip/l4.zip: TooDeep"
        ]
    );
    assert_eq!(
        serde_json::to_value(Refusal::TooDeep).unwrap(),
        serde_json::json!("too_deep")
    );
}

#[test]
fn keys_are_looked_for_past_the_depth_read() {
    let names = listing(open_for_keys(&attachment(nested(6))));
    assert_eq!(
        names.last().map(String::as_str),
        Some("acte.zip/l2.zip/l3.zip/l4.zip/l5.zip/l6.zip/key.pem")
    );
}

#[test]
fn entries_are_counted_across_levels() {
    let inner = zip_of(&refs(&many(30)));
    let mut outer = many(29);
    outer.push(("inner.zip".into(), inner));
    // 30 + 30 entries: under the limit at each level, over it together.
    assert!(matches!(
        open(&attachment(zip_of(&refs(&outer)))),
        Opened::Refused(Refusal::TooManyEntries)
    ));
}

#[test]
fn unpacked_bytes_are_counted_across_levels() {
    let inner = zip_with(&[("data.bin", vec![7u8; 6 * 1024 * 1024])], Stored);
    let outer = zip_with(&[("inner.zip", inner)], Stored);
    // 6 MiB of inner zip, then 6 MiB out of it: each level under 10 MiB, not both.
    assert!(matches!(
        open(&attachment(outer)),
        Opened::Refused(Refusal::TooLarge)
    ));
}

/// Bytes deflate compresses about `(gap + 4) / 7` times: four bytes of noise, then zeros.
fn compressible(len: usize, gap: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            out.push(state.to_le_bytes()[0]);
        }
        out.resize((out.len() + gap).min(len), 0);
    }
    out
}

fn compressed_sizes(zip: &[u8]) -> Vec<(u64, u64)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let e = archive.by_index(i).unwrap();
            (e.compressed_size(), e.size())
        })
        .collect()
}

#[test]
fn the_expansion_of_nested_entries_multiplies() {
    // Padding stored in the inner zip makes it compress well inside the outer one; the
    // second entry expands well inside the inner one. Each under 100 times, not together.
    let padding = compressible(400 * 1024, 200);
    let payload = compressible(200 * 1024, 150);
    let mut inner = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut inner);
        let stored = zip::write::SimpleFileOptions::default().compression_method(Stored);
        w.start_file("padding.bin", stored).unwrap();
        w.write_all(&padding).unwrap();
        let deflated = stored.compression_method(Deflated);
        w.start_file("payload.bin", deflated).unwrap();
        w.write_all(&payload).unwrap();
        w.finish().unwrap();
    }
    let inner = inner.into_inner();
    let outer = zip_of(&[("inner.zip", inner.clone())]);
    let ratio = |(c, s): (u64, u64)| s as f64 / c as f64;
    let outer_ratio = ratio(compressed_sizes(&outer)[0]);
    let payload_ratio = ratio(compressed_sizes(&inner)[1]);
    assert!(outer_ratio < 100.0 && payload_ratio < 100.0);
    assert!(outer_ratio * payload_ratio > 100.0);
    assert!(matches!(open(&attachment(inner)), Opened::Files(_)));
    assert!(matches!(
        open(&attachment(outer)),
        Opened::Refused(Refusal::Ratio)
    ));
}

#[test]
fn a_broken_zip_inside_is_refused_alone() {
    let outer = zip_of(&[
        ("sistem.cer", b"abc".to_vec()),
        ("vechi.zip", b"PK\x03\x04broken".to_vec()),
    ]);
    assert_eq!(
        listing(open(&attachment(outer))),
        ["acte.zip/sistem.cer", "acte.zip/vechi.zip: Unreadable"]
    );
}

#[test]
fn a_document_inside_a_zip_is_a_file_not_an_archive() {
    let docx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("word/document.xml", b"<w:document/>".to_vec()),
    ]);
    let outer = zip_of(&[("cerere.docx", docx.clone())]);
    assert_eq!(listing(open(&attachment(outer))), ["acte.zip/cerere.docx"]);
    // Sent on its own it is opened as before.
    assert_eq!(listing(open(&attachment(docx))).len(), 2);
}

#[test]
fn winmail_dat_and_zips_open_inside_each_other() {
    let zipped = zip_of(&[("sistem.cer", b"abc".to_vec())]);
    assert_eq!(
        listing(open(&winmail(winmail_of(b"certificat.zip", &zipped)))),
        ["certificat.zip/sistem.cer"]
    );
    // The sender zipped the winmail.dat they were sent: its files take its place.
    let outer = zip_of(&[("winmail.dat", winmail_of(b"sistem.cer", b"abc"))]);
    assert_eq!(listing(open(&attachment(outer))), ["acte.zip/sistem.cer"]);
}
