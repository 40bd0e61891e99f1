//! Certificates in attachments, recognised by content as well as by name: DER, PEM (one or
//! several), base64 without armour, and PKCS#7 (`.p7b`/`.p7c`) bundles.

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::environment::{environment_of, Environment};
use super::keys::{extension, holds_private_key};
use crate::domain::CertSerial;
use crate::parse::clean::one_line;
use crate::parse::Attachment;

/// What was read from one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    /// Serial number.
    pub serial: CertSerial,
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the DER encoding, hex.
    pub sha256: String,
    /// SHA-256 of the public key (SubjectPublicKeyInfo), hex: two certificates with the same
    /// key are the same key however their serials differ.
    pub public_key_sha256: String,
    /// The attachment it came from (`archive.zip/inner.cer` inside an archive).
    pub file_name: String,
    /// Key algorithm and size, e.g. `RSA 2048`, `EC 256`.
    pub key: String,
    /// Key size in bits (0 when unknown).
    pub key_bits: u32,
    /// Whether the key is RSA (whose sizes are judged differently from EC).
    pub key_is_rsa: bool,
    /// Subject and issuer are the same name.
    pub self_signed: bool,
    /// TEST or PROD, when the file name says so.
    pub environment: Option<Environment>,
}

/// What a file turned out to hold, as far as certificates go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateFile {
    /// One or more readable certificates.
    Certificates(Vec<CertificateInfo>),
    /// A private key (PKCS#12 bundle, PKCS#8, PEM key block): must never be stored.
    PrivateKey,
    /// Named or typed as a certificate, but nothing could be read from it.
    Unreadable,
    /// Not certificate material at all (a PDF, an image...).
    Unrelated,
}

const CERT_EXTENSIONS: [&str; 7] = ["cer", "crt", "pem", "der", "cert", "p7b", "p7c"];
const CERT_TYPES: [&str; 6] = [
    "application/pkix-cert",
    "application/x-x509-ca-cert",
    "application/x-x509-user-cert",
    "application/x-pem-file",
    "application/pkcs7-mime",
    "application/x-pkcs7-certificates",
];

/// Reads a file as certificate material.
pub fn read(attachment: &Attachment) -> CertificateFile {
    let file_name = attachment
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    if holds_private_key(attachment) {
        return CertificateFile::PrivateKey;
    }
    let certs = certificates_in(&attachment.bytes, &file_name);
    if !certs.is_empty() {
        return CertificateFile::Certificates(certs);
    }
    let ext = extension(attachment.name.as_deref());
    if CERT_EXTENSIONS.contains(&ext.as_str())
        || CERT_TYPES.contains(&attachment.content_type.as_str())
    {
        CertificateFile::Unreadable
    } else {
        CertificateFile::Unrelated
    }
}

fn certificates_in(bytes: &[u8], file_name: &str) -> Vec<CertificateInfo> {
    // Only the start may be trimmed: DER can end in a byte that looks like white space.
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        return Pem::iter_from_buffer(trimmed)
            .filter_map(Result::ok)
            .flat_map(|pem| match pem.label.as_str() {
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                    info(&pem.contents, file_name).into_iter().collect()
                }
                "PKCS7" | "CMS" => bundle(&pem.contents, file_name),
                _ => Vec::new(),
            })
            .collect();
    }
    if let Some(c) = info(trimmed, file_name) {
        return vec![c];
    }
    let bundled = bundle(trimmed, file_name);
    if !bundled.is_empty() {
        return bundled;
    }
    // Some tools save DER as base64 without the PEM armour.
    match base64_body(trimmed.trim_ascii_end()) {
        Some(der) => info(&der, file_name)
            .map(|c| vec![c])
            .unwrap_or_else(|| bundle(&der, file_name)),
        None => Vec::new(),
    }
}

/// The certificates of a PKCS#7 / CMS SignedData structure (RFC 5652 §5.1).
fn bundle(der: &[u8], file_name: &str) -> Vec<CertificateInfo> {
    let Ok(content) = cms::content_info::ContentInfo::from_der(der) else {
        return Vec::new();
    };
    if content.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Vec::new();
    }
    let Ok(signed) = content.content.decode_as::<cms::signed_data::SignedData>() else {
        return Vec::new();
    };
    let mut certs: Vec<Vec<u8>> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .collect();
    // Decoding sorts the SET OF; the order the sender's bundle has is where each sits in it.
    certs.sort_by_key(|c| {
        der.windows(c.len())
            .position(|w| w == c.as_slice())
            .unwrap_or(usize::MAX)
    });
    certs.iter().filter_map(|c| info(c, file_name)).collect()
}

fn base64_body(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 64 {
        return None;
    }
    mail_parser::decoders::base64::base64_decode(compact.as_bytes())
}

fn info(der: &[u8], file_name: &str) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let validity = cert.validity();
    let (key, key_bits, key_is_rsa) = key_of(&cert);
    Some(CertificateInfo {
        serial: CertSerial::from_bytes(cert.raw_serial())?,
        // Names are the certificate holder's text: shown to people, so cleaned like mail.
        subject: one_line(&cert.subject().to_string()),
        issuer: one_line(&cert.issuer().to_string()),
        not_before: DateTime::from_timestamp(validity.not_before.timestamp(), 0)?,
        not_after: DateTime::from_timestamp(validity.not_after.timestamp(), 0)?,
        sha256: hex::encode(Sha256::digest(der)),
        public_key_sha256: hex::encode(Sha256::digest(cert.public_key().raw)),
        file_name: file_name.to_string(),
        key,
        key_bits,
        key_is_rsa,
        self_signed: cert.subject() == cert.issuer(),
        environment: environment_of(file_name),
    })
}

fn key_of(cert: &X509Certificate) -> (String, u32, bool) {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = u32::try_from(rsa.key_size()).unwrap_or(0);
            (format!("RSA {bits}"), bits, true)
        }
        Ok(PublicKey::EC(point)) => {
            let bits = u32::try_from(point.key_size()).unwrap_or(0);
            (format!("EC {bits}"), bits, false)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".into(), 0, false),
        _ => (spki.algorithm.algorithm.to_id_string(), 0, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(name: &str, bytes: &[u8]) -> Attachment {
        Attachment {
            name: Some(name.into()),
            content_type: "application/octet-stream".into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_der_certificate_is_read_with_its_key() {
        let der = include_bytes!("../../tests/fixtures/certs/system-test.cer");
        let CertificateFile::Certificates(c) = read(&attachment("sistem-test.cer", der)) else {
            panic!("not read");
        };
        assert_eq!(c[0].serial.as_hex(), "4F3A001B22C0FFEE01");
        assert_eq!(c[0].key, "RSA 2048");
        assert_eq!(c[0].environment, Some(Environment::Test));
        assert!(!c[0].self_signed);
    }

    #[test]
    fn names_inside_a_certificate_are_cleaned_to_one_line() {
        let mut der = include_bytes!("../../tests/fixtures/certs/system-test.cer").to_vec();
        let at = der
            .windows(9)
            .position(|w| w == b"Registrul")
            .expect("the subject's CN");
        // Same length, so the DER stays well formed; nothing checks the signature.
        der[at..at + 9].copy_from_slice(b"R\n\x1b]0;\x07ul");
        let CertificateFile::Certificates(c) = read(&attachment("x.cer", &der)) else {
            panic!("not read");
        };
        assert!(
            c[0].subject.ends_with("CN=SIA R ]0;ul TEST"),
            "{}",
            c[0].subject
        );
    }

    #[test]
    fn a_pkcs7_bundle_yields_its_certificates() {
        let pem = include_bytes!("../../tests/fixtures/certs/system-prod.pem");
        let (_, p) = x509_parser::pem::parse_x509_pem(pem).unwrap();
        let cert = x509_cert::Certificate::from_der(&p.contents).unwrap();
        let signed = cms::signed_data::SignedData {
            version: cms::content_info::CmsVersion::V1,
            digest_algorithms: Default::default(),
            encap_content_info: cms::signed_data::EncapsulatedContentInfo {
                econtent_type: const_oid::db::rfc5911::ID_DATA,
                econtent: None,
            },
            certificates: Some(cms::signed_data::CertificateSet(
                vec![cms::cert::CertificateChoices::Certificate(cert)]
                    .try_into()
                    .unwrap(),
            )),
            crls: None,
            signer_infos: cms::signed_data::SignerInfos(Default::default()),
        };
        let info = cms::content_info::ContentInfo {
            content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
            content: der::Any::encode_from(&signed).unwrap(),
        };
        let der = info.to_der().unwrap();
        let CertificateFile::Certificates(c) = read(&attachment("lant.p7b", &der)) else {
            panic!("bundle not read");
        };
        assert_eq!(c[0].serial.as_hex(), "4F3A001B22C0FFEE02");
    }

    #[test]
    fn junk_named_as_a_certificate_is_unreadable_and_other_files_unrelated() {
        assert_eq!(
            read(&attachment("x.cer", b"\x30\x03garbage")),
            CertificateFile::Unreadable
        );
        assert_eq!(
            read(&attachment("scan.pdf", b"%PDF-1.4")),
            CertificateFile::Unrelated
        );
    }
}
