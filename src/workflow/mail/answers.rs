//! What the automatic answers to a beneficiary's mail say: the acknowledgement (one case,
//! several, or none but a private-key warning), the redirect, the receipt of a held message.

use serde::Serialize;

use super::views::{sample_also_needed, sample_missing, sample_problems, CaseView, ItemView};
use super::Samples;
use crate::domain::Redirect as Platform;
use crate::extract::Problem;
use crate::workflow::requirements::Missing;

/// `acknowledgement`: what was filed, what is wrong, what is still missing.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Acknowledgement {
    /// On one case, or (a private-key warning) on none.
    Case(CaseAck),
    /// On every case a request for several platforms reached.
    Several(SeveralAck),
}

/// The acknowledgement of a message filed on one case; `case` is `None` for the warning
/// a sender gets when they mailed a private key outside any case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseAck {
    /// The case.
    pub case: Option<CaseView>,
    /// Whether the message opened it.
    pub new_case: bool,
    /// What this message added.
    pub new_items: Vec<ItemView>,
    /// Everything on the case.
    pub items: Vec<ItemView>,
    /// What the case still needs.
    pub missing: Vec<Missing>,
    /// What the service needs besides items (keys of the templates' `also` labels).
    pub also_needed: Vec<String>,
    /// Whether nothing is missing.
    pub complete: bool,
    /// What is wrong with what was sent.
    pub problems: Vec<Problem>,
    /// Whether the message held a private key.
    pub private_key: bool,
    /// The message's subject without reply prefixes.
    pub original_subject: String,
}

/// The one answer to a request for several platforms; the problems are told once.
#[derive(Debug, Clone, Serialize)]
pub struct SeveralAck {
    /// Each case the request reached.
    pub cases: Vec<CaseShare>,
    /// What is wrong with what was sent.
    pub problems: Vec<Problem>,
    /// Whether the message held a private key.
    pub private_key: bool,
    /// The message's subject without reply prefixes.
    pub original_subject: String,
}

/// One case's part of a request for several platforms.
#[derive(Debug, Clone, Serialize)]
pub struct CaseShare {
    /// The case.
    pub case: CaseView,
    /// Whether the request opened it.
    pub new_case: bool,
    /// What it took from the message.
    pub new_items: Vec<ItemView>,
    /// What it still needs.
    pub missing: Vec<Missing>,
    /// What its service needs besides items.
    pub also_needed: Vec<String>,
    /// Whether nothing is missing.
    pub complete: bool,
}

impl Samples for Acknowledgement {
    fn samples() -> Vec<Self> {
        let items = ItemView::samples();
        let ack = |case: Option<CaseView>, complete: bool| {
            Self::Case(CaseAck {
                case,
                new_case: true,
                new_items: items.clone(),
                items: items.clone(),
                missing: if complete { vec![] } else { sample_missing() },
                also_needed: sample_also_needed(),
                complete,
                problems: sample_problems(),
                private_key: true,
                original_subject: "Conectare MDocs".into(),
            })
        };
        let several = Self::Several(SeveralAck {
            cases: vec![
                CaseShare {
                    case: CaseView::sample(),
                    new_case: true,
                    new_items: items.clone(),
                    missing: sample_missing(),
                    also_needed: sample_also_needed(),
                    complete: false,
                },
                CaseShare {
                    case: CaseView::sample_unnamed(),
                    new_case: false,
                    new_items: vec![],
                    missing: vec![],
                    also_needed: sample_also_needed(),
                    complete: true,
                },
            ],
            problems: sample_problems(),
            private_key: false,
            original_subject: "MPass și MSign".into(),
        });
        vec![
            ack(Some(CaseView::sample()), false),
            ack(Some(CaseView::sample_unnamed()), true),
            ack(None, false),
            several,
        ]
    }
}

/// `redirect`: the polite pointer to a platform with its own procedure.
#[derive(Debug, Clone, Serialize)]
pub struct Redirect {
    /// The platform's key.
    pub platform: &'static str,
    /// Its display name.
    pub platform_name: &'static str,
    /// Where to write instead.
    pub contact: &'static str,
    /// The message's subject without reply prefixes.
    pub original_subject: String,
}

impl Redirect {
    /// The redirect to `target`, answering `original_subject`.
    pub fn to(target: Platform, original_subject: String) -> Self {
        Self {
            platform: target.key(),
            platform_name: target.display_name(),
            contact: target.contact(),
            original_subject,
        }
    }
}

impl Samples for Redirect {
    fn samples() -> Vec<Self> {
        [Platform::MPay, Platform::MConnect]
            .map(|p| Self::to(p, "MPay".into()))
            .to_vec()
    }
}

/// `receipt`: a held message arrived; it names nothing of the case.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// Whether the message held a private key.
    pub private_key: bool,
}

impl Samples for Receipt {
    fn samples() -> Vec<Self> {
        vec![Self { private_key: true }, Self { private_key: false }]
    }
}
