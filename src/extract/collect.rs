//! The certificates of one message: those of its attachments (and of the files inside
//! them), then those pasted in its text — the same checks, one list without repeats, one cap.

use std::collections::BTreeSet;

use super::certificate::{self, CertificateFile};
use super::containers::{self, Inner, Opened};
use super::pasted::{Pasted, MESSAGE_TEXT};
use super::{Checks, Extraction, Problem};
use crate::domain::CertSerial;
use crate::parse::{Attachment, ParsedMessage};

/// Reads every certificate of `message` into `ex`, with its problems. Attachments come
/// first and the text after, so a certificate both attached and pasted is the attached
/// file's, and messages that paste nothing keep the order they always had.
pub fn certificates(
    message: &ParsedMessage,
    pasted: &[Pasted],
    checks: &Checks,
    ex: &mut Extraction,
) {
    // Serials past the cap, counted but never kept: a flood of certificates must not grow
    // the case, the reply or the operators' mail with it.
    let mut beyond = BTreeSet::new();
    for attachment in &message.attachments {
        read_attachment(attachment, checks, ex, &mut beyond);
    }
    for block in pasted {
        read_pasted(block, checks, ex, &mut beyond);
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

/// A pasted block is read as a certificate file would be, named "message text".
fn read_pasted(
    block: &Pasted,
    checks: &Checks,
    ex: &mut Extraction,
    beyond: &mut BTreeSet<CertSerial>,
) {
    let read = match &block.der {
        Some(der) => certificate::read(&Attachment {
            name: Some(MESSAGE_TEXT.into()),
            content_type: "application/pkix-cert".into(),
            bytes: der.clone(),
        }),
        None => CertificateFile::Unreadable,
    };
    let read = match read {
        // The file name says nothing of the environment; the words before the block may.
        CertificateFile::Certificates(mut certs) => {
            for cert in &mut certs {
                cert.environment = block.environment;
            }
            CertificateFile::Certificates(certs)
        }
        other => other,
    };
    take(read, MESSAGE_TEXT.into(), checks, ex, beyond);
}

/// Files what one file held: new certificates up to the cap, and its problems once each.
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
        CertificateFile::PrivateKey => push_once(ex, Problem::PrivateKey { file: name }),
        CertificateFile::Unreadable => {
            push_once(ex, Problem::UnreadableCertificate { file: name });
        }
        CertificateFile::Unrelated => {}
    }
}

/// Several broken blocks in the text are one problem to tell, not one per block.
fn push_once(ex: &mut Extraction, problem: Problem) {
    if !ex.problems.contains(&problem) {
        ex.problems.push(problem);
    }
}
