//! A certificate serial number, compared as a number whatever way it was written.

use std::fmt;

use num_bigint::BigUint;
use serde::Serialize;

/// A certificate serial number held as canonical upper-case hex of whole octets, without
/// separators or leading zero octets, so `4f:3a`, `0x4F3A` and the decimal `20282` are the same serial.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CertSerial(String);

/// Longest serial accepted: RFC 5280 §4.1.2.2 allows 20 octets; leave room for sloppy encoders.
const MAX_OCTETS: usize = 32;

impl CertSerial {
    /// Builds a serial from the raw big-endian bytes of a certificate's serial field.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > MAX_OCTETS + 1 {
            return None;
        }
        Some(Self::from_biguint(&BigUint::from_bytes_be(bytes)))
    }

    /// Reads hex written with or without `:`/space/`-` separators and an optional `0x`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let t = text.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        let digits: String = t
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-' | '\u{a0}'))
            .collect();
        if digits.is_empty()
            || digits.len() > MAX_OCTETS * 2
            || !digits.chars().all(|c| c.is_ascii_hexdigit())
        {
            return None;
        }
        BigUint::parse_bytes(digits.as_bytes(), 16).map(|n| Self::from_biguint(&n))
    }

    /// Reads a serial written as a decimal number.
    pub fn from_decimal(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() || t.len() > 80 || !t.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        BigUint::parse_bytes(t.as_bytes(), 10).map(|n| Self::from_biguint(&n))
    }

    fn from_biguint(n: &BigUint) -> Self {
        let hex = n.to_str_radix(16).to_uppercase();
        // Whole octets, as certificate viewers show them.
        if hex.len() % 2 == 1 {
            Self(format!("0{hex}"))
        } else {
            Self(hex)
        }
    }

    /// The canonical hex form.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_forms_of_one_serial_are_equal() {
        let a = CertSerial::from_hex("4F:3A:00:1B").unwrap();
        assert_eq!(CertSerial::from_hex("4f 3a 00 1b").unwrap(), a);
        assert_eq!(CertSerial::from_hex("0x4F3A001B").unwrap(), a);
        assert_eq!(CertSerial::from_decimal("1329201179").unwrap(), a);
        assert_eq!(
            CertSerial::from_bytes(&[0x00, 0x4f, 0x3a, 0x00, 0x1b]).unwrap(),
            a
        );
        assert_eq!(a.as_hex(), "4F3A001B");
    }

    #[test]
    fn non_hex_and_absurd_lengths_are_refused() {
        assert!(CertSerial::from_hex("4G").is_none());
        assert!(CertSerial::from_hex("").is_none());
        assert!(CertSerial::from_hex(&"A".repeat(200)).is_none());
        assert!(CertSerial::from_decimal("12a").is_none());
    }
}
