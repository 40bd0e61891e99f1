//! Certificates and private keys in attachments, recognised by content as well as by name.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::domain::CertSerial;
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
    /// The attachment it came from.
    pub file_name: String,
}

/// What an attachment turned out to hold, as far as certificates go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateFile {
    /// One or more readable certificates.
    Certificates(Vec<CertificateInfo>),
    /// A private key (PKCS#12 bundle or PEM key block): must never be stored.
    PrivateKey,
    /// Named or typed as a certificate, but nothing could be read from it.
    Unreadable,
    /// Not certificate material at all (a PDF, an image...).
    Unrelated,
}

const CERT_EXTENSIONS: [&str; 5] = ["cer", "crt", "pem", "der", "cert"];
const KEY_EXTENSIONS: [&str; 4] = ["pfx", "p12", "key", "pvk"];
const CERT_TYPES: [&str; 4] = [
    "application/pkix-cert",
    "application/x-x509-ca-cert",
    "application/x-x509-user-cert",
    "application/x-pem-file",
];
const KEY_TYPES: [&str; 2] = ["application/x-pkcs12", "application/pkcs8"];

/// Reads an attachment as certificate material.
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

/// True when an attachment carries a private key, whatever its name claims.
pub fn holds_private_key(attachment: &Attachment) -> bool {
    let ext = extension(attachment.name.as_deref());
    KEY_EXTENSIONS.contains(&ext.as_str())
        || KEY_TYPES.contains(&attachment.content_type.as_str())
        || text_holds_private_key(&attachment.bytes)
}

/// The text the ledger puts where it removed a private key, so later stages still know.
pub const REDACTION_NOTICE: &str =
    "[egov-desk: a private key was removed from this part before storage]";

/// True when bytes contain a PEM private-key block of any flavour (RSA, EC, encrypted,
/// PKCS#8), or the notice left where the ledger removed one.
pub fn text_holds_private_key(bytes: &[u8]) -> bool {
    contains(bytes, b"PRIVATE KEY-----") || contains(bytes, REDACTION_NOTICE.as_bytes())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extension(name: Option<&str>) -> String {
    name.and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn certificates_in(bytes: &[u8], file_name: &str) -> Vec<CertificateInfo> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        return Pem::iter_from_buffer(trimmed)
            .filter_map(Result::ok)
            .filter(|pem| pem.label == "CERTIFICATE" || pem.label == "X509 CERTIFICATE")
            .filter_map(|pem| info(&pem.contents, file_name))
            .collect();
    }
    // A DER certificate is one ASN.1 SEQUENCE; some tools save DER as base64 without PEM armour.
    if let Some(c) = info(trimmed, file_name) {
        return vec![c];
    }
    base64_body(trimmed)
        .and_then(|der| info(&der, file_name))
        .into_iter()
        .collect()
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
    Some(CertificateInfo {
        serial: CertSerial::from_bytes(cert.raw_serial())?,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: DateTime::from_timestamp(validity.not_before.timestamp(), 0)?,
        not_after: DateTime::from_timestamp(validity.not_after.timestamp(), 0)?,
        sha256: hex::encode(Sha256::digest(der)),
        file_name: file_name.to_string(),
    })
}
