//! The certificates of one message: those of its attachments and of the files inside
//! them — the same checks, one list without repeats, one cap.

use std::collections::BTreeSet;

use super::certificate::{self, CertificateFile};
use super::containers::{self, Inner, Opened};
use super::{Checks, Extraction, Problem};
use crate::domain::CertSerial;
use crate::parse::{Attachment, ParsedMessage};

/// Reads every certificate of `message` into `ex`, with its problems.
pub fn certificates(message: &ParsedMessage, checks: &Checks, ex: &mut Extraction) {
    // Serials past the cap, counted but never kept: a flood of certificates must not grow
    // the case, the reply or the operators' mail with it.
    let mut beyond = BTreeSet::new();
    for attachment in &message.attachments {
        read_attachment(attachment, checks, ex, &mut beyond);
    }
    if !beyond.is_empty() {
        ex.problems.push(Problem::TooManyCertificates {
            found: ex.certificates.len() + beyond.len(),
            limit: checks.max_certificates,
        });
    }
}

fn read_attachment(
    attachment: &Attachment,
    checks: &Checks,
    ex: &mut Extraction,
    beyond: &mut BTreeSet<CertSerial>,
) {
    let name = || {
        attachment
            .name
            .clone()
            .unwrap_or_else(|| "(unnamed)".into())
    };
    let found = match containers::open(attachment) {
        Opened::Plain => return take(certificate::read(attachment), name(), checks, ex, beyond),
        Opened::Files(found) => found,
        Opened::Refused(reason) => {
            let file = name();
            return ex.problems.push(Problem::ArchiveRefused { file, reason });
        }
    };
    for inner in found {
        match inner {
            Inner::File(file) => {
                let name = file.name.clone().unwrap_or_else(|| "(unnamed)".into());
                take(certificate::read(&file), name, checks, ex, beyond);
            }
            Inner::Refused { file, reason } => {
                ex.problems.push(Problem::ArchiveRefused { file, reason });
            }
        }
    }
}

/// Files what one file held: new certificates up to the cap, and its problems.
fn take(
    read: CertificateFile,
    name: String,
    checks: &Checks,
    ex: &mut Extraction,
    beyond: &mut BTreeSet<CertSerial>,
) {
    match read {
        CertificateFile::Certificates(certs) => {
            for cert in certs {
                if ex.certificates.iter().any(|c| c.serial == cert.serial) {
                    continue;
                }
                if ex.certificates.len() >= checks.max_certificates {
                    beyond.insert(cert.serial);
                    continue;
                }
                ex.problems.extend(checks.problems_of(&cert));
                ex.certificates.push(cert);
            }
        }
        CertificateFile::PrivateKey => ex.problems.push(Problem::PrivateKey { file: name }),
        CertificateFile::Unreadable => ex
            .problems
            .push(Problem::UnreadableCertificate { file: name }),
        CertificateFile::Unrelated => {}
    }
}
