//! Tests of the TNEF reader, with a small TNEF builder.

use super::*;

const REND_DATA: [u8; 14] = [0xFF; 14];
const IID_IMESSAGE: [u8; 16] = [
    0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// Builds TNEF streams attribute by attribute.
struct Stream(Vec<u8>);

impl Stream {
    fn new() -> Self {
        let mut bytes = SIGNATURE.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0x0001_u16.to_le_bytes());
        Stream(bytes)
    }

    /// What Outlook writes before any attachment: version, code page, message class.
    fn message_header(self) -> Self {
        let mut codepage = 1252_u32.to_le_bytes().to_vec();
        codepage.extend_from_slice(&0_u32.to_le_bytes());
        self.attribute(LEVEL_MESSAGE, 0x0008_9006, &0x0001_0000_u32.to_le_bytes())
            .attribute(LEVEL_MESSAGE, 0x0006_9007, &codepage)
            .attribute(LEVEL_MESSAGE, 0x0007_8008, b"IPM.Microsoft Mail.Note\0")
    }

    fn attribute(self, level: u8, id: u32, data: &[u8]) -> Self {
        let sum = data
            .iter()
            .fold(0_u16, |sum, &byte| sum.wrapping_add(u16::from(byte)));
        self.attribute_with_checksum(level, id, data, sum)
    }

    fn attribute_with_checksum(mut self, level: u8, id: u32, data: &[u8], sum: u16) -> Self {
        let len = u32::try_from(data.len()).expect("test data fits in u32");
        self.0.push(level);
        self.0.extend_from_slice(&id.to_le_bytes());
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(data);
        self.0.extend_from_slice(&sum.to_le_bytes());
        self
    }

    fn start_attachment(self) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, &REND_DATA)
    }

    fn title(self, title: &[u8]) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, title)
    }

    fn data(self, data: &[u8]) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, data)
    }

    fn properties(self, list: Properties) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &list.bytes())
    }

    fn file(self, title: &str, data: &[u8]) -> Self {
        let mut title = title.as_bytes().to_vec();
        title.push(0);
        self.start_attachment().title(&title).data(data)
    }

    fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Builds the MAPI property list carried by attAttachment.
#[derive(Default)]
struct Properties {
    count: u32,
    body: Vec<u8>,
}

impl Properties {
    fn tag(mut self, kind: u16, id: u16) -> Self {
        self.count += 1;
        self.body.extend_from_slice(&kind.to_le_bytes());
        self.body.extend_from_slice(&id.to_le_bytes());
        self
    }

    fn u32(mut self, value: u32) -> Self {
        self.body.extend_from_slice(&value.to_le_bytes());
        self
    }

    fn padded(mut self, bytes: &[u8]) -> Self {
        let len = u32::try_from(bytes.len()).expect("test data fits in u32");
        self = self.u32(len);
        self.body.extend_from_slice(bytes);
        while !self.body.len().is_multiple_of(4) {
            self.body.push(0);
        }
        self
    }

    fn sized(self, kind: u16, id: u16, bytes: &[u8]) -> Self {
        self.tag(kind, id).u32(1).padded(bytes)
    }

    fn unicode(self, id: u16, text: &str) -> Self {
        let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend_from_slice(&[0, 0]);
        self.sized(PT_UNICODE, id, &bytes)
    }

    fn string8(self, id: u16, text: &str) -> Self {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.sized(PT_STRING8, id, &bytes)
    }

    fn binary(self, id: u16, bytes: &[u8]) -> Self {
        self.sized(PT_BINARY, id, bytes)
    }

    fn int32(self, id: u16, value: u32) -> Self {
        self.tag(0x0003, id).u32(value)
    }

    /// A named string property, as Outlook adds for its own bookkeeping.
    fn named(mut self, name: &str, value: &str) -> Self {
        self = self.tag(PT_UNICODE, 0x8005);
        self.body.extend_from_slice(&[0x11; 16]);
        self = self.u32(MNID_STRING);
        let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let value: Vec<u8> = value.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.padded(&name).u32(1).padded(&value)
    }

    fn bytes(self) -> Vec<u8> {
        let mut bytes = self.count.to_le_bytes().to_vec();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn file(name: &str, data: &[u8]) -> TnefAttachment {
    TnefAttachment {
        name: Some(name.to_owned()),
        data: data.to_vec(),
    }
}

/// A realistic stream: an 8.3 title, a long Unicode name among other properties.
fn certificate_stream() -> Vec<u8> {
    let properties = Properties::default()
        .int32(0x0E21, 0)
        .named("Keywords", "dossier")
        .string8(PR_ATTACH_FILENAME, "CERTIF~1.CER")
        .unicode(PR_ATTACH_LONG_FILENAME, "Certificat semnătură €.cer")
        .tag(0x0002 | MV_FLAG, 0x6000)
        .u32(3)
        .u32(1)
        .u32(2)
        .u32(3);
    Stream::new()
        .message_header()
        .start_attachment()
        .title(b"CERTIF~1.CER\0")
        .data(b"-----BEGIN CERTIFICATE-----")
        .properties(properties)
        .bytes()
}

/// Reads `input` and checks the promise that output never outweighs input.
fn read_within_input(input: &[u8]) -> Result<Vec<TnefAttachment>, TnefError> {
    let result = attachments(input);
    if let Ok(files) = &result {
        let names = files
            .iter()
            .filter_map(|f| f.name.as_ref())
            .map(String::len);
        let data = files.iter().map(|f| f.data.len());
        assert!(names.chain(data).sum::<usize>() <= input.len());
    }
    result
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, bound: u32) -> usize {
        (self.next() % bound) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn a_file_is_returned_with_its_title_and_bytes() {
    let stream = Stream::new()
        .message_header()
        .file("report.pdf", b"%PDF-1.7")
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("report.pdf", b"%PDF-1.7")])
    );
}

#[test]
fn two_files_are_returned_in_the_order_they_were_attached() {
    let stream = Stream::new()
        .message_header()
        .file("first.txt", b"one")
        .file("second.txt", b"two")
        .bytes();
    let expected = vec![file("first.txt", b"one"), file("second.txt", b"two")];
    assert_eq!(attachments(&stream), Ok(expected));
}

#[test]
fn a_certificate_inside_winmail_dat_is_returned_with_its_long_name() {
    let expected = file("Certificat semnătură €.cer", b"-----BEGIN CERTIFICATE-----");
    assert_eq!(attachments(&certificate_stream()), Ok(vec![expected]));
}

#[test]
fn a_long_name_in_string8_also_overrides_the_title() {
    let properties = Properties::default().string8(PR_ATTACH_LONG_FILENAME, "long name.txt");
    let stream = Stream::new()
        .start_attachment()
        .title(b"LONGNA~1.TXT\0")
        .data(b"x")
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("long name.txt", b"x")]));
}

#[test]
fn a_file_whose_bytes_are_only_in_pr_attach_data_bin_is_returned() {
    let properties = Properties::default().binary(PR_ATTACH_DATA, b"\x89PNG\r\n");
    let stream = Stream::new()
        .start_attachment()
        .title(b"image.png\0")
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("image.png", b"\x89PNG\r\n")])
    );
}

#[test]
fn pr_attach_filename_names_a_file_that_has_no_title() {
    let properties = Properties::default()
        .unicode(PR_ATTACH_FILENAME, "notes.txt")
        .binary(PR_ATTACH_DATA, b"hello");
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("notes.txt", b"hello")]));
}

#[test]
fn a_file_without_any_name_is_returned_nameless() {
    let stream = Stream::new().start_attachment().data(b"anonymous").bytes();
    let expected = TnefAttachment {
        name: None,
        data: b"anonymous".to_vec(),
    };
    assert_eq!(attachments(&stream), Ok(vec![expected]));
}

#[test]
fn an_embedded_message_is_returned_as_its_raw_stream() {
    let inner = Stream::new().file("inner.txt", b"nested").bytes();
    let mut object = IID_IMESSAGE.to_vec();
    object.extend_from_slice(&inner);
    let properties = Properties::default()
        .unicode(PR_ATTACH_LONG_FILENAME, "Forwarded.msg")
        .sized(PT_OBJECT, PR_ATTACH_DATA, &object);
    let stream = Stream::new()
        .start_attachment()
        .properties(properties)
        .bytes();
    assert_eq!(
        attachments(&stream),
        Ok(vec![file("Forwarded.msg", &inner)])
    );
}

#[test]
fn a_wrong_checksum_does_not_reject_the_file() {
    let stream = Stream::new()
        .start_attachment()
        .title(b"a.txt\0")
        .attribute_with_checksum(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, b"abc", 0xBEEF)
        .bytes();
    assert_eq!(attachments(&stream), Ok(vec![file("a.txt", b"abc")]));
}

#[test]
fn bytes_without_the_signature_are_not_tnef() {
    let mut stream = Stream::new().file("a.txt", b"a").bytes();
    assert!(is_tnef(&stream));
    stream[0] ^= 0xFF;
    assert!(!is_tnef(&stream));
    assert_eq!(attachments(&stream), Err(TnefError::NotTnef));
    assert_eq!(attachments(b"Hello, world"), Err(TnefError::NotTnef));
    assert_eq!(attachments(&[0x78, 0x9F, 0x3E]), Err(TnefError::NotTnef));
    assert_eq!(attachments(&[]), Err(TnefError::NotTnef));
}

#[test]
fn a_stream_with_only_a_header_holds_no_files() {
    assert_eq!(attachments(&Stream::new().bytes()), Ok(vec![]));
    let message_only = Stream::new().message_header().bytes();
    assert_eq!(attachments(&message_only), Ok(vec![]));
}

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
