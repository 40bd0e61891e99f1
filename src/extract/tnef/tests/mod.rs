//! Tests of the TNEF reader, with a small TNEF builder (this file) shared by the tests of
//! what is read ([`files`]) and of what hostile streams cannot do ([`hostile`]).

use super::*;

mod files;
mod hostile;

pub(super) const REND_DATA: [u8; 14] = [0xFF; 14];
pub(super) const IID_IMESSAGE: [u8; 16] = [
    0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// Builds TNEF streams attribute by attribute.
pub(super) struct Stream(Vec<u8>);

impl Stream {
    pub(super) fn new() -> Self {
        let mut bytes = SIGNATURE.to_le_bytes().to_vec();
        bytes.extend_from_slice(&0x0001_u16.to_le_bytes());
        Stream(bytes)
    }

    /// What Outlook writes before any attachment: version, code page, message class.
    pub(super) fn message_header(self) -> Self {
        let mut codepage = 1252_u32.to_le_bytes().to_vec();
        codepage.extend_from_slice(&0_u32.to_le_bytes());
        self.attribute(LEVEL_MESSAGE, 0x0008_9006, &0x0001_0000_u32.to_le_bytes())
            .attribute(LEVEL_MESSAGE, 0x0006_9007, &codepage)
            .attribute(LEVEL_MESSAGE, 0x0007_8008, b"IPM.Microsoft Mail.Note\0")
    }

    pub(super) fn attribute(self, level: u8, id: u32, data: &[u8]) -> Self {
        let sum = data
            .iter()
            .fold(0_u16, |sum, &byte| sum.wrapping_add(u16::from(byte)));
        self.attribute_with_checksum(level, id, data, sum)
    }

    pub(super) fn attribute_with_checksum(
        mut self,
        level: u8,
        id: u32,
        data: &[u8],
        sum: u16,
    ) -> Self {
        let len = u32::try_from(data.len()).expect("test data fits in u32");
        self.0.push(level);
        self.0.extend_from_slice(&id.to_le_bytes());
        self.0.extend_from_slice(&len.to_le_bytes());
        self.0.extend_from_slice(data);
        self.0.extend_from_slice(&sum.to_le_bytes());
        self
    }

    pub(super) fn start_attachment(self) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, &REND_DATA)
    }

    pub(super) fn title(self, title: &[u8]) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, title)
    }

    pub(super) fn data(self, data: &[u8]) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, data)
    }

    pub(super) fn properties(self, list: Properties) -> Self {
        self.attribute(LEVEL_ATTACHMENT, ATT_ATTACHMENT, &list.bytes())
    }

    pub(super) fn file(self, title: &str, data: &[u8]) -> Self {
        let mut title = title.as_bytes().to_vec();
        title.push(0);
        self.start_attachment().title(&title).data(data)
    }

    pub(super) fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Builds the MAPI property list carried by attAttachment.
#[derive(Default)]
pub(super) struct Properties {
    count: u32,
    body: Vec<u8>,
}

impl Properties {
    pub(super) fn tag(mut self, kind: u16, id: u16) -> Self {
        self.count += 1;
        self.body.extend_from_slice(&kind.to_le_bytes());
        self.body.extend_from_slice(&id.to_le_bytes());
        self
    }

    pub(super) fn u32(mut self, value: u32) -> Self {
        self.body.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub(super) fn padded(mut self, bytes: &[u8]) -> Self {
        let len = u32::try_from(bytes.len()).expect("test data fits in u32");
        self = self.u32(len);
        self.body.extend_from_slice(bytes);
        while !self.body.len().is_multiple_of(4) {
            self.body.push(0);
        }
        self
    }

    pub(super) fn sized(self, kind: u16, id: u16, bytes: &[u8]) -> Self {
        self.tag(kind, id).u32(1).padded(bytes)
    }

    pub(super) fn unicode(self, id: u16, text: &str) -> Self {
        let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend_from_slice(&[0, 0]);
        self.sized(PT_UNICODE, id, &bytes)
    }

    pub(super) fn string8(self, id: u16, text: &str) -> Self {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.sized(PT_STRING8, id, &bytes)
    }

    pub(super) fn binary(self, id: u16, bytes: &[u8]) -> Self {
        self.sized(PT_BINARY, id, bytes)
    }

    pub(super) fn int32(self, id: u16, value: u32) -> Self {
        self.tag(0x0003, id).u32(value)
    }

    /// A named string property, as Outlook adds for its own bookkeeping.
    pub(super) fn named(mut self, name: &str, value: &str) -> Self {
        self = self.tag(PT_UNICODE, 0x8005);
        self.body.extend_from_slice(&[0x11; 16]);
        self = self.u32(MNID_STRING);
        let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let value: Vec<u8> = value.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.padded(&name).u32(1).padded(&value)
    }

    pub(super) fn bytes(self) -> Vec<u8> {
        let mut bytes = self.count.to_le_bytes().to_vec();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

pub(super) fn file(name: &str, data: &[u8]) -> TnefAttachment {
    TnefAttachment {
        name: Some(name.to_owned()),
        data: data.to_vec(),
    }
}

/// A realistic stream: an 8.3 title, a long Unicode name among other properties.
pub(super) fn certificate_stream() -> Vec<u8> {
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
pub(super) fn read_within_input(input: &[u8]) -> Result<Vec<TnefAttachment>, TnefError> {
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
pub(super) struct Lcg(u64);

impl Lcg {
    pub(super) fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    pub(super) fn below(&mut self, bound: u32) -> usize {
        (self.next() % bound) as usize
    }

    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}
