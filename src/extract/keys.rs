//! Private keys, recognised by their bytes whatever the file is called: PEM blocks of any
//! flavour, DER PKCS#8 (plain or encrypted), traditional RSA/EC keys, and PKCS#12 bundles.

use x509_parser::der_parser::ber::{BerObject, BerObjectContent};
use x509_parser::der_parser::der::parse_der;
use x509_parser::der_parser::oid;

use crate::parse::Attachment;

/// The text the ledger puts where it removed a private key, so later stages still know.
pub const REDACTION_NOTICE: &str =
    "[egov-desk: a private key was removed from this part before storage]";

const KEY_EXTENSIONS: [&str; 4] = ["pfx", "p12", "key", "pvk"];
const KEY_TYPES: [&str; 3] = [
    "application/x-pkcs12",
    "application/pkcs12",
    "application/pkcs8",
];

/// True when an attachment carries a private key, whatever its name claims.
pub fn holds_private_key(attachment: &Attachment) -> bool {
    let ext = extension(attachment.name.as_deref());
    KEY_EXTENSIONS.contains(&ext.as_str())
        || KEY_TYPES.contains(&attachment.content_type.as_str())
        || bytes_hold_private_key(&attachment.bytes)
}

/// True when bytes are, or contain, private-key material.
pub fn bytes_hold_private_key(bytes: &[u8]) -> bool {
    text_holds_private_key(bytes) || is_der_key(bytes)
}

/// True when bytes contain a PEM private-key block of any flavour (RSA, EC, encrypted,
/// PKCS#8), or the notice left where the ledger removed one.
pub fn text_holds_private_key(bytes: &[u8]) -> bool {
    contains(bytes, b"PRIVATE KEY-----") || contains(bytes, REDACTION_NOTICE.as_bytes())
}

/// The lower-cased extension of a file name.
pub fn extension(name: Option<&str>) -> String {
    name.and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// A DER structure shaped like a private key or a PKCS#12 bundle (RFC 5208, RFC 5915,
/// RFC 8017 A.1.2, RFC 7292 §4).
fn is_der_key(bytes: &[u8]) -> bool {
    if bytes.first() != Some(&0x30) {
        return false;
    }
    let Ok((_, outer)) = parse_der(bytes) else {
        return false;
    };
    let Ok(items) = outer.as_sequence() else {
        return false;
    };
    is_pkcs8(items) || is_encrypted_pkcs8(items) || is_traditional(items) || is_pkcs12(items)
}

fn int_is(o: &BerObject, values: &[u64]) -> bool {
    o.as_u64().is_ok_and(|v| values.contains(&v))
}

fn is_algorithm(o: &BerObject) -> bool {
    o.as_sequence()
        .is_ok_and(|s| s.first().is_some_and(|f| f.as_oid().is_ok()))
}

fn is_octets(o: &BerObject) -> bool {
    matches!(o.content, BerObjectContent::OctetString(_))
}

/// PrivateKeyInfo: version 0|1, algorithm, OCTET STRING key.
fn is_pkcs8(items: &[BerObject]) -> bool {
    items.len() >= 3
        && int_is(&items[0], &[0, 1])
        && is_algorithm(&items[1])
        && is_octets(&items[2])
}

/// EncryptedPrivateKeyInfo: algorithm, OCTET STRING.
fn is_encrypted_pkcs8(items: &[BerObject]) -> bool {
    items.len() == 2 && is_algorithm(&items[0]) && is_octets(&items[1])
}

/// RSAPrivateKey (version 0 and eight integers) or ECPrivateKey (version 1, OCTET STRING).
fn is_traditional(items: &[BerObject]) -> bool {
    let rsa = items.len() >= 9
        && int_is(&items[0], &[0, 1])
        && items[..9].iter().all(|i| i.as_bigint().is_ok());
    let ec = items.len() >= 2 && int_is(&items[0], &[1]) && is_octets(&items[1]);
    rsa || ec
}

/// PFX: version 3, then a ContentInfo of type data or signedData.
fn is_pkcs12(items: &[BerObject]) -> bool {
    let data = oid!(1.2.840 .113549 .1 .7 .1);
    let signed = oid!(1.2.840 .113549 .1 .7 .2);
    items.len() >= 2
        && int_is(&items[0], &[3])
        && items[1].as_sequence().is_ok_and(|ci| {
            ci.first()
                .and_then(|o| o.as_oid().ok())
                .is_some_and(|o| *o == data || *o == signed)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_body(pem: &str) -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        mail_parser::decoders::base64::base64_decode(b64.as_bytes()).unwrap()
    }

    const PKCS8: &str = include_str!("../../tests/fixtures/certs/test-only-private-key.pem");

    #[test]
    fn a_der_pkcs8_key_is_recognised_by_its_bytes() {
        assert!(bytes_hold_private_key(&pem_body(PKCS8)));
    }

    #[test]
    fn a_pkcs12_bundle_is_recognised_by_its_bytes() {
        let pfx = include_bytes!("../../tests/fixtures/certs/test-only-bundle.pfx");
        assert!(bytes_hold_private_key(pfx));
    }

    #[test]
    fn a_certificate_is_not_a_key() {
        let der = include_bytes!("../../tests/fixtures/certs/system-test.cer");
        assert!(!bytes_hold_private_key(der));
        assert!(!bytes_hold_private_key(b"not even asn.1"));
    }
}
