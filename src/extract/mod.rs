//! Stage 3b, extract (pure): from a parsed message, the materials the procedure asks for —
//! certificates, serial numbers, the system name, IP addresses, URLs — and what was wrong
//! with what was sent, plus the language and the platform the mail speaks of.

mod certificate;
mod language;
mod names;
mod network;
mod serial;
mod text;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Serialize;

pub use certificate::{
    holds_private_key, text_holds_private_key, CertificateFile, CertificateInfo, REDACTION_NOTICE,
};
pub use network::FoundIp;

use crate::domain::{CertSerial, IpClass, Language, ServiceMention};
use crate::parse::ParsedMessage;

/// Everything read from one message.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    /// The language the sender wrote in, when it can be told.
    pub language: Option<Language>,
    /// Platforms named, subject first, without repeats.
    pub services: Vec<ServiceMention>,
    /// Certificates read from attachments.
    pub certificates: Vec<CertificateInfo>,
    /// Serial numbers written in the text that match no attached certificate.
    pub serials: Vec<CertSerial>,
    /// The information system's name.
    pub system_name: Option<String>,
    /// The institution's name, when labelled.
    pub institution: Option<String>,
    /// Public IP addresses.
    pub public_ips: Vec<FoundIp>,
    /// URLs given as endpoints.
    pub urls: Vec<String>,
    /// What the sender should hear about: unreadable files, keys, unusable addresses.
    pub problems: Vec<Problem>,
}

/// Something wrong with what was sent, told to the sender in their language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A certificate file that could not be read.
    UnreadableCertificate {
        /// The attachment's name.
        file: String,
    },
    /// A private key was sent: it must be treated as compromised.
    PrivateKey {
        /// The attachment's name, or "message text".
        file: String,
    },
    /// A certificate past its validity.
    ExpiredCertificate {
        /// The attachment's name.
        file: String,
        /// Its serial.
        serial: String,
        /// When it expired (YYYY-MM-DD).
        not_after: String,
    },
    /// A certificate not valid yet.
    NotYetValidCertificate {
        /// The attachment's name.
        file: String,
        /// Its serial.
        serial: String,
        /// When it starts (YYYY-MM-DD).
        not_before: String,
    },
    /// An address the agency cannot register (private, loopback, documentation...).
    NonPublicIp {
        /// The address.
        address: String,
        /// Its class.
        class: IpClass,
    },
}

impl Extraction {
    /// True when the sender included a private key anywhere.
    pub fn has_private_key(&self) -> bool {
        self.problems
            .iter()
            .any(|p| matches!(p, Problem::PrivateKey { .. }))
    }

    /// True when nothing usable for a case was found.
    pub fn has_no_materials(&self) -> bool {
        self.certificates.is_empty()
            && self.serials.is_empty()
            && self.system_name.is_none()
            && self.public_ips.is_empty()
            && self.urls.is_empty()
    }
}

/// The part of a mail's text its sender wrote now (quotes and signature left out).
pub fn new_text_of(text: &str) -> String {
    text::new_text(text)
}

static SERVICE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bm-?(?:pass|sign|notify|docs|log|power|delivery|pay|connect)\b")
        .expect("static regex is valid")
});

/// Extracts everything from `message`; `now` decides certificate validity.
pub fn extract(message: &ParsedMessage, now: DateTime<Utc>) -> Extraction {
    let body = text::new_text(&message.text);
    let mut ex = Extraction {
        language: language::detect(&format!("{}\n{}", message.subject, body)),
        services: services_in(&message.subject, &body),
        system_name: names::system_name_in(&body),
        institution: names::institution_in(&body),
        urls: network::urls_in(&body),
        ..Extraction::default()
    };
    read_attachments(message, now, &mut ex);
    if text_holds_private_key(message.text.as_bytes()) {
        ex.problems.push(Problem::PrivateKey {
            file: "message text".into(),
        });
    }
    ex.serials = serial::serials_in(&body)
        .into_iter()
        .filter(|s| !ex.certificates.iter().any(|c| &c.serial == s))
        .collect();
    for ip in network::ips_in(&body) {
        if ip.class == IpClass::Public {
            ex.public_ips.push(ip);
        } else {
            ex.problems.push(Problem::NonPublicIp {
                address: ip.addr.to_string(),
                class: ip.class,
            });
        }
    }
    ex
}

fn read_attachments(message: &ParsedMessage, now: DateTime<Utc>, ex: &mut Extraction) {
    for attachment in &message.attachments {
        let file = attachment
            .name
            .clone()
            .unwrap_or_else(|| "(unnamed)".into());
        match certificate::read(attachment) {
            CertificateFile::Certificates(certs) => {
                for cert in certs {
                    check_validity(&cert, now, &mut ex.problems);
                    if !ex.certificates.iter().any(|c| c.serial == cert.serial) {
                        ex.certificates.push(cert);
                    }
                }
            }
            CertificateFile::PrivateKey => ex.problems.push(Problem::PrivateKey { file }),
            CertificateFile::Unreadable => {
                ex.problems.push(Problem::UnreadableCertificate { file })
            }
            CertificateFile::Unrelated => {}
        }
    }
}

fn check_validity(cert: &CertificateInfo, now: DateTime<Utc>, problems: &mut Vec<Problem>) {
    if cert.not_after < now {
        problems.push(Problem::ExpiredCertificate {
            file: cert.file_name.clone(),
            serial: cert.serial.to_string(),
            not_after: cert.not_after.format("%Y-%m-%d").to_string(),
        });
    } else if cert.not_before > now {
        problems.push(Problem::NotYetValidCertificate {
            file: cert.file_name.clone(),
            serial: cert.serial.to_string(),
            not_before: cert.not_before.format("%Y-%m-%d").to_string(),
        });
    }
}

fn services_in(subject: &str, body: &str) -> Vec<ServiceMention> {
    let mut found = Vec::new();
    for text in [subject, body] {
        for m in SERVICE_NAME.find_iter(text) {
            if let Some(mention) = ServiceMention::from_name(m.as_str()) {
                if !found.contains(&mention) {
                    found.push(mention);
                }
            }
        }
    }
    found
}
