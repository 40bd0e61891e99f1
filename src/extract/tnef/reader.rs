//! A bounds-checked cursor over the untrusted bytes of a TNEF stream.

use super::TnefError;

/// A cursor over untrusted bytes: every read is bounds-checked first.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
    /// What running out of bytes means here: truncation of the stream, or a malformed
    /// property list inside an attribute whose own length was fine.
    short: TnefError,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8], short: TnefError) -> Self {
        Self { rest: bytes, short }
    }

    pub(super) fn len(&self) -> usize {
        self.rest.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(super) fn short(&self) -> TnefError {
        self.short.clone()
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], TnefError> {
        let (head, tail) = self
            .rest
            .split_at_checked(len)
            .ok_or_else(|| self.short())?;
        self.rest = tail;
        Ok(head)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], TnefError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| self.short())?;
        self.rest = tail;
        Ok(*head)
    }

    pub(super) fn u8(&mut self) -> Result<u8, TnefError> {
        self.array::<1>().map(u8::from_le_bytes)
    }

    pub(super) fn u16(&mut self) -> Result<u16, TnefError> {
        self.array::<2>().map(u16::from_le_bytes)
    }

    pub(super) fn u32(&mut self) -> Result<u32, TnefError> {
        self.array::<4>().map(u32::from_le_bytes)
    }

    /// A u32 length; one that does not fit in memory cannot be backed by the input either.
    pub(super) fn length(&mut self) -> Result<usize, TnefError> {
        let len = self.u32()?;
        usize::try_from(len).map_err(|_| self.short())
    }

    /// A u32 length, that many bytes, then padding to 4 bytes.
    pub(super) fn sized(&mut self) -> Result<&'a [u8], TnefError> {
        let len = self.length()?;
        let value = self.take(len)?;
        self.skip_padding(len);
        Ok(value)
    }

    /// Values are padded to 4 bytes (MS-OXTNEF 2.1.3); a last value whose padding was left
    /// off is tolerated, since nothing follows it that could be misread.
    pub(super) fn skip_padding(&mut self, len: usize) {
        // The distance to the next multiple of 4, without overflow for any length.
        let padding = len.wrapping_neg() % 4;
        self.rest = self.rest.get(padding..).unwrap_or_default();
    }
}
