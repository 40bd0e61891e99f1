//! Delivery reports: linked to the mail of ours they report on, flagged on its case and
//! told to the operators; never answered. Anyone can write a report naming one of our
//! Message-IDs, so a report is linked only by evidence a stranger cannot produce: it came
//! back to the return path of that one mail, whose MAC only we can make. Without per-mail
//! return paths, only a report sent as a real one is (empty return path) about a recipient
//! of that mail. Anything else reaches the operators as ordinary automated mail.

use anyhow::Result;
use serde_json::json;
use sqlx::SqliteConnection;

use super::audit::{self, Actor, EventKind};
use super::mail::operators::{self, Original};
use super::mail::{CaseView, OperatorBounce};
use super::{cases, finish, Handled, Workflow};
use crate::ledger::{LedgerMessage, MessageState};
use crate::outbox::returns::{self, OurMail};
use crate::parse::{DeliveryReport, ParsedMessage};

/// Links a report to the mail it is about; `None` when it cannot be tied to one of ours (the
/// caller then forwards it as any other automated mail).
pub(super) async fn link(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    report: &DeliveryReport,
) -> Result<Option<Handled>> {
    let Some(mail) = reported_mail(conn, wf, parsed, report).await? else {
        if report.original_message_id.is_some() {
            tracing::warn!(
                ledger_id = message.id,
                original = report.original_message_id.as_deref(),
                "a delivery report not tied to our mail by its return path; forwarded as ordinary mail"
            );
        }
        return Ok(None);
    };
    let OurMail {
        id: outbox_id,
        case_id,
        subject,
        recipients,
        ..
    } = mail;
    let detail = [
        report.action.as_deref(),
        report.status.as_deref(),
        report.diagnostic.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    returns::mark_bounced(conn, outbox_id, &detail).await?;
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
            EventKind::Bounce,
            json!({ "outbox_id": outbox_id, "recipient": report.recipient, "status": report.status, "diagnostic": report.diagnostic }),
        )
        .await?;
    }
    let mail = OperatorBounce {
        case: case.as_ref().map(CaseView::of),
        subject,
        recipients: serde_json::from_str(&recipients).unwrap_or_default(),
        recipient: report.recipient.clone(),
        action: report.action.clone(),
        status: report.status.clone(),
        diagnostic: report.diagnostic.clone(),
    };
    let agency = &wf.settings.agency;
    let notice = operators::about(
        agency,
        "bounce",
        message,
        Original::Attached,
        case.as_ref(),
        mail,
    );
    wf.composer.enqueue(conn, notice).await?;
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

/// The mail of ours `report` is about, when the evidence ties it to one.
async fn reported_mail(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    parsed: &ParsedMessage,
    report: &DeliveryReport,
) -> Result<Option<OurMail>> {
    let Some(paths) = &wf.composer.return_paths else {
        // No return path to check: a real DSN comes from the null sender, about one of the
        // recipients of the mail it names. Weaker, as anyone who knows both can write it.
        if parsed.return_path.as_deref() != Some("") {
            return Ok(None);
        }
        let (Some(original), Some(recipient)) = (&report.original_message_id, &report.recipient)
        else {
            return Ok(None);
        };
        let mail = returns::by_message_id(conn, original).await?;
        return Ok(mail.filter(|m| m.was_sent_to(recipient)));
    };
    for address in &parsed.delivered_to {
        let Some((id, mac)) = paths.named_in(address) else {
            continue;
        };
        let Some(mail) = returns::by_id(conn, id).await? else {
            continue;
        };
        let names_another = report
            .original_message_id
            .as_ref()
            .is_some_and(|original| *original != mail.message_id);
        if paths.verifies(id, &mail.message_id, &mac) && !names_another {
            return Ok(Some(mail));
        }
    }
    Ok(None)
}
