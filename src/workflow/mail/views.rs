//! The pieces several templates share — a case, its items, what a message carried, what is
//! missing, the problems found — as the templates read them, each with its sample values.

use serde::Serialize;
use serde_json::json;

use super::super::cases::{Case, Item, ItemStatus};
use super::super::requirements::Missing;
use super::super::step::{Step, WaitingOn};
use super::super::Workflow;
use crate::domain::ItemKind;
use crate::domain::{IpClass, Language};
use crate::extract::{Extraction, Problem, Refusal};
use crate::parse::ParsedMessage;

/// Longest excerpt of a beneficiary's text shown to the operators.
const EXCERPT_CHARS: usize = 1500;

/// A case as the templates show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    /// Its reference, e.g. `EGOV-2026-0001-K7QX`.
    pub reference: String,
    /// The platform's display name.
    pub service: &'static str,
    /// The institution's name.
    pub institution: String,
    /// The beneficiary's contact address.
    pub contact: String,
    /// The information system's name, once known.
    pub system_name: Option<String>,
    /// Where it stands.
    pub step: Step,
    /// Who it waits on at that step.
    pub waiting_on: WaitingOn,
    /// Its version, which operator tokens name.
    pub version: i64,
}

impl CaseView {
    /// `case` as the templates show it.
    pub fn of(case: &Case) -> Self {
        Self {
            reference: case.reference.to_string(),
            service: case.service.display_name(),
            institution: case.institution.clone(),
            contact: case.contact.as_str().to_string(),
            system_name: case.system_name.clone(),
            step: case.step,
            waiting_on: case.step.waiting_on(),
            version: case.version,
        }
    }

    /// A case waiting for materials, with a system name.
    pub fn sample() -> Self {
        Self::sample_at(Step::AwaitingMaterials)
    }

    /// The sample case at `step`.
    pub fn sample_at(step: Step) -> Self {
        Self {
            reference: "EGOV-2026-0001".into(),
            service: "MDocs",
            institution: "Agenția Servicii Publice".into(),
            contact: "ion@asp.gov.md".into(),
            system_name: Some("Registrul".into()),
            step,
            waiting_on: step.waiting_on(),
            version: 1,
        }
    }

    /// The sample case without a system name: the templates fall back to other words.
    pub fn sample_unnamed() -> Self {
        Self {
            system_name: None,
            ..Self::sample()
        }
    }
}

/// An item filed on a case, as the templates show it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// What it is.
    pub kind: ItemKind,
    /// Its value.
    pub value: String,
    /// How far it has been checked.
    pub status: ItemStatus,
    /// Its stored detail (certificate subject and validity, how it was written…).
    pub detail: serde_json::Value,
}

impl ItemView {
    /// Every item of `items`, as the templates show them.
    pub fn all(items: &[Item]) -> Vec<Self> {
        items
            .iter()
            .map(|i| Self {
                kind: i.kind,
                value: i.value.clone(),
                status: i.status,
                detail: i.detail.clone(),
            })
            .collect()
    }

    /// One item of every kind, with the details the templates branch on.
    pub fn samples() -> Vec<Self> {
        let item = |kind, value: &str, detail| Self {
            kind,
            value: value.into(),
            status: ItemStatus::Parsed,
            detail,
        };
        vec![
            item(
                ItemKind::Certificate,
                "4F3A",
                json!({ "subject": "CN=SIA", "issuer": "CN=STISC", "not_before": "2026-01-01T00:00:00+00:00",
                        "not_after": "2027-01-01T00:00:00+00:00", "sha256": "00", "file": "sia.cer" }),
            ),
            item(ItemKind::SerialNumber, "4F3B", json!({})),
            item(ItemKind::SystemName, "Registrul", json!({})),
            item(
                ItemKind::PublicIp,
                "194.0.2.10",
                json!({ "class": "public" }),
            ),
            item(
                ItemKind::Url,
                "https://si.md/logout",
                json!({ "https": true }),
            ),
            item(
                ItemKind::Attribute,
                "Patronimic",
                json!({ "standard": false }),
            ),
            item(
                ItemKind::Attribute,
                "FirstName",
                json!({ "standard": true, "written": "prenume" }),
            ),
            item(
                ItemKind::Attribute,
                "NumarCadastral",
                json!({ "standard": false, "remark": "atribut nestandard" }),
            ),
            item(ItemKind::EventType, "autentificare", json!({})),
            item(ItemKind::Channel, "sms", json!({})),
            item(
                ItemKind::Channel,
                "cabinet",
                json!({ "written": "notificare în cabinet", "remark": "opțional" }),
            ),
            item(ItemKind::DocumentType, "contract", json!({})),
            item(ItemKind::Mode, "api", json!({})),
        ]
    }
}

/// Something a message carried, for the operators: `{kind, value}`.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// What it is.
    pub kind: ItemKind,
    /// Its value.
    pub value: String,
}

impl Found {
    /// What `ex` carried, in filing order.
    pub fn all(ex: &Extraction) -> Vec<Self> {
        crate::workflow::materials::materials(ex)
            .into_iter()
            .map(|m| Self {
                kind: m.kind,
                value: m.value,
            })
            .collect()
    }

    /// A public address, as a message might carry it.
    pub fn samples() -> Vec<Self> {
        vec![Self {
            kind: ItemKind::PublicIp,
            value: "194.0.2.10".into(),
        }]
    }
}

/// Something missing of every kind, with every note the templates word.
pub fn sample_missing() -> Vec<Missing> {
    let missing = |item, needed, have, note: Option<&str>| Missing {
        item,
        needed,
        have,
        note: note.map(String::from),
    };
    vec![
        missing("certificate", 2, 1, Some("test_and_prod")),
        missing("public_ip", 1, 0, None),
        missing("url", 2, 0, Some("logout_urls")),
        missing("system_name", 1, 0, None),
        missing("attribute", 1, 0, None),
        missing("event_type", 1, 0, None),
        missing("channel", 1, 0, None),
        missing("document_type", 1, 0, None),
        missing("mode", 1, 0, None),
    ]
}

/// Every `also_needed` key the service table uses.
pub fn sample_also_needed() -> Vec<String> {
    [
        "authentication_attributes",
        "notification_channels",
        "event_types",
        "mpower_mode",
        "authorization_forms",
        "contract",
    ]
    .map(String::from)
    .to_vec()
}

/// Every problem, in every wording the templates have for it.
pub fn sample_problems() -> Vec<Problem> {
    let s = String::from;
    let mut out = vec![
        Problem::UnreadableCertificate { file: s("x.cer") },
        Problem::PrivateKey { file: s("x.pfx") },
        Problem::ExpiredCertificate {
            file: s("old.cer"),
            serial: s("01"),
            not_after: s("2020-01-01"),
        },
        Problem::NotYetValidCertificate {
            file: s("new.cer"),
            serial: s("02"),
            not_before: s("2030-01-01"),
        },
        Problem::NonPublicIp {
            address: s("10.0.0.1"),
            class: IpClass::Private,
        },
        Problem::ExpiringCertificate {
            file: s("soon.cer"),
            serial: s("03"),
            not_after: s("2026-12-05"),
        },
        Problem::WeakKey {
            file: s("weak.cer"),
            serial: s("04"),
            key: s("RSA 1024"),
        },
        Problem::InsecureUrl {
            url: s("http://si.md/logout"),
        },
    ];
    for (file, reason) in [
        ("a.zip", Refusal::Ratio),
        ("b.zip", Refusal::TooManyEntries),
        ("c.zip", Refusal::Unreadable),
        ("d.zip/e.zip/f.zip/g.zip", Refusal::TooDeep),
        ("h.zip", Refusal::TooLarge),
    ] {
        out.push(Problem::ArchiveRefused {
            file: s(file),
            reason,
        });
    }
    out.push(Problem::UnreadableCertificate {
        file: s("message text"),
    });
    out.push(Problem::UntrustedIssuer {
        file: s("le.cer"),
        serial: s("05"),
        issuer: s("CN=R3"),
    });
    for (serial, reason) in [
        ("06", "unknown"),
        ("07", "expired"),
        ("08", "other_system"),
        ("09", "other_environment"),
    ] {
        out.push(Problem::QuestionedSerial {
            serial: s(serial),
            reason: s(reason),
        });
    }
    out.push(Problem::SameKeyTestAndProd {
        serials: vec![s("0A"), s("0B")],
    });
    out.push(Problem::TooManyCertificates {
        found: 400,
        limit: 10,
    });
    out
}

/// The sample token operators' mails carry.
pub const SAMPLE_TOKEN: &str = "egov-token:1:00112233445566778899aabbccddeeff";

/// The language a reply to `ex` is written in: the message's, else the case's, else the
/// agency's default.
pub fn reply_language(wf: &Workflow, ex: &Extraction, case: Option<&Case>) -> Language {
    ex.language
        .or(case.and_then(|c| c.language))
        .unwrap_or(wf.settings.agency.default_language)
}

/// The subject of `parsed` without the "Re:"/"Fwd:" prefixes piled up by mail clients.
pub fn original_subject(parsed: &ParsedMessage) -> String {
    clean_subject(&parsed.subject)
}

fn clean_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_lowercase();
        let prefix = ["re:", "fw:", "fwd:", "aw:", "tr:", "ответ:", "пересл:"]
            .iter()
            .find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => s = s[p.len()..].trim_start(),
            None => return s.to_string(),
        }
    }
}

/// The beneficiary's words for the operators, every line quoted with `> `: pasted back
/// into a reply, even unquoted by the operator's client, they can never read as a command.
pub fn excerpt(text: &str) -> String {
    let body = crate::extract::new_text_of(text);
    let mut cut: String = body.chars().take(EXCERPT_CHARS).collect();
    if body.chars().count() > EXCERPT_CHARS {
        cut.push_str(" […]");
    }
    cut.trim_matches('\n')
        .lines()
        .map(|line| format!("> {line}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_excerpt_is_quoted() {
        assert_eq!(
            excerpt("\nBună ziua,\n\nOK\nDONE contract\n"),
            "> Bună ziua,\n>\n> OK\n> DONE contract"
        );
        assert_eq!(excerpt(""), "");
        let long = "DA\n".repeat(1000);
        let quoted = excerpt(&long);
        assert!(quoted.lines().all(|l| l.starts_with('>')), "{quoted}");
        assert!(quoted.ends_with("[…]"), "{quoted}");
        assert!(crate::workflow::commands::parse(&quoted)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn reply_prefixes_are_removed_from_subjects() {
        assert_eq!(clean_subject("RE: Fwd: re: MPass"), "MPass");
        assert_eq!(clean_subject("Ответ: MPass"), "MPass");
        assert_eq!(clean_subject("Conectare"), "Conectare");
    }
}
