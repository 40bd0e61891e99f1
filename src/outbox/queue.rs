//! The outbox as a queue: rows claimed (`attempting`, committed before anything is sent),
//! then settled as sent, retried later, given up (`failed`) or of unknown fate (`uncertain`).

use anyhow::{Context, Result};
use sqlx::{SqliteConnection, SqlitePool};

use super::Purpose;
use crate::db::now;

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed for sending; a crash leaves it here and recovery settles it.
    Attempting,
    /// Handed on.
    Sent,
    /// Given up: refused, or failing past the attempts allowed.
    Failed,
    /// Interrupted mid-send: it may or may not have gone out, so it is never sent again.
    Uncertain,
}

crate::db::stored_names!(OutboxState {
    Pending => "pending",
    Attempting => "attempting",
    Sent => "sent",
    Failed => "failed",
    Uncertain => "uncertain",
});

/// An outbox row being delivered.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Row id.
    pub id: i64,
    /// Why it is sent.
    pub purpose: Purpose,
    /// Envelope sender.
    pub envelope_from: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// Subject, for logs.
    pub subject: String,
    /// Message-ID, without brackets.
    pub message_id: String,
    /// The mail's bytes.
    pub raw: Vec<u8>,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// An `outbox` row joined with its bytes, as read.
#[derive(sqlx::FromRow)]
struct OutgoingRow {
    id: i64,
    purpose: Purpose,
    envelope_from: String,
    recipients: String,
    subject: String,
    message_id: String,
    raw: Vec<u8>,
    attempts: i64,
}

impl TryFrom<OutgoingRow> for Outgoing {
    type Error = anyhow::Error;

    fn try_from(row: OutgoingRow) -> Result<Self> {
        Ok(Outgoing {
            id: row.id,
            purpose: row.purpose,
            envelope_from: row.envelope_from,
            recipients: serde_json::from_str(&row.recipients).context("outbox recipients")?,
            subject: row.subject,
            message_id: row.message_id,
            raw: row.raw,
            attempts: row.attempts,
        })
    }
}

const OUTGOING_COLUMNS: &str = "o.id, o.purpose, o.envelope_from, o.recipients, o.subject, \
     o.message_id, b.raw, o.attempts FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id";

/// Claims the oldest due rows, at most `max`, marking them `attempting` in one commit before
/// anything is sent. Their bytes are read one at a time, as each is sent.
pub async fn claim_due(pool: &SqlitePool, max: usize) -> Result<Vec<i64>> {
    let mut claimed: Vec<i64> = sqlx::query_scalar(
        "UPDATE outbox SET state = 'attempting', attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
                      ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING id",
    )
    .bind(now())
    .bind(i64::try_from(max).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .context("claiming outbox rows")?;
    claimed.sort_unstable();
    Ok(claimed)
}

/// Puts claimed rows that were never tried back in the queue, as they were.
pub async fn release(pool: &SqlitePool, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = attempts - 1
         WHERE state = 'attempting' AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(ids)?)
    .execute(pool)
    .await
    .context("putting claimed mail back in the queue")?;
    Ok(())
}

/// One outbox row with its bytes.
pub async fn outgoing_by_id(pool: &SqlitePool, id: i64) -> Result<Outgoing> {
    let row: OutgoingRow = sqlx::query_as(&format!("SELECT {OUTGOING_COLUMNS} WHERE o.id = ?"))
        .bind(id)
        .fetch_one(pool)
        .await
        .context("reading a claimed outbox row")?;
    row.try_into()
}

/// Rows left `attempting` by a process that stopped mid-send.
pub async fn interrupted(pool: &SqlitePool) -> Result<Vec<Outgoing>> {
    let rows: Vec<OutgoingRow> = sqlx::query_as(&format!(
        "SELECT {OUTGOING_COLUMNS} WHERE o.state = 'attempting' ORDER BY o.id"
    ))
    .fetch_all(pool)
    .await
    .context("reading the outbox")?;
    rows.into_iter().map(Outgoing::try_from).collect()
}

/// Records a delivery.
pub async fn mark_sent(pool: &SqlitePool, id: i64, server_reply: &str) -> Result<()> {
    mark_all_sent(pool, &[(id, server_reply.to_string())]).await
}

/// Records several deliveries in one commit: (row, the server's reply).
pub async fn mark_all_sent(pool: &SqlitePool, sent: &[(i64, String)]) -> Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    let mut tx = crate::db::begin_write(pool).await?;
    let at = now();
    for (id, server_reply) in sent {
        sqlx::query("UPDATE outbox SET state = 'sent', server_reply = ?, sent_at = ?, last_error = NULL WHERE id = ?")
            .bind(server_reply)
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("recording a sent mail")?;
    }
    tx.commit().await.context("recording sent mail")
}

/// Puts a row back in the queue for another attempt at `next_attempt_at`.
pub async fn mark_retry(
    pool: &SqlitePool,
    id: i64,
    error: &str,
    next_attempt_at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(pool)
    .await
    .context("recording a retry")?;
    Ok(())
}

/// Marks a row given up (`failed`) or of unknown fate (`uncertain`); the operators are told
/// by [`unreported_failures`]'s caller, which finds it by its state.
pub async fn mark_final(pool: &SqlitePool, id: i64, state: OutboxState, error: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET state = ?, last_error = ? WHERE id = ?")
        .bind(state)
        .bind(error)
        .bind(id)
        .execute(pool)
        .await
        .context("recording a failed mail")?;
    Ok(())
}

/// The earliest time a pending row is due, if any.
pub async fn next_due(pool: &SqlitePool) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        .fetch_one(pool)
        .await
        .context("reading the outbox")
}

/// A mail given up (or of unknown fate) that the operators have not been told of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GivenUp {
    /// Row id.
    pub id: i64,
    /// `failed` or `uncertain`.
    pub state: OutboxState,
    /// Why it was given up.
    pub last_error: Option<String>,
    /// Its subject.
    pub subject: String,
    /// JSON array of its recipients.
    pub recipients: String,
    /// Its Message-ID, without brackets.
    pub message_id: String,
    /// Attempts made.
    pub attempts: i64,
}

/// Rows given up or of unknown fate with no mail queued under `key_prefix` + their id yet, oldest
/// first; notices of that kind (`notice`) are left out, since reporting them would only loop.
pub async fn unreported_failures(
    conn: &mut SqliteConnection,
    notice: Purpose,
    key_prefix: &str,
) -> Result<Vec<GivenUp>> {
    // Shaped to use the indexes outbox_due (state) and the UNIQUE idempotency_key.
    sqlx::query_as(
        "SELECT o.id, o.state, o.last_error, o.subject, o.recipients, o.message_id, o.attempts
         FROM outbox o
         WHERE o.state IN ('failed', 'uncertain') AND o.purpose != ?
           AND NOT EXISTS (SELECT 1 FROM outbox r WHERE r.idempotency_key = ? || o.id)
         ORDER BY o.id",
    )
    .bind(notice.as_str())
    .bind(key_prefix)
    .fetch_all(&mut *conn)
    .await
    .context("looking for mail given up")
}
