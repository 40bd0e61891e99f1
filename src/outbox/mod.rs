//! Stage 6, the outbox: outgoing mail as rows, written in the same transaction as the case
//! change that caused them, each with an idempotency key and a Message-ID derived from it.
//! The transport stage works the rows; nothing is sent from memory. This module owns `outbox`
//! and `outbox_bodies`.

pub mod compose;
mod queue;
mod records;
pub mod returns;
pub mod templates;

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::SqliteConnection;

pub use compose::{AutoKind, Identity, Thread};
pub use queue::{
    claim_due, interrupted, mark_all_sent, mark_final, mark_retry, mark_sent, next_due,
    outgoing_by_id, release, unreported_failures, GivenUp, OutboxState, Outgoing,
};
pub use records::{
    case_of_our_mail, has_key, of_case, of_case_with_bytes, replies_to_since, Sent, Summary,
};
pub use returns::ReturnPaths;
pub use templates::Renderer;

use crate::db::now;
use crate::domain::{CaseRef, EmailAddress, Language};

/// Why a mail is sent; stored by name, which is also its template's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Answer to a beneficiary's mail on a case.
    Acknowledgement,
    /// First mail of a case opened by an operator.
    CaseOpened,
    /// Answer pointing to another procedure.
    Redirect,
    /// To the operators: what was parsed on a case.
    OperatorUpdate,
    /// To the operators: a mail the daemon could not place.
    OperatorForward,
    /// To the operators: a mail the daemon could not read.
    OperatorQuarantine,
    /// To the operators: a mail that could not be delivered.
    OperatorDeliveryProblem,
    /// To the beneficiary: the case moved to its next step.
    Progress,
    /// To the beneficiary: an operator rejected the materials, with the reason.
    Rejection,
    /// To the beneficiary: the service is active; the case is complete.
    Completion,
    /// To the operator who acted: what their command did.
    OperatorAck,
    /// To the operators: a command that was not obeyed, and why.
    OperatorRefused,
    /// To the beneficiary: the case waits on them.
    Reminder,
    /// To the operators: a beneficiary did not answer the reminders.
    OperatorEscalation,
    /// To the operators: an agency-side step nears or passed its deadline.
    OperatorSla,
    /// To the operators: the daily digest.
    OperatorDigest,
    /// To a certificate's holder: it expires soon.
    ExpiryNotice,
    /// To the operators: a delivery report about one of our mails.
    OperatorBounce,
    /// To a sender the case does not trust: their mail arrived; it names nothing of the case.
    Receipt,
    /// To the operators: a message held because its sender is not a contact of the case.
    OperatorHeld,
    /// To the operators: an address reached the daily limit of automatic answers.
    OperatorReplyLimit,
    /// To the operators: a message reuses the Message-ID of another.
    OperatorReusedId,
}

crate::db::stored_names!(Purpose {
    Acknowledgement => "acknowledgement",
    CaseOpened => "case_opened",
    Redirect => "redirect",
    OperatorUpdate => "operator_update",
    OperatorForward => "operator_forward",
    OperatorQuarantine => "operator_quarantine",
    OperatorDeliveryProblem => "operator_delivery_problem",
    Progress => "progress",
    Rejection => "rejection",
    Completion => "completion",
    OperatorAck => "operator_ack",
    OperatorRefused => "operator_refused",
    Reminder => "reminder",
    OperatorEscalation => "operator_escalation",
    OperatorSla => "operator_sla",
    OperatorDigest => "operator_digest",
    ExpiryNotice => "expiry_notice",
    OperatorBounce => "operator_bounce",
    Receipt => "receipt",
    OperatorHeld => "operator_held",
    OperatorReplyLimit => "operator_reply_limit",
    OperatorReusedId => "operator_reused_id",
});

impl Purpose {
    /// Every purpose: each has a template in every language, rendered at start-up.
    pub const ALL: [Purpose; 22] = [
        Purpose::Acknowledgement,
        Purpose::CaseOpened,
        Purpose::Redirect,
        Purpose::OperatorUpdate,
        Purpose::OperatorForward,
        Purpose::OperatorQuarantine,
        Purpose::OperatorDeliveryProblem,
        Purpose::Progress,
        Purpose::Rejection,
        Purpose::Completion,
        Purpose::OperatorAck,
        Purpose::OperatorRefused,
        Purpose::Reminder,
        Purpose::OperatorEscalation,
        Purpose::OperatorSla,
        Purpose::OperatorDigest,
        Purpose::ExpiryNotice,
        Purpose::OperatorBounce,
        Purpose::Receipt,
        Purpose::OperatorHeld,
        Purpose::OperatorReplyLimit,
        Purpose::OperatorReusedId,
    ];

    fn auto_kind(self) -> AutoKind {
        match self {
            Purpose::Acknowledgement | Purpose::Redirect | Purpose::Receipt => AutoKind::Replied,
            _ => AutoKind::Generated,
        }
    }
}

/// What a mail says: the variables of one template, which its purpose names.
pub trait Content: Serialize {
    /// Why the mail is sent; also its template's name.
    fn purpose(&self) -> Purpose;
}

/// A mail to write into the outbox; `C` is what it says.
pub struct Draft<C> {
    /// Its template's variables; they name the purpose and so the template.
    pub content: C,
    /// Unique per mail: the same key is never queued twice.
    pub key: String,
    /// The case it belongs to.
    pub case: Option<(i64, CaseRef)>,
    /// The ledger message that caused it.
    pub cause_message: Option<i64>,
    /// Recipients.
    pub to: Vec<EmailAddress>,
    /// Template language.
    pub language: Language,
    /// The thread it continues, for replies.
    pub thread: Option<Thread>,
    /// A message attached whole.
    pub attach_message: Option<Vec<u8>>,
}

/// Builds outbox rows: templates plus the agency's identity.
pub struct Composer {
    /// Templates.
    pub renderer: Renderer,
    /// Sender identity.
    pub identity: Identity,
    /// Per-mail envelope senders; `None`: the plain address is every mail's.
    pub return_paths: Option<ReturnPaths>,
}

impl Composer {
    /// Renders `draft` and queues it; `None` when a mail with the same key was already queued.
    pub async fn enqueue(
        &self,
        conn: &mut SqliteConnection,
        draft: Draft<impl Content>,
    ) -> Result<Option<i64>> {
        let purpose = draft.content.purpose();
        let rendered = self
            .renderer
            .render(draft.language, purpose.as_str(), &draft.content)?;
        let subject = match &draft.case {
            Some((_, reference)) if !rendered.subject.contains(&reference.to_string()) => {
                format!("{} {}", reference.tag(), rendered.subject)
            }
            _ => rendered.subject.clone(),
        };
        let message_id = compose::message_id_for(&self.identity, &draft.key);
        let raw = compose::build(
            &self.identity,
            &compose::Letter {
                to: &draft.to,
                subject: &subject,
                body: &rendered.body,
                message_id: &message_id,
                thread: draft.thread.as_ref(),
                auto: purpose.auto_kind(),
                attach_message: draft.attach_message.as_deref(),
            },
        )?;
        let recipients: Vec<&str> = draft.to.iter().map(EmailAddress::as_str).collect();
        let stamp = now();
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO outbox (idempotency_key, message_id, case_id, cause_message, purpose,
                                 envelope_from, recipients, subject, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING id",
        )
        .bind(&draft.key)
        .bind(&message_id)
        .bind(draft.case.as_ref().map(|(id, _)| *id))
        .bind(draft.cause_message)
        .bind(purpose.as_str())
        .bind(self.identity.address.as_str())
        .bind(serde_json::to_string(&recipients)?)
        .bind(&subject)
        .bind(&stamp)
        .bind(&stamp)
        .fetch_optional(&mut *conn)
        .await
        .context("queueing a mail")?;
        if let (Some(id), Some(paths)) = (id, &self.return_paths) {
            // The row id is only known once inserted, and the return path names it.
            sqlx::query("UPDATE outbox SET envelope_from = ? WHERE id = ?")
                .bind(paths.for_mail(id, &message_id))
                .bind(id)
                .execute(&mut *conn)
                .await
                .context("giving a mail its return path")?;
        }
        if let Some(id) = id {
            sqlx::query("INSERT INTO outbox_bodies (outbox_id, raw) VALUES (?, ?)")
                .bind(id)
                .bind(&raw)
                .execute(&mut *conn)
                .await
                .context("queueing a mail's bytes")?;
        }
        match id {
            Some(id) => {
                tracing::info!(outbox_id = id, purpose = purpose.as_str(), %subject, "mail queued")
            }
            None => tracing::warn!(key = %draft.key, "mail already queued; not queued twice"),
        }
        Ok(id)
    }
}
