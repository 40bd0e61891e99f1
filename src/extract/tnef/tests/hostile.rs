//! What cut, oversized, malformed or random streams cannot do: panic, allocate past the
//! input, or return more than it holds.

use super::*;

#[test]
fn a_stream_cut_at_any_byte_never_panics() {
    let stream = certificate_stream();
    let whole = attachments(&stream);
    assert!(whole.is_ok());
    for cut in 0..stream.len() {
        // Whatever a prefix yields, it must not pass for the complete stream.
        assert_ne!(read_within_input(&stream[..cut]), whole, "cut at {cut}");
    }
}

#[test]
fn a_cut_inside_the_last_attribute_is_truncated() {
    let stream = Stream::new().file("a.txt", b"abcdef").bytes();
    let cut = &stream[..stream.len() - 3];
    assert_eq!(attachments(cut), Err(TnefError::Truncated));
}

#[test]
fn a_length_of_u32_max_is_truncated_without_allocating() {
    let mut stream = Stream::new().start_attachment().bytes();
    stream.push(LEVEL_ATTACHMENT);
    stream.extend_from_slice(&ATT_ATTACH_DATA.to_le_bytes());
    stream.extend_from_slice(&u32::MAX.to_le_bytes());
    stream.extend_from_slice(b"a few bytes of data");
    assert_eq!(attachments(&stream), Err(TnefError::Truncated));
}

#[test]
fn a_value_length_of_u32_max_in_a_property_list_is_malformed() {
    let properties = Properties::default()
        .tag(PT_BINARY, PR_ATTACH_DATA)
        .u32(1)
        .u32(u32::MAX);
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert!(matches!(attachments(&stream), Err(TnefError::Malformed(_))));
}

#[test]
fn a_value_count_of_u32_max_in_a_property_list_is_malformed() {
    let properties = Properties::default()
        .tag(0x0003 | MV_FLAG, 0x6001)
        .u32(u32::MAX);
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert!(matches!(attachments(&stream), Err(TnefError::Malformed(_))));
}

#[test]
fn one_hundred_files_are_accepted() {
    let stream = (0..100)
        .fold(Stream::new(), |stream, n| {
            stream.file(&format!("{n}.txt"), b"x")
        })
        .bytes();
    assert_eq!(attachments(&stream).map(|files| files.len()), Ok(100));
}

#[test]
fn more_than_one_hundred_files_are_refused() {
    let stream = (0..101)
        .fold(Stream::new(), |stream, n| {
            stream.file(&format!("{n}.txt"), b"x")
        })
        .bytes();
    assert_eq!(attachments(&stream), Err(TnefError::TooManyAttachments));
}

#[test]
fn empty_attachments_count_towards_the_limit() {
    let stream = (0..101)
        .fold(Stream::new(), |stream, _| stream.start_attachment())
        .bytes();
    assert_eq!(attachments(&stream), Err(TnefError::TooManyAttachments));
}

#[test]
fn more_than_a_thousand_properties_are_malformed() {
    let properties = (0..1_001).fold(Properties::default(), |list, n| list.int32(0x6000, n));
    let stream = Stream::new()
        .start_attachment()
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Err(TnefError::Malformed("too many MAPI properties"))
    );
}

#[test]
fn a_thousand_properties_are_read() {
    let properties = (0..999)
        .fold(Properties::default(), |list, n| list.int32(0x6000, n))
        .unicode(PR_ATTACH_LONG_FILENAME, "last.txt");
    let stream = Stream::new()
        .start_attachment()
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("last.txt", b"x")]));
}

#[test]
fn an_unknown_property_type_is_malformed() {
    let properties = Properties::default().tag(0x0999, 0x6000).u32(0);
    let stream = Stream::new()
        .start_attachment()
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Err(TnefError::Malformed("unknown MAPI property type"))
    );
}

#[test]
fn message_level_and_unknown_attributes_are_skipped() {
    let stream = Stream::new()
        .message_header()
        .attribute(LEVEL_MESSAGE, 0x0001_8004, b"Subject\0")
        .start_attachment()
        .attribute(LEVEL_ATTACHMENT, 0x0003_8012, &[0; 14])
        .title(b"a.txt\0")
        .attribute(LEVEL_ATTACHMENT, 0x0006_9999, b"unknown")
        .data(b"a")
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("a.txt", b"a")]));
}

#[test]
fn an_unknown_attribute_level_is_malformed() {
    let stream = Stream::new().attribute(7, ATT_ATTACH_DATA, b"x").bytes();
    assert_eq!(
        attachments(&stream),
        Err(TnefError::Malformed("unknown attribute level"))
    );
}

#[test]
fn attachment_attributes_before_any_rend_data_are_ignored() {
    let stream = Stream::new()
        .title(b"orphan.txt\0")
        .data(b"orphan")
        .file("real.txt", b"real")
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("real.txt", b"real")]));
}

#[test]
fn an_attachment_without_data_is_skipped() {
    let stream = Stream::new()
        .start_attachment()
        .title(b"ghost.txt\0")
        .file("real.txt", b"real")
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("real.txt", b"real")]));
}

#[test]
fn an_empty_file_is_still_a_file() {
    let stream = Stream::new().file("empty.txt", b"").bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("empty.txt", b"")]));
}

#[test]
fn a_title_that_is_not_utf8_is_read_as_windows_1252() {
    let stream = Stream::new()
        .start_attachment()
        .title(b"Caf\xE9 \x80 \x93quote\x94.txt\0junk")
        .data(b"x")
        .bytes();
    let expected = file("Café € \u{201C}quote\u{201D}.txt", b"x");
    assert_eq!(attachments(&stream), Ok(vec![expected]));
}

#[test]
fn an_empty_long_name_falls_back_to_the_title() {
    let properties = Properties::default().unicode(PR_ATTACH_LONG_FILENAME, "");
    let stream = Stream::new()
        .start_attachment()
        .title(b"short.txt\0")
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("short.txt", b"x")]));
}

#[test]
fn names_never_make_the_result_larger_than_the_input() {
    let mut title = vec![0x80; 1_000];
    title.push(0);
    let stream = Stream::new()
        .start_attachment()
        .title(&title)
        .data(b"x")
        .bytes();
    let files = read_within_input(&stream).expect("stream is valid");
    let name = files[0].name.as_deref().expect("a shortened name is kept");
    assert!(name.len() > 100 && name.chars().all(|ch| ch == '\u{20AC}'));
}

#[test]
fn a_lone_surrogate_in_a_unicode_name_becomes_a_replacement_character() {
    let mut name: Vec<u8> = "a".encode_utf16().flat_map(u16::to_le_bytes).collect();
    name.extend_from_slice(&0xD800_u16.to_le_bytes());
    let properties = Properties::default().sized(PT_UNICODE, PR_ATTACH_LONG_FILENAME, &name);
    let stream = Stream::new().file("x", b"x").properties(properties).bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("a\u{FFFD}", b"x")]));
}

#[test]
fn a_named_property_with_a_numeric_id_is_skipped() {
    let mut properties = Properties::default().tag(0x0003, 0x8010);
    properties.body.extend_from_slice(&[0x22; 16]);
    let properties = properties
        .u32(MNID_ID)
        .u32(0x8233)
        .u32(7)
        .unicode(PR_ATTACH_LONG_FILENAME, "after.txt");
    let stream = Stream::new().file("x", b"x").properties(properties).bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("after.txt", b"x")]));
}

#[test]
fn an_unknown_named_property_kind_is_malformed() {
    let mut properties = Properties::default().tag(0x0003, 0x8010);
    properties.body.extend_from_slice(&[0x22; 16]);
    let stream = Stream::new()
        .file("x", b"x")
        .properties(properties.u32(2).u32(0).u32(7))
        .bytes();
    assert_eq!(
        attachments(&stream),
        Err(TnefError::Malformed("unknown named property kind"))
    );
}

#[test]
fn an_object_shorter_than_its_interface_id_is_malformed() {
    let properties = Properties::default().sized(PT_OBJECT, PR_ATTACH_DATA, &[0; 15]);
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Err(TnefError::Malformed(
            "object value is shorter than its interface id"
        ))
    );
}

#[test]
fn a_last_value_without_its_padding_is_accepted() {
    let mut list = Properties::default()
        .binary(PR_ATTACH_DATA, b"abcde")
        .bytes();
    list.truncate(list.len() - 3);
    let stream = Stream::new()
        .start_attachment()
        .title(b"p.bin\0")
        .attribute(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &list)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("p.bin", b"abcde")]));
}

#[test]
fn a_stream_over_the_size_limit_is_too_large() {
    let stream = Stream::new().file("a.txt", b"0123456789").bytes();
    assert_eq!(
        attachments_within(&stream, stream.len() - 1),
        Err(TnefError::TooLarge)
    );
    assert!(attachments_within(&stream, stream.len()).is_ok());
}

#[test]
fn every_error_reads_as_an_english_sentence() {
    let errors = [
        TnefError::NotTnef,
        TnefError::Truncated,
        TnefError::TooManyAttachments,
        TnefError::TooLarge,
        TnefError::Malformed("unknown attribute level"),
    ];
    for error in errors {
        let text = error.to_string();
        assert!(
            text.starts_with("the ") || text.starts_with("not "),
            "{text}"
        );
        let _: &dyn std::error::Error = &error;
    }
    assert_eq!(
        TnefError::TooLarge.to_string(),
        "the TNEF stream is larger than 256 MiB"
    );
}

#[test]
fn random_byte_soup_never_panics() {
    let mut random = Lcg(0x5EED);
    for round in 0..5_000 {
        let len = random.below(300);
        let mut input = if round % 2 == 0 {
            Stream::new().bytes()
        } else {
            Vec::new()
        };
        input.extend(random.bytes(len));
        let _ = read_within_input(&input);
    }
}

#[test]
fn random_property_lists_never_panic() {
    const TYPES: [u16; 12] = [
        0x0002, 0x0003, 0x000B, 0x0014, 0x0048, 0x001E, 0x001F, 0x0102, 0x000D, 0x1003, 0x101F,
        0x1102,
    ];
    let mut random = Lcg(0x7E57);
    for _ in 0..5_000 {
        let mut list = Properties::default().u32(random.below(6) as u32);
        for _ in 0..random.below(6) {
            let kind = TYPES[random.below(12)];
            let id = [PR_ATTACH_DATA, PR_ATTACH_LONG_FILENAME, 0x8001][random.below(3)];
            list = list.tag(kind, id).u32(random.below(40) as u32);
            let len = random.below(40);
            list.body.extend(random.bytes(len));
        }
        let mut body = list.body;
        body.truncate(body.len().saturating_sub(random.below(4)));
        let stream = Stream::new()
            .start_attachment()
            .data(b"x")
            .attribute(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &body)
            .bytes();
        let _ = read_within_input(&stream);
    }
}

#[test]
fn a_mutated_stream_never_panics() {
    let original = certificate_stream();
    let mut random = Lcg(0xF1A5);
    for _ in 0..5_000 {
        let mut stream = original.clone();
        for _ in 0..=random.below(4) {
            let at = HEADER_LEN + random.below((stream.len() - HEADER_LEN) as u32);
            stream[at] = random.next() as u8;
        }
        let _ = read_within_input(&stream);
    }
}
