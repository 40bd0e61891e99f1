//! Mail to the operators, in their language: the one way to address it (with, when a
//! message caused it, that message named or attached), the tokens their answers carry, and
//! the mail built on them.

use anyhow::Result;
use chrono::Duration;
use sqlx::SqliteConnection;

use super::views::{excerpt, CaseView, Found, ItemView};
use super::{
    Deadline, Draft, ForwardReason, Mail, OperatorAck, OperatorEscalation, OperatorForward,
    OperatorQuarantine, OperatorRefused, OperatorSla, OperatorUpdate,
};
use crate::domain::{EmailAddress, ServiceMention};
use crate::extract::Extraction;
use crate::ledger::LedgerMessage;
use crate::matching::{Facts, MatchedBy, Unmatched};
use crate::parse::ParsedMessage;
use crate::settings::AgencySettings;
use crate::workflow::cases::{Case, Item};
use crate::workflow::filing::Filing;
use crate::workflow::requirements::Missing;
use crate::workflow::{tokens, Workflow};

/// A notice to the operators, in their language.
pub fn notice(
    agency: &AgencySettings,
    key: String,
    case: Option<&Case>,
    mail: impl Into<Mail>,
) -> Draft {
    Draft {
        content: mail.into(),
        key,
        case: case.map(|c| (c.id, c.reference.clone())),
        cause_message: None,
        to: agency.operators.clone(),
        language: agency.operator_language,
        thread: None,
        attach_message: None,
    }
}

/// How a notice carries the message that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Original {
    /// Named by its ledger row only.
    Named,
    /// Attached whole, for the operators to read.
    Attached,
}

/// A notice to the operators caused by `message`, keyed `{key}:{ledger id}`.
pub fn about(
    agency: &AgencySettings,
    key: &str,
    message: &LedgerMessage,
    original: Original,
    case: Option<&Case>,
    mail: impl Into<Mail>,
) -> Draft {
    Draft {
        cause_message: Some(message.id),
        attach_message: (original == Original::Attached).then(|| message.raw.clone()),
        ..notice(agency, format!("{key}:{}", message.id), case, mail)
    }
}

/// A token for the operators in `to` to answer about `case` as it now stands.
pub(crate) async fn token_for(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    to: &[EmailAddress],
) -> Result<String> {
    issue(conn, wf, case, None, to).await
}

/// A token for the operators to ACCEPT or REJECT held message `hold_id` on `case`.
pub(crate) async fn hold_token(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    hold_id: i64,
) -> Result<String> {
    issue(conn, wf, case, Some(hold_id), &wf.settings.agency.operators).await
}

/// A token for `case` at its current version, good for `workflow.token_valid_hours`.
async fn issue(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    hold_id: Option<i64>,
    to: &[EmailAddress],
) -> Result<String> {
    let expires = crate::clock::now() + Duration::hours(wf.settings.workflow.token_valid_hours);
    let grant = tokens::Grant {
        case_id: case.id,
        version: case.version,
        hold_id,
    };
    tokens::issue(conn, &wf.token_key, grant, to, expires).await
}

/// The operators' copy of a case update: everything parsed, for them to check, and the
/// token their answer must carry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
    matched_by: MatchedBy,
    token: String,
    replied: bool,
) -> Draft {
    let mail = OperatorUpdate {
        token,
        replied,
        case: CaseView::of(&filing.case),
        new_case: filing.new_case,
        matched_by: matched_by.as_str(),
        sender: parsed.from.as_ref().map(|a| a.as_str().to_string()),
        subject: parsed.subject.clone(),
        new_items: ItemView::all(&filing.new_items),
        items: ItemView::all(&filing.items),
        missing: filing.missing.clone(),
        problems: filing.problems.clone(),
        private_key: ex.has_private_key(),
        excerpt: excerpt(&parsed.text),
    };
    // Keyed by case too: a request for several platforms updates each case's operators.
    let key = format!("ops-update:{}", filing.case.reference);
    let case = Some(&filing.case);
    about(
        &wf.settings.agency,
        &key,
        message,
        Original::Named,
        case,
        mail,
    )
}

/// A mail the desk could not place, forwarded whole to the operators with a summary; and
/// the message's outcome.
pub(crate) fn forward(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    why: &Unmatched,
    facts: &Facts,
) -> (Draft, String) {
    let (reason, detail) = ForwardReason::of(why, facts);
    let services = ex
        .services
        .iter()
        .map(|m| match m {
            ServiceMention::Service(s) => s.display_name().to_string(),
            ServiceMention::Redirect(r) => r.display_name().to_string(),
        })
        .collect();
    let mail = OperatorForward {
        reason,
        detail,
        sender: parsed.from.as_ref().map(|a| a.as_str().to_string()),
        subject: parsed.subject.clone(),
        services,
        found: Found::all(ex),
        problems: ex.problems.clone(),
        private_key: ex.has_private_key(),
        excerpt: excerpt(&parsed.text),
    };
    let agency = &wf.settings.agency;
    let draft = about(agency, "forward", message, Original::Attached, None, mail);
    (
        draft,
        format!("forwarded to the operators: {}", reason.as_str()),
    )
}

/// The operators' notice of a message that could not be processed, with the message attached.
pub(crate) fn quarantine(wf: &Workflow, message: &LedgerMessage, reason: &str) -> Draft {
    let head = crate::parse::parse(&message.raw).ok();
    let mail = OperatorQuarantine {
        reason: reason.to_string(),
        ledger_id: message.id,
        sender: head
            .as_ref()
            .and_then(|p| p.from.as_ref())
            .map(|a| a.as_str().to_string()),
        subject: head.as_ref().map(|p| p.subject.clone()),
        size: message.raw.len(),
    };
    let agency = &wf.settings.agency;
    about(
        agency,
        "quarantine",
        message,
        Original::Attached,
        None,
        mail,
    )
}

/// To the operator who acted: what was done, where the case stands, a token for the next.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ack(
    wf: &Workflow,
    key: String,
    to: &EmailAddress,
    case: &Case,
    done: &[String],
    items: &[Item],
    missing: &[Missing],
    token: String,
) -> Draft {
    let mail = OperatorAck {
        case: CaseView::of(case),
        done: done.to_vec(),
        items: ItemView::all(items),
        missing: missing.to_vec(),
        token,
    };
    Draft {
        to: vec![to.clone()],
        ..notice(&wf.settings.agency, key, Some(case), mail)
    }
}

/// To the operators: a command by mail that changed nothing, and why.
pub(crate) fn refused(
    wf: &Workflow,
    message: &LedgerMessage,
    sender: &str,
    subject: &str,
    case: Option<&Case>,
    reason: &'static str,
    detail: &str,
) -> Draft {
    let mail = OperatorRefused {
        case: case.map(CaseView::of),
        sender: sender.to_string(),
        subject: subject.to_string(),
        reason,
        detail: detail.to_string(),
        ledger_id: message.id,
    };
    let agency = &wf.settings.agency;
    about(agency, "refused", message, Original::Attached, case, mail)
}

/// To the operators: the beneficiary did not answer the reminders.
pub(crate) fn escalation(
    wf: &Workflow,
    key: String,
    case: &Case,
    days: u32,
    missing: &[Missing],
    token: String,
) -> Draft {
    let mail = OperatorEscalation {
        case: CaseView::of(case),
        reminders: wf.settings.time.reminders,
        days,
        missing: missing.to_vec(),
        token,
    };
    notice(&wf.settings.agency, key, Some(case), mail)
}

/// To the operators: an agency-side step nears or passed its deadline, `due`.
pub(crate) fn sla(
    wf: &Workflow,
    key: String,
    case: &Case,
    state: Deadline,
    due: chrono::NaiveDate,
    days: u32,
    token: String,
) -> Draft {
    let mail = OperatorSla {
        case: CaseView::of(case),
        state,
        due: due.to_string(),
        days,
        limit: wf.settings.time.sla_working_days,
        token,
    };
    notice(&wf.settings.agency, key, Some(case), mail)
}
