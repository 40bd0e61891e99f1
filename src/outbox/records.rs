//! What the rest of the daemon asks of mail already queued: whether a key was used, how many
//! automatic replies an address got, which case a thread belongs to, a case's mail.

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::{OutboxState, Purpose};
use crate::domain::EmailAddress;

/// Whether a mail with this idempotency key was ever queued.
pub async fn has_key(conn: &mut SqliteConnection, key: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE idempotency_key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .context("looking up an outbox key")?;
    Ok(found.is_some())
}

/// How many automatic replies went to `mailbox` or any of its sub-addresses
/// (`local+anything@domain`) since `since` (the loop breaker).
pub async fn replies_to_since(
    conn: &mut SqliteConnection,
    mailbox: &EmailAddress,
    since: &str,
) -> Result<i64> {
    let (local, domain) = mailbox.as_str().rsplit_once('@').unwrap_or_default();
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    let sub_addresses = format!("{}+%@{}", escape(local), escape(domain));
    sqlx::query_scalar(
        // Shaped to use the index outbox_auto_replies: these replies have one recipient.
        "SELECT count(*) FROM outbox
         WHERE purpose IN ('acknowledgement', 'redirect', 'receipt')
           AND (json_extract(recipients, '$[0]') = ?
                OR json_extract(recipients, '$[0]') LIKE ? ESCAPE '\\')
           AND created_at > ?",
    )
    .bind(mailbox.as_str())
    .bind(&sub_addresses)
    .bind(since)
    .fetch_one(&mut *conn)
    .await
    .context("counting replies to an address")
}

/// The case of the mail we sent with one of these Message-IDs: a reply to our mail belongs
/// to its case. (A follow-up to the sender's own earlier mail is the ledger's question:
/// [`crate::ledger::case_of_their_mail`].)
pub async fn case_of_our_mail(conn: &mut SqliteConnection, ids: &[String]) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT case_id FROM outbox
         WHERE message_id IN (SELECT value FROM json_each(?)) AND case_id IS NOT NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(serde_json::to_string(ids)?)
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a thread in the outbox")
}

/// A row as shown by `case show`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Why it was sent.
    pub purpose: Purpose,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// Where it stands.
    pub state: OutboxState,
    /// When it was queued.
    pub created_at: String,
    /// When a delivery report tied to it said it bounced, if one did.
    pub bounced_at: Option<String>,
}

/// An `outbox` row of a case as read: `Summary` with its recipients still JSON.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    purpose: Purpose,
    recipients: String,
    subject: String,
    state: OutboxState,
    created_at: String,
    bounced_at: Option<String>,
}

/// The mail of one case, oldest first.
pub async fn of_case(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Summary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT purpose, recipients, subject, state, created_at, bounced_at FROM outbox
         WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the outbox")?;
    rows.into_iter()
        .map(|r| {
            Ok(Summary {
                purpose: r.purpose,
                to: serde_json::from_str(&r.recipients)?,
                subject: r.subject,
                state: r.state,
                created_at: r.created_at,
                bounced_at: r.bounced_at,
            })
        })
        .collect()
}

/// A mail of a case with everything kept about it, for the evidence bundle.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Sent {
    /// Row id.
    pub id: i64,
    /// Why it was sent.
    pub purpose: Purpose,
    /// JSON array of its recipients.
    pub recipients: String,
    /// Its subject.
    pub subject: String,
    /// Where it stands.
    pub state: OutboxState,
    /// When it was queued.
    pub created_at: String,
    /// When it was handed on.
    pub sent_at: Option<String>,
    /// What the server answered.
    pub server_reply: Option<String>,
    /// When a delivery report said it bounced.
    pub bounced_at: Option<String>,
    /// What that report said.
    pub bounce_detail: Option<String>,
    /// Its Message-ID, without brackets.
    pub message_id: String,
    /// Its bytes.
    pub raw: Vec<u8>,
}

/// Every mail of a case with its bytes, oldest first.
pub async fn of_case_with_bytes(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Sent>> {
    sqlx::query_as(
        "SELECT o.id, o.purpose, o.recipients, o.subject, o.state, o.created_at, o.sent_at,
                o.server_reply, o.bounced_at, o.bounce_detail, o.message_id, b.raw
         FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id
         WHERE o.case_id = ? ORDER BY o.id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's mail")
}
