//! The strings of a TNEF stream: 8-bit names in the sender's code page, or UTF-16LE,
//! decoded into at most the bytes a caller may still keep.

/// A string as it appeared in the stream, decoded only when the attachment is complete.
#[derive(Clone, Copy)]
pub(super) enum Text<'a> {
    /// 8-bit text, NUL-terminated.
    Narrow(&'a [u8]),
    /// UTF-16LE text, possibly NUL-terminated.
    Wide(&'a [u8]),
}

impl Text<'_> {
    /// The text up to the first NUL in at most `budget` bytes, or `None` when that is empty.
    pub(super) fn decode(self, budget: &mut usize) -> Option<String> {
        match self {
            // 8-bit strings are in the sender's ANSI code page (attOemCodepage). Modern
            // writers use UTF-8 or ASCII; otherwise Windows-1252, the commonest Western code
            // page, is the best guess that never fails.
            Text::Narrow(bytes) => {
                let text = bytes.split(|&byte| byte == 0).next().unwrap_or_default();
                match std::str::from_utf8(text) {
                    Ok(utf8) => fit(utf8.chars(), budget),
                    Err(_) => fit(text.iter().map(|&byte| windows_1252(byte)), budget),
                }
            }
            Text::Wide(bytes) => fit(wide_chars(bytes), budget),
        }
    }
}

fn wide_chars(bytes: &[u8]) -> impl Iterator<Item = char> + Clone + '_ {
    let units = bytes
        .chunks_exact(2)
        .filter_map(|pair| pair.first_chunk::<2>())
        .map(|pair| u16::from_le_bytes(*pair))
        .take_while(|&unit| unit != 0);
    char::decode_utf16(units).map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
}

/// Collects as many of `chars` as fit in `budget` bytes of UTF-8, measuring before
/// allocating so that a hostile name cannot make us reserve more than it may keep.
fn fit(chars: impl Iterator<Item = char> + Clone, budget: &mut usize) -> Option<String> {
    let mut len = 0_usize;
    let mut count = 0_usize;
    for ch in chars.clone() {
        let next = len.saturating_add(ch.len_utf8());
        if next > *budget {
            break;
        }
        len = next;
        count = count.saturating_add(1);
    }
    if len == 0 {
        return None;
    }
    let mut text = String::with_capacity(len);
    text.extend(chars.take(count));
    *budget = budget.saturating_sub(len);
    Some(text)
}

/// Windows-1252 differs from Latin-1 only in 0x80..=0x9F; its five unassigned bytes map to
/// the C1 controls of the same value, as browsers do.
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}',
        '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}',
        '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
    ];
    match byte {
        0x80..=0x9F => HIGH
            .get(usize::from(byte.wrapping_sub(0x80)))
            .copied()
            .unwrap_or(char::REPLACEMENT_CHARACTER),
        _ => char::from(byte),
    }
}
