//! Delivery reports: linked to the mail of ours they report on, flagged on its case and
//! told to the operators; never answered.

use anyhow::Result;
use serde_json::json;
use sqlx::SqliteConnection;

use super::audit::{self, Actor};
use super::{cases, finish, notices, Handled, Workflow};
use crate::ledger::{LedgerMessage, MessageState};
use crate::outbox;
use crate::parse::DeliveryReport;

/// Links a report to the mail it is about; `None` when it names none of ours (the caller
/// then forwards it as any other automated mail).
pub(super) async fn link(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    report: &DeliveryReport,
) -> Result<Option<Handled>> {
    let Some(original) = &report.original_message_id else {
        return Ok(None);
    };
    let Some((outbox_id, case_id, subject, recipients)) =
        outbox::by_message_id(conn, original).await?
    else {
        return Ok(None);
    };
    let detail = [
        report.action.as_deref(),
        report.status.as_deref(),
        report.diagnostic.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    outbox::mark_bounced(conn, outbox_id, &detail).await?;
    let case = match case_id {
        Some(id) => Some(cases::by_id(conn, id).await?),
        None => None,
    };
    if let Some(case) = &case {
        audit::note(
            conn,
            case.id,
            &Actor::Daemon,
            Some(message.id),
            "bounce",
            json!({ "outbox_id": outbox_id, "recipient": report.recipient, "status": report.status, "diagnostic": report.diagnostic }),
        )
        .await?;
    }
    let context = json!({
        "case": case.as_ref().map(super::replies::case_view),
        "subject": subject,
        "recipients": serde_json::from_str::<serde_json::Value>(&recipients).unwrap_or_default(),
        "recipient": report.recipient,
        "action": report.action,
        "status": report.status,
        "diagnostic": report.diagnostic,
    });
    wf.composer
        .enqueue(conn, notices::bounce(wf, message, case.as_ref(), context))
        .await?;
    let outcome = format!("delivery report on outbox #{outbox_id}: {detail}");
    tracing::warn!(ledger_id = message.id, outbox_id, %detail, "one of our mails bounced");
    let mut handled = finish(
        conn,
        message.id,
        MessageState::Processed,
        &outcome,
        case.as_ref().map(|c| c.id),
        None,
    )
    .await?;
    handled.case = case.map(|c| c.reference);
    Ok(Some(handled))
}
