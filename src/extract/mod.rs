//! Stage 3b, extract (pure): from a parsed message, the materials the procedure asks for —
//! certificates (also inside zips, nested or not, PKCS#7 bundles and winmail.dat, or pasted
//! in the text as PEM), serial numbers, the system name, IP addresses and ranges, URLs,
//! MPass attributes, MLog event types, MNotify channels — and what was wrong with what was
//! sent, plus the language and the platforms the mail speaks of. Only the new text of a
//! reply counts.

mod certificate;
mod checks;
mod collect;
mod containers;
mod environment;
mod keys;
mod labelled;
mod labels;
mod language;
mod lists;
mod mode;
mod names;
mod network;
mod pasted;
mod serial;
mod services;
mod synonyms;
mod text;
mod tnef;
mod values;

use serde::Serialize;

pub use certificate::{CertificateFile, CertificateInfo};
pub use checks::Checks;
pub use containers::Refusal;
pub use environment::Environment;
pub use keys::{holds_private_key, text_holds_private_key, REDACTION_NOTICE};
pub use lists::Attributes;
pub use network::{FoundIp, FoundUrl, UrlRole};
pub use serial::FoundSerial;
pub use synonyms::STANDARD_ATTRIBUTES;
pub use text::fold;
pub use values::Note;

use crate::domain::{IpClass, Language, ServiceMention};
use crate::parse::{Attachment, ParsedMessage};

/// Everything read from one message.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    /// The language the sender wrote in, when it can be told.
    pub language: Option<Language>,
    /// Platforms named, subject first, without repeats.
    pub services: Vec<ServiceMention>,
    /// Certificates read from attachments, then from PEM blocks pasted in the text.
    pub certificates: Vec<CertificateInfo>,
    /// Serial numbers written in the text that match no attached certificate.
    pub serials: Vec<FoundSerial>,
    /// The information system's name.
    pub system_name: Option<String>,
    /// The institution's name, when labelled.
    pub institution: Option<String>,
    /// Public IP addresses and ranges.
    pub public_ips: Vec<FoundIp>,
    /// URLs given as endpoints.
    pub urls: Vec<FoundUrl>,
    /// MPass attributes asked for.
    pub attributes: Attributes,
    /// MLog event types.
    pub event_types: Vec<String>,
    /// MNotify channels.
    pub channels: Vec<String>,
    /// MDocs document types.
    pub document_types: Vec<String>,
    /// MPower mode: `api` or `agency`.
    pub mpower_mode: Option<&'static str>,
    /// What the operators should know about values filed: how they were written, remarks.
    pub notes: Vec<Note>,
    /// What the sender should hear about: unreadable files, keys, unusable addresses.
    pub problems: Vec<Problem>,
}

/// Something wrong with what was sent, told to the sender in their language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A certificate file, or a PEM block pasted in the text, that could not be read.
    UnreadableCertificate {
        /// The attachment's name, or "message text".
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
    /// A certificate that ends soon.
    ExpiringCertificate {
        /// The attachment's name.
        file: String,
        /// Its serial.
        serial: String,
        /// When it ends (YYYY-MM-DD).
        not_after: String,
    },
    /// A certificate whose key is too small.
    WeakKey {
        /// The attachment's name.
        file: String,
        /// Its serial.
        serial: String,
        /// Algorithm and size, e.g. `RSA 1024`.
        key: String,
    },
    /// An address the agency cannot register (private, loopback, documentation...).
    NonPublicIp {
        /// The address.
        address: String,
        /// Its class.
        class: IpClass,
    },
    /// An `http://` URL where `https` is required.
    InsecureUrl {
        /// The URL.
        url: String,
    },
    /// A certificate from an issuer the service does not accept (checked by the workflow,
    /// which knows the service).
    UntrustedIssuer {
        /// The attachment's name.
        file: String,
        /// Its serial.
        serial: String,
        /// Its issuer's name.
        issuer: String,
    },
    /// A serial number written instead of a certificate that the agency cannot accept as
    /// it is (checked by the workflow against the certificates it has confirmed).
    QuestionedSerial {
        /// The serial, hex.
        serial: String,
        /// `unknown`, `expired`, `other_system` or `other_environment`.
        reason: String,
    },
    /// The TEST and PROD certificates are the same key (MPass needs two).
    SameKeyTestAndProd {
        /// The serials sharing one key.
        serials: Vec<String>,
    },
    /// An archive that was not opened.
    ArchiveRefused {
        /// The attachment's name, or the path of an archive inside it (`a.zip/b.zip`).
        file: String,
        /// Why.
        reason: Refusal,
    },
    /// More certificates than are read from one message: only the first `limit` were.
    TooManyCertificates {
        /// How many different certificates the message holds.
        found: usize,
        /// How many were read (`limits.max_certificates`).
        limit: usize,
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

/// The part of a mail's text its sender wrote now and themselves: [`new_text_of`], up to the
/// first forwarded message.
pub fn own_text_of(text: &str) -> String {
    text::own_text(text)
}

/// True when an attachment, or a file inside it (zip, winmail.dat, at any depth the
/// archive limits allow), holds a private key.
pub fn attachment_holds_private_key(attachment: &Attachment) -> bool {
    holds_private_key(attachment)
        || match containers::open_for_keys(attachment) {
            containers::Opened::Files(found) => found.iter().any(
                |inner| matches!(inner, containers::Inner::File(file) if holds_private_key(file)),
            ),
            _ => false,
        }
}

/// How much of a message's text is read for materials: far more than anyone writes above
/// their signature, and a bound on the work a megabyte-long hostile text can cause (reading
/// costs a fraction of a second per megabyte).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;

/// The first `max` bytes of `text`, cut at the end of a line.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind('\n').unwrap_or(cut);
    &text[..cut]
}

/// Extracts everything from `message`, judging certificates by `checks`.
pub fn extract(message: &ParsedMessage, checks: &Checks) -> Extraction {
    let body = text::new_text(head(&message.text, MAX_TEXT_BYTES));
    // Certificates pasted in the new text are read from their blocks; everything else from
    // the text without them, so their base64 is never a serial or a word.
    let pasted = pasted::blocks_in(&body);
    let body = if pasted.is_empty() {
        body
    } else {
        pasted::cut_out(&body, &pasted)
    };
    // What the sender wrote above their sign-off tells the language; and a platform named in
    // the signature or the disclaimer below it ("Responsabil integrare MPass") is no
    // request: with several named, each would open a case.
    let own = language::above_sign_off(&body);
    let mut ex = Extraction {
        language: language::of_mail(&message.subject, &body, own),
        services: services::services_in(&message.subject, own),
        ..Extraction::default()
    };
    read_labelled(&body, &mut ex);
    collect::certificates(message, &pasted, checks, &mut ex);
    read_text(message, &body, &mut ex);
    ex
}

/// Names and lists written after labels, and the notes on them in the order they stand.
fn read_labelled(body: &str, ex: &mut Extraction) {
    let doc = labelled::Doc::new(body);
    let mut notes = Vec::new();
    if let Some((name, note)) = names::system_name(&doc) {
        ex.system_name = Some(name);
        notes.extend(note);
    }
    ex.institution = names::institution(&doc);
    let attributes = lists::attributes(&doc);
    ex.attributes = attributes.values;
    notes.extend(attributes.notes);
    for (list, found) in [
        (&mut ex.event_types, lists::event_types(&doc)),
        (&mut ex.channels, lists::channels(&doc)),
        (&mut ex.document_types, lists::document_types(&doc)),
    ] {
        *list = found.values;
        notes.extend(found.notes);
    }
    ex.mpower_mode = mode::mpower_mode_in(doc.folded());
    notes.sort_by_key(|(at, _)| *at);
    ex.notes = notes.into_iter().map(|(_, note)| note).collect();
}

/// The text's items and problems; problems keep the order of the lines they come from.
fn read_text(message: &ParsedMessage, body: &str, ex: &mut Extraction) {
    let mut text_problems: Vec<(usize, Problem)> = Vec::new();
    if text_holds_private_key(message.text.as_bytes()) {
        let line = body
            .lines()
            .position(|l| text_holds_private_key(l.as_bytes()))
            .unwrap_or(0);
        text_problems.push((
            line,
            Problem::PrivateKey {
                file: pasted::MESSAGE_TEXT.into(),
            },
        ));
    }
    ex.serials = serial::serials_in(body)
        .into_iter()
        .filter(|s| !ex.certificates.iter().any(|c| c.serial == s.serial))
        .collect();
    for ip in network::ips_in(body) {
        if ip.class == IpClass::Public {
            ex.public_ips.push(ip);
        } else {
            let address = ip.text();
            text_problems.push((
                ip.line,
                Problem::NonPublicIp {
                    address,
                    class: ip.class,
                },
            ));
        }
    }
    ex.urls = network::urls_in(body);
    for url in ex.urls.iter().filter(|u| !u.is_https()) {
        text_problems.push((
            url.line,
            Problem::InsecureUrl {
                url: url.url.clone(),
            },
        ));
    }
    text_problems.sort_by_key(|(line, _)| *line);
    ex.problems
        .extend(text_problems.into_iter().map(|(_, p)| p));
}

#[cfg(test)]
pub(crate) use containers::tests::{nested as nested_zips, zip_of};

#[cfg(test)]
mod tests;
