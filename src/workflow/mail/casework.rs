//! What the operators are told about the cases they work: each update to check, a held
//! message to decide on, what their command did, escalations, deadlines, the daily digest.

use serde::Serialize;

use super::views::{sample_missing, sample_problems, CaseView, Found, ItemView, SAMPLE_TOKEN};
use super::Samples;
use crate::extract::Problem;
use crate::matching::MatchedBy;
use crate::workflow::requirements::Missing;
use crate::workflow::step::Step;

/// `operator_update`: everything parsed on a case, for the operators to check.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorUpdate {
    /// The token their answer must carry.
    pub token: String,
    /// Whether the sender was answered (not over the daily limit).
    pub replied: bool,
    /// The case.
    pub case: CaseView,
    /// Whether the message opened it.
    pub new_case: bool,
    /// How the message reached the case (`MatchedBy::as_str`).
    pub matched_by: &'static str,
    /// Who wrote.
    pub sender: Option<String>,
    /// The message's subject.
    pub subject: String,
    /// What this message added.
    pub new_items: Vec<ItemView>,
    /// Everything on the case.
    pub items: Vec<ItemView>,
    /// What the case still needs.
    pub missing: Vec<Missing>,
    /// What is wrong with what was sent.
    pub problems: Vec<Problem>,
    /// Whether the message held a private key.
    pub private_key: bool,
    /// The sender's words, quoted.
    pub excerpt: String,
}

impl Samples for OperatorUpdate {
    fn samples() -> Vec<Self> {
        let first = Self {
            token: SAMPLE_TOKEN.into(),
            replied: false,
            case: CaseView::sample_unnamed(),
            new_case: true,
            matched_by: MatchedBy::Reference.as_str(),
            sender: Some("ion@asp.gov.md".into()),
            subject: "MDocs".into(),
            new_items: ItemView::samples(),
            items: ItemView::samples(),
            missing: sample_missing(),
            problems: sample_problems(),
            private_key: true,
            excerpt: "Bună ziua".into(),
        };
        let mut out = vec![first.clone()];
        for by in MatchedBy::ALL {
            out.push(Self {
                replied: true,
                case: CaseView::sample(),
                new_case: false,
                matched_by: by.as_str(),
                new_items: vec![],
                missing: vec![],
                problems: vec![],
                private_key: false,
                ..first.clone()
            });
        }
        out
    }
}

/// `operator_held`: a message from an address the case does not trust, held for a decision.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorHeld {
    /// The case it names.
    pub case: CaseView,
    /// Who wrote.
    pub sender: String,
    /// Their display name.
    pub sender_name: Option<String>,
    /// Whether they write from the contact's domain.
    pub same_domain: bool,
    /// Whether the message says it does not come from its sender.
    pub disowned: bool,
    /// How the message reached the case (`MatchedBy::as_str`).
    pub matched_by: &'static str,
    /// The message's subject.
    pub subject: String,
    /// What it carried.
    pub found: Vec<Found>,
    /// What is wrong with what was sent.
    pub problems: Vec<Problem>,
    /// Whether the message held a private key.
    pub private_key: bool,
    /// The sender's words, quoted.
    pub excerpt: String,
    /// The token an ACCEPT or REJECT must carry.
    pub token: String,
    /// Whether the sender got a receipt (not over the daily limit).
    pub replied: bool,
}

impl Samples for OperatorHeld {
    fn samples() -> Vec<Self> {
        [
            (MatchedBy::Reference, true, Some("Ion Rău")),
            (MatchedBy::Thread, false, None),
            (MatchedBy::Sender, true, None),
        ]
        .map(|(by, same_domain, name)| Self {
            case: CaseView::sample(),
            sender: "eve@evil.example".into(),
            sender_name: name.map(String::from),
            same_domain,
            disowned: same_domain,
            matched_by: by.as_str(),
            subject: "[EGOV-2026-0001] IP".into(),
            found: Found::samples(),
            problems: sample_problems(),
            private_key: same_domain,
            excerpt: "> IP: 203.0.113.66".into(),
            token: SAMPLE_TOKEN.into(),
            replied: same_domain,
        })
        .to_vec()
    }
}

/// `operator_ack`: to the operator who acted, what was done and where the case stands.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorAck {
    /// The case as it now stands.
    pub case: CaseView,
    /// The commands applied, described.
    pub done: Vec<String>,
    /// Everything on the case.
    pub items: Vec<ItemView>,
    /// What the case still needs.
    pub missing: Vec<Missing>,
    /// A token for the next command.
    pub token: String,
}

impl Samples for OperatorAck {
    fn samples() -> Vec<Self> {
        vec![Self {
            case: CaseView::sample(),
            done: vec!["CONFIRM".into(), "DONE staging".into()],
            items: ItemView::samples(),
            missing: sample_missing(),
            token: SAMPLE_TOKEN.into(),
        }]
    }
}

/// `operator_escalation`: the beneficiary did not answer the reminders.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorEscalation {
    /// The case.
    pub case: CaseView,
    /// How many reminders went unanswered.
    pub reminders: u32,
    /// Working days waited.
    pub days: u32,
    /// What the case still needs.
    pub missing: Vec<Missing>,
    /// A token to act on the case.
    pub token: String,
}

impl Samples for OperatorEscalation {
    fn samples() -> Vec<Self> {
        vec![Self {
            case: CaseView::sample(),
            reminders: 2,
            days: 15,
            missing: sample_missing(),
            token: SAMPLE_TOKEN.into(),
        }]
    }
}

/// Where an agency-side step stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// Within the warning days of it.
    Near,
    /// Past it.
    Overdue,
}

impl Deadline {
    /// The stable name, in keys and the audit.
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Near => "near",
            Deadline::Overdue => "overdue",
        }
    }
}

/// `operator_sla`: an agency-side step nears or passed its deadline.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorSla {
    /// The case.
    pub case: CaseView,
    /// Near or past the deadline.
    pub state: Deadline,
    /// The deadline (`YYYY-MM-DD`).
    pub due: String,
    /// Working days at the step.
    pub days: u32,
    /// Working days allowed.
    pub limit: u32,
    /// A token to act on the case.
    pub token: String,
}

impl Samples for OperatorSla {
    fn samples() -> Vec<Self> {
        let mut out = Vec::new();
        for step in Step::told() {
            for state in [Deadline::Near, Deadline::Overdue] {
                out.push(Self {
                    case: CaseView::sample_at(step),
                    state,
                    due: "2026-12-01".into(),
                    days: 6,
                    limit: 7,
                    token: SAMPLE_TOKEN.into(),
                });
            }
        }
        out
    }
}

/// `operator_digest`: the open cases by step, and what is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorDigest {
    /// The day it covers (`YYYY-MM-DD`).
    pub date: String,
    /// How many cases are open.
    pub open: usize,
    /// How many are at each step.
    pub by_step: Vec<StepCount>,
    /// Agency-side cases past the deadline.
    pub overdue: Vec<DigestCase>,
    /// Cases long waiting on their beneficiary.
    pub waiting: Vec<DigestCase>,
    /// Working days allowed at an agency-side step.
    pub limit: u32,
}

/// How many open cases are at one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepCount {
    /// The step.
    pub step: Step,
    /// How many cases.
    pub count: usize,
}

/// A case in the digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestCase {
    /// Its reference.
    pub reference: String,
    /// The platform's display name.
    pub service: &'static str,
    /// The institution's name.
    pub institution: String,
    /// Where it stands.
    pub step: Step,
    /// Working days it has waited.
    pub days: u32,
}

impl Samples for OperatorDigest {
    fn samples() -> Vec<Self> {
        let row = |reference: &str, service, institution: &str, step, days| DigestCase {
            reference: reference.into(),
            service,
            institution: institution.into(),
            step,
            days,
        };
        let busy = Self {
            date: "2026-11-23".into(),
            open: 3,
            by_step: vec![
                StepCount {
                    step: Step::Staging,
                    count: 2,
                },
                StepCount {
                    step: Step::AwaitingMaterials,
                    count: 1,
                },
            ],
            overdue: vec![row("EGOV-2026-0001", "MDocs", "ASP", Step::Staging, 9)],
            waiting: vec![row(
                "EGOV-2026-0002",
                "MPass",
                "CNAM",
                Step::AwaitingMaterials,
                6,
            )],
            limit: 7,
        };
        let quiet = Self {
            open: 0,
            by_step: vec![],
            overdue: vec![],
            waiting: vec![],
            ..busy.clone()
        };
        vec![busy, quiet]
    }
}
