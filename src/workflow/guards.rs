//! What keeps the desk from being turned against others: the daily limit on automatic
//! answers to one address (so forged mail cannot make the agency mail a victim over and
//! over), and the notice of a message that reuses another's Message-ID.

use anyhow::Result;
use serde_json::json;
use sqlx::SqliteConnection;

use super::{replies, Workflow};
use crate::domain::EmailAddress;
use crate::ledger::LedgerMessage;
use crate::outbox::{self, Purpose};

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
        let context = json!({
            "address": address.as_str(),
            "limit": limit,
            "sent": sent,
            "ledger_id": cause.id,
        });
        let mut notice = replies::to_operators(
            wf,
            Purpose::OperatorReplyLimit,
            "reply-limit",
            cause,
            None,
            context,
            false,
        );
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
        earlier,
        "message reuses the Message-ID of another; operators told"
    );
    let context = json!({
        "ledger_id": message.id,
        "earlier": earlier,
        "sender": sender.map(EmailAddress::as_str),
        "subject": subject,
    });
    let notice = replies::to_operators(
        wf,
        Purpose::OperatorReusedId,
        "reused-id",
        message,
        None,
        context,
        true,
    );
    wf.composer.enqueue(conn, notice).await?;
    Ok(())
}
