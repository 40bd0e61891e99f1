//! What the operators are told when mail goes wrong: a message the desk could not place or
//! read, a command it refused, a mail of ours that bounced or could not be delivered, an
//! address at its daily limit, a reused Message-ID.

use serde::Serialize;

use super::views::{sample_problems, CaseView, Found};
use super::Samples;
use crate::extract::Problem;
use crate::matching::{Facts, Unmatched};
use crate::workflow::tokens::Refusal;

/// Why the desk could not place a message itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardReason {
    /// A reference tag naming no case.
    UnknownReference,
    /// The case is completed or closed.
    ClosedCase,
    /// The sender has several open cases and the mail does not say which.
    Ambiguous,
    /// No case and no platform named.
    NoService,
    /// More platforms named than one mail opens cases for.
    ManyServices,
    /// Written by a machine.
    Automated,
}

impl ForwardReason {
    /// Every reason, each worded by the template.
    const ALL: [ForwardReason; 6] = [
        ForwardReason::UnknownReference,
        ForwardReason::ClosedCase,
        ForwardReason::Ambiguous,
        ForwardReason::NoService,
        ForwardReason::ManyServices,
        ForwardReason::Automated,
    ];

    /// The reason for `why`, and its detail.
    pub fn of(why: &Unmatched, facts: &Facts) -> (Self, String) {
        match why {
            Unmatched::UnknownReference(r) => (Self::UnknownReference, r.to_string()),
            Unmatched::ClosedCase(_) => (Self::ClosedCase, String::new()),
            Unmatched::Ambiguous => (Self::Ambiguous, facts.by_sender.len().to_string()),
            Unmatched::NoService => (Self::NoService, String::new()),
            Unmatched::ManyServices(n) => (Self::ManyServices, n.to_string()),
            Unmatched::Automated(why) => (Self::Automated, why.clone()),
        }
    }

    /// The stable name, as the message's outcome says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownReference => "unknown_reference",
            Self::ClosedCase => "closed_case",
            Self::Ambiguous => "ambiguous",
            Self::NoService => "no_service",
            Self::ManyServices => "many_services",
            Self::Automated => "automated",
        }
    }
}

/// `operator_forward`: a message the desk could not place, attached, with a summary.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorForward {
    /// Why it was not placed.
    pub reason: ForwardReason,
    /// The reason's detail (the unknown reference, how many cases…).
    pub detail: String,
    /// Who wrote.
    pub sender: Option<String>,
    /// The message's subject.
    pub subject: String,
    /// The platforms it names.
    pub services: Vec<String>,
    /// What it carried.
    pub found: Vec<Found>,
    /// What is wrong with what was sent.
    pub problems: Vec<Problem>,
    /// Whether it held a private key.
    pub private_key: bool,
    /// The sender's words, quoted.
    pub excerpt: String,
}

impl Samples for OperatorForward {
    fn samples() -> Vec<Self> {
        ForwardReason::ALL
            .map(|reason| Self {
                reason,
                detail: "x".into(),
                sender: Some("ion@asp.gov.md".into()),
                subject: "?".into(),
                services: vec!["MPass".into()],
                found: Found::samples(),
                problems: sample_problems(),
                private_key: true,
                excerpt: "text".into(),
            })
            .to_vec()
    }
}

/// `operator_quarantine`: a message that could not be processed, attached.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorQuarantine {
    /// Why.
    pub reason: String,
    /// Its ledger row.
    pub ledger_id: i64,
    /// Who wrote, if its header could be read.
    pub sender: Option<String>,
    /// Its subject, if its header could be read.
    pub subject: Option<String>,
    /// Its size in bytes.
    pub size: usize,
}

impl Samples for OperatorQuarantine {
    fn samples() -> Vec<Self> {
        vec![Self {
            reason: "not a mail message".into(),
            ledger_id: 7,
            sender: None,
            subject: None,
            size: 10,
        }]
    }
}

/// `operator_delivery_problem`: one of our mails was given up or its fate is unknown.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorDeliveryProblem {
    /// The outbox state it was left in: `failed` or `uncertain`.
    pub state: String,
    /// The last error.
    pub error: String,
    /// Its subject.
    pub subject: String,
    /// Its recipients.
    pub recipients: Vec<String>,
    /// Its Message-ID.
    pub message_id: String,
    /// Attempts made.
    pub attempts: i64,
}

impl Samples for OperatorDeliveryProblem {
    fn samples() -> Vec<Self> {
        ["failed", "uncertain"]
            .map(|state| Self {
                state: state.into(),
                error: "550".into(),
                subject: "x".into(),
                recipients: vec!["a@b.md".into()],
                message_id: "m@egov.md".into(),
                attempts: 3,
            })
            .to_vec()
    }
}

/// `operator_refused`: a command by mail that changed nothing, attached, and why.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorRefused {
    /// The case its token names, when the token is genuine.
    pub case: Option<CaseView>,
    /// Who wrote.
    pub sender: String,
    /// The message's subject.
    pub subject: String,
    /// Why it was refused (`Refusal::as_str`).
    pub reason: &'static str,
    /// The refusal's detail.
    pub detail: String,
    /// Its ledger row.
    pub ledger_id: i64,
}

impl Samples for OperatorRefused {
    fn samples() -> Vec<Self> {
        let refused = |case, reason: Refusal, subject: &str, detail: &str| Self {
            case,
            sender: "x@evil.md".into(),
            subject: subject.into(),
            reason: reason.as_str(),
            detail: detail.into(),
            ledger_id: 9,
        };
        let mut out: Vec<Self> = [
            Refusal::Missing,
            Refusal::Unknown,
            Refusal::Altered,
            Refusal::Used,
            Refusal::Expired,
            Refusal::WrongSender,
            Refusal::Stale,
            Refusal::Unauthenticated,
            Refusal::SeveralAuthors,
            Refusal::NoCommand,
            Refusal::BadCommand,
        ]
        .map(|reason| refused(Some(CaseView::sample()), reason, "Re: x", "d"))
        .to_vec();
        out.push(refused(None, Refusal::Unknown, "x", ""));
        out
    }
}

/// `operator_bounce`: a delivery report about one of our mails, attached.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorBounce {
    /// The case of the mail that bounced.
    pub case: Option<CaseView>,
    /// Its subject.
    pub subject: String,
    /// Its recipients.
    pub recipients: Vec<String>,
    /// The recipient the report names.
    pub recipient: Option<String>,
    /// The report's action (`failed`, `delayed`…).
    pub action: Option<String>,
    /// Its status code.
    pub status: Option<String>,
    /// The remote server's words.
    pub diagnostic: Option<String>,
}

impl Samples for OperatorBounce {
    fn samples() -> Vec<Self> {
        let s = |v: &str| Some(v.to_string());
        vec![
            Self {
                case: Some(CaseView::sample()),
                subject: "[EGOV-2026-0001] x".into(),
                recipients: vec!["ion@asp.gov.md".into()],
                recipient: s("ion@asp.gov.md"),
                action: s("failed"),
                status: s("5.1.1"),
                diagnostic: s("550 no such user"),
            },
            Self {
                case: None,
                subject: "x".into(),
                recipients: vec![],
                recipient: None,
                action: None,
                status: None,
                diagnostic: None,
            },
        ]
    }
}

/// `operator_reply_limit`: an address reached the daily limit of automatic answers.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorReplyLimit {
    /// The address.
    pub address: String,
    /// The limit.
    pub limit: i64,
    /// Answers sent to it in the last day.
    pub sent: i64,
    /// The message that went unanswered.
    pub ledger_id: i64,
}

impl Samples for OperatorReplyLimit {
    fn samples() -> Vec<Self> {
        vec![Self {
            address: "victim@example.md".into(),
            limit: 10,
            sent: 10,
            ledger_id: 42,
        }]
    }
}

/// `operator_reused_id`: a message reuses the Message-ID of an earlier, different one.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorReusedId {
    /// Its ledger row.
    pub ledger_id: i64,
    /// The earlier message's ledger row.
    pub earlier: i64,
    /// Who wrote.
    pub sender: Option<String>,
    /// Its subject.
    pub subject: String,
}

impl Samples for OperatorReusedId {
    fn samples() -> Vec<Self> {
        let reused = |sender: Option<&str>, subject: &str| Self {
            ledger_id: 43,
            earlier: 12,
            sender: sender.map(String::from),
            subject: subject.into(),
        };
        vec![reused(Some("eve@evil.example"), "MDocs"), reused(None, "")]
    }
}
