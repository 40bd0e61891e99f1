//! What the procedure tells a beneficiary on its own: the first mail of a case opened by
//! hand, progress, rejection, completion, reminders, a certificate's coming expiry.

use serde::Serialize;

use super::views::{sample_also_needed, sample_missing, CaseView, ItemView};
use super::Samples;
use crate::workflow::requirements::Missing;
use crate::workflow::step::Step;

/// `case_opened`: what the beneficiary should send.
#[derive(Debug, Clone, Serialize)]
pub struct CaseOpened {
    /// The case.
    pub case: CaseView,
    /// What it needs.
    pub missing: Vec<Missing>,
    /// What its service needs besides items.
    pub also_needed: Vec<String>,
}

impl Samples for CaseOpened {
    fn samples() -> Vec<Self> {
        vec![
            Self {
                case: CaseView::sample(),
                missing: sample_missing(),
                also_needed: sample_also_needed(),
            },
            Self {
                case: CaseView::sample_unnamed(),
                missing: vec![],
                also_needed: vec![],
            },
        ]
    }
}

/// `progress`: the case moved on; what happens now.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The case, at its new step.
    pub case: CaseView,
    /// Whether only an annex is needed, the institution having a contract already.
    pub annex_only: bool,
    /// The case whose contract covers this one.
    pub contract_case: Option<String>,
    /// What its service needs besides items.
    pub also_needed: Vec<String>,
}

impl Samples for Progress {
    fn samples() -> Vec<Self> {
        let mut out = Vec::new();
        for step in Step::told() {
            for annex_only in [true, false] {
                out.push(Self {
                    case: CaseView::sample_at(step),
                    annex_only,
                    contract_case: annex_only.then(|| "EGOV-2025-0007".into()),
                    also_needed: sample_also_needed(),
                });
            }
        }
        out.push(Self {
            case: CaseView::sample_unnamed(),
            annex_only: false,
            contract_case: None,
            also_needed: vec![],
        });
        out
    }
}

/// `rejection`: the operators' reason, in the beneficiary's language around it.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// The case.
    pub case: CaseView,
    /// The operators' words.
    pub reason: String,
    /// What the case now needs.
    pub missing: Vec<Missing>,
    /// What its service needs besides items.
    pub also_needed: Vec<String>,
}

impl Samples for Rejection {
    fn samples() -> Vec<Self> {
        vec![
            Self {
                case: CaseView::sample(),
                reason: "Certificatul nu este emis de STISC".into(),
                missing: sample_missing(),
                also_needed: sample_also_needed(),
            },
            Self {
                case: CaseView::sample(),
                reason: "x".into(),
                missing: vec![],
                also_needed: vec![],
            },
        ]
    }
}

/// `completion`: the service is active in production.
#[derive(Debug, Clone, Serialize)]
pub struct Completion {
    /// The case.
    pub case: CaseView,
    /// The items the operators confirmed.
    pub items: Vec<ItemView>,
}

impl Samples for Completion {
    fn samples() -> Vec<Self> {
        vec![
            Self {
                case: CaseView::sample(),
                items: ItemView::samples(),
            },
            Self {
                case: CaseView::sample_unnamed(),
                items: vec![],
            },
        ]
    }
}

/// `reminder`: the case has waited on the beneficiary; what exactly is missing.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    /// The case.
    pub case: CaseView,
    /// Which reminder this is…
    pub number: u32,
    /// …of how many.
    pub of: u32,
    /// Working days waited.
    pub days: u32,
    /// What the case still needs.
    pub missing: Vec<Missing>,
    /// What its service needs besides items.
    pub also_needed: Vec<String>,
}

impl Samples for Reminder {
    fn samples() -> Vec<Self> {
        Step::told()
            .map(|step| Self {
                case: CaseView::sample_at(step),
                number: 1,
                of: 2,
                days: 5,
                missing: sample_missing(),
                also_needed: sample_also_needed(),
            })
            .collect()
    }
}

/// `expiry_notice`: a certificate expires soon; the renewal has its case.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiryNotice {
    /// The case opened for the renewal.
    pub case: CaseView,
    /// The case that holds the certificate.
    pub previous: CaseView,
    /// The certificate's serial.
    pub serial: String,
    /// Its last day (`YYYY-MM-DD`).
    pub not_after: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// Days until it expires.
    pub days_left: i64,
}

impl Samples for ExpiryNotice {
    fn samples() -> Vec<Self> {
        let notice = |subject: Option<&str>| Self {
            case: CaseView::sample(),
            previous: CaseView::sample(),
            serial: "4F3A".into(),
            not_after: Some("2027-01-01".into()),
            subject: subject.map(String::from),
            days_left: 30,
        };
        vec![notice(Some("CN=SIA")), notice(None)]
    }
}
