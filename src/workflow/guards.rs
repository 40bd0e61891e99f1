//! What keeps the desk from being turned against others: the daily limit on automatic
//! answers to one address (so forged mail cannot make the agency mail a victim over and
//! over), and the notice of a message that reuses another's Message-ID.

use anyhow::Result;
use sqlx::SqliteConnection;

use super::mail::operators::{self, Original};
use super::mail::{OperatorReplyLimit, OperatorReusedId};
use super::Workflow;
use crate::domain::EmailAddress;
use crate::ledger::LedgerMessage;
use crate::outbox;

/// Whether one more automatic answer may go to `address` today. Every automatic answer
/// counts (acknowledgements, private-key warnings, redirects, receipts); the first time an
/// address is over the limit on a day, the operators are told once.
pub(super) async fn may_reply(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    cause: &LedgerMessage,
    address: &EmailAddress,
) -> Result<bool> {
    let now = crate::clock::now();
    let since = crate::db::stamp(now - chrono::Duration::hours(24));
    // Sub-addresses land in one mailbox: `victim+1@`, `victim+2@`… count as `victim@`.
    let address = &address.mailbox();
    let sent = outbox::replies_to_since(conn, address, &since).await?;
    let limit = wf.settings.workflow.max_replies_per_day;
    if sent < limit {
        return Ok(true);
    }
    tracing::warn!(%address, sent, limit, "daily reply limit reached; not answering");
    // One notice per address and day: the key names both, so the outbox keeps it once.
    let key = format!("reply-limit:{address}:{}", now.date_naive());
    if !outbox::has_key(conn, &key).await? {
        let mail = OperatorReplyLimit {
            address: address.as_str().to_string(),
            limit,
            sent,
            ledger_id: cause.id,
        };
        let agency = &wf.settings.agency;
        let mut notice =
            operators::about(agency, "reply-limit", cause, Original::Named, None, mail);
        notice.key = key;
        wf.composer.enqueue(conn, notice).await?;
    }
    Ok(false)
}

/// Tells the operators that `message` reuses the Message-ID of an earlier, different one:
/// both were recorded and processed, but someone may be trying to have one taken for the
/// other.
pub(super) async fn reused_message_id(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    earlier: i64,
    sender: Option<&EmailAddress>,
    subject: &str,
) -> Result<()> {
    tracing::warn!(
        ledger_id = message.id,
        earlier,
        "message reuses the Message-ID of another; operators told"
    );
    let mail = OperatorReusedId {
        ledger_id: message.id,
        earlier,
        sender: sender.map(|s| s.as_str().to_string()),
        subject: subject.to_string(),
    };
    let agency = &wf.settings.agency;
    let notice = operators::about(agency, "reused-id", message, Original::Attached, None, mail);
    wf.composer.enqueue(conn, notice).await?;
    Ok(())
}
