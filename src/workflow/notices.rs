//! The mail the procedure sends on its own: progress and completion notices, rejections,
//! operator acknowledgements and refusals, reminders, deadlines, the digest, certificate
//! expiry, bounces. Replies to a beneficiary's mail are in `replies`.

use anyhow::Result;
use chrono::Duration;
use serde_json::{json, Value};
use sqlx::SqliteConnection;

use super::cases::{Case, Item, ItemStatus};
use super::replies::{case_view, items_view, missing_view};
use super::requirements::Missing;
use super::{tokens, Workflow};
use crate::domain::EmailAddress;
use crate::ledger::LedgerMessage;
use crate::outbox::{Draft, Purpose};

/// A token for the operators in `to` to answer about `case` as it now stands.
pub(super) async fn token_for(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    to: &[EmailAddress],
) -> Result<String> {
    issue(conn, wf, case, None, to).await
}

/// A token for the operators to ACCEPT or REJECT held message `hold_id` on `case`.
pub(super) async fn hold_token(
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

fn to_beneficiary(
    wf: &Workflow,
    purpose: Purpose,
    key: String,
    case: &Case,
    context: Value,
) -> Draft {
    Draft {
        purpose,
        key,
        case: Some((case.id, case.reference.clone())),
        cause_message: None,
        to: vec![case.contact.clone()],
        language: case.speaks(wf.settings.agency.default_language),
        context,
        thread: None,
        attach_message: None,
    }
}

pub(super) fn to_operators(
    wf: &Workflow,
    purpose: Purpose,
    key: String,
    case: Option<&Case>,
    context: Value,
) -> Draft {
    Draft {
        purpose,
        key,
        case: case.map(|c| (c.id, c.reference.clone())),
        cause_message: None,
        to: wf.settings.agency.operators.clone(),
        language: wf.settings.agency.operator_language,
        context,
        thread: None,
        attach_message: None,
    }
}

/// The case moved on: what happens now, and what (if anything) the beneficiary does next.
pub(super) fn progress(wf: &Workflow, case: &Case, contract: Option<&Case>) -> Draft {
    let context = json!({
        "case": case_view(case),
        "annex_only": contract.is_some(),
        "contract_case": contract.map(|c| c.reference.to_string()),
        "also_needed": wf.requirements.of(case.service).also_needed,
    });
    to_beneficiary(
        wf,
        Purpose::Progress,
        format!("progress:{}:{}", case.reference, case.version),
        case,
        context,
    )
}

/// The operators rejected the materials: the reason, in the beneficiary's language around it.
pub(super) fn rejection(wf: &Workflow, case: &Case, reason: &str, missing: &[Missing]) -> Draft {
    let context = json!({
        "case": case_view(case),
        "reason": reason,
        "missing": missing_view(missing),
        "also_needed": wf.requirements.of(case.service).also_needed,
    });
    to_beneficiary(
        wf,
        Purpose::Rejection,
        format!("rejection:{}:{}", case.reference, case.version),
        case,
        context,
    )
}

/// The completion notice: the service is active in production.
pub(super) fn completion(wf: &Workflow, case: &Case, items: &[Item]) -> Draft {
    let confirmed: Vec<Item> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Confirmed)
        .cloned()
        .collect();
    let context = json!({ "case": case_view(case), "items": items_view(&confirmed) });
    to_beneficiary(
        wf,
        Purpose::Completion,
        format!("completion:{}", case.reference),
        case,
        context,
    )
}

/// To the operator who acted: what was done, where the case stands, a token for the next.
#[allow(clippy::too_many_arguments)]
pub(super) fn operator_ack(
    wf: &Workflow,
    key: String,
    to: &EmailAddress,
    case: &Case,
    done: &[String],
    items: &[Item],
    missing: &[Missing],
    token: &str,
) -> Draft {
    let context = json!({
        "case": case_view(case),
        "done": done,
        "items": items_view(items),
        "missing": missing_view(missing),
        "token": token,
    });
    Draft {
        to: vec![to.clone()],
        ..to_operators(wf, Purpose::OperatorAck, key, Some(case), context)
    }
}

/// To the operators: a command by mail that changed nothing, and why.
pub(super) fn operator_refused(
    wf: &Workflow,
    message: &LedgerMessage,
    sender: &str,
    subject: &str,
    case: Option<&Case>,
    reason: &str,
    detail: &str,
) -> Draft {
    let context = json!({
        "case": case.map(case_view),
        "sender": sender,
        "subject": subject,
        "reason": reason,
        "detail": detail,
        "ledger_id": message.id,
    });
    Draft {
        cause_message: Some(message.id),
        attach_message: Some(message.raw.clone()),
        ..to_operators(
            wf,
            Purpose::OperatorRefused,
            format!("refused:{}", message.id),
            case,
            context,
        )
    }
}

/// To the beneficiary: the case has waited on them; what exactly is missing.
pub(super) fn reminder(
    wf: &Workflow,
    key: String,
    case: &Case,
    number: u32,
    days: u32,
    missing: &[Missing],
) -> Draft {
    let context = json!({
        "case": case_view(case),
        "number": number,
        "of": wf.settings.time.reminders,
        "days": days,
        "missing": missing_view(missing),
        "also_needed": wf.requirements.of(case.service).also_needed,
    });
    to_beneficiary(wf, Purpose::Reminder, key, case, context)
}

/// To the operators: the beneficiary did not answer the reminders.
pub(super) fn escalation(
    wf: &Workflow,
    key: String,
    case: &Case,
    days: u32,
    missing: &[Missing],
    token: &str,
) -> Draft {
    let context = json!({
        "case": case_view(case),
        "reminders": wf.settings.time.reminders,
        "days": days,
        "missing": missing_view(missing),
        "token": token,
    });
    to_operators(wf, Purpose::OperatorEscalation, key, Some(case), context)
}

/// To the operators: an agency-side step nears (`near`) or passed (`overdue`) its deadline.
pub(super) fn sla(
    wf: &Workflow,
    key: String,
    case: &Case,
    state: &str,
    due: chrono::NaiveDate,
    days: u32,
    token: &str,
) -> Draft {
    let context = json!({
        "case": case_view(case),
        "state": state,
        "due": due.to_string(),
        "days": days,
        "limit": wf.settings.time.sla_working_days,
        "token": token,
    });
    to_operators(wf, Purpose::OperatorSla, key, Some(case), context)
}

/// The daily digest: cases by step, and what is overdue.
pub(super) fn digest(wf: &Workflow, date: chrono::NaiveDate, context: Value) -> Draft {
    let mut context = context;
    context["date"] = json!(date.to_string());
    to_operators(
        wf,
        Purpose::OperatorDigest,
        format!("digest:{date}"),
        None,
        context,
    )
}

/// To a certificate's holder: it expires in `days_left` days; `renewal` is the case opened
/// for the new one.
pub(super) fn expiry(
    wf: &Workflow,
    key: String,
    holder: &Case,
    renewal: &Case,
    certificate: &Item,
    days_left: i64,
) -> Draft {
    let context = json!({
        "case": case_view(renewal),
        "previous": case_view(holder),
        "serial": certificate.value,
        "not_after": certificate.detail["not_after"].as_str().map(|s| s.chars().take(10).collect::<String>()),
        "subject": certificate.detail["subject"],
        "days_left": days_left,
    });
    to_beneficiary(wf, Purpose::ExpiryNotice, key, renewal, context)
}

/// To the operators: a delivery report about one of our mails.
pub(super) fn bounce(
    wf: &Workflow,
    message: &LedgerMessage,
    case: Option<&Case>,
    context: Value,
) -> Draft {
    Draft {
        cause_message: Some(message.id),
        attach_message: Some(message.raw.clone()),
        ..to_operators(
            wf,
            Purpose::OperatorBounce,
            format!("bounce:{}", message.id),
            case,
            context,
        )
    }
}
