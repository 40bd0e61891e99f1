//! Stage 2, the ledger: every message is recorded once (Message-ID and SHA-256 of its bytes),
//! raw bytes kept, before anything else happens. A message already recorded is never
//! processed again; what happened to each is written back here by the workflow stage. This
//! module owns `messages` and `message_bodies`.

mod identity;
mod intake;
mod redact;

use anyhow::{Context, Result};
use sqlx::{SqliteConnection, SqlitePool};

pub use identity::content_sha256;
pub use intake::{record, record_oversize, Prepared};
pub use redact::without_private_keys;

use crate::db::now;
use crate::mailbox::{Disposition, Locator};

/// Where a recorded message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Recorded, waiting for the workflow stage.
    Received,
    /// Handled: filed on a case, answered, or reported to the operators.
    Processed,
    /// Could not be handled; the operators were told why.
    Quarantined,
}

crate::db::stored_names!(MessageState {
    Received => "received",
    Processed => "processed",
    Quarantined => "quarantined",
});

impl MessageState {
    /// Where the source copy goes once this state is final; `None` while it is not.
    pub fn disposition(self) -> Option<Disposition> {
        match self {
            Self::Received => None,
            Self::Processed => Some(Disposition::Processed),
            Self::Quarantined => Some(Disposition::Quarantine),
        }
    }
}

/// What recording a message found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First sighting: a new ledger row.
    New(i64),
    /// Already in the ledger (same Message-ID or same bytes).
    Known {
        /// The existing row.
        id: i64,
        /// Its state.
        state: MessageState,
    },
}

/// A recorded message handed to the workflow stage.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerMessage {
    /// Ledger row id.
    pub id: i64,
    /// Raw bytes as stored (private keys removed).
    pub raw: Vec<u8>,
    /// Why intake refused it (too large to fetch), if it did.
    pub refused: Option<String>,
    /// An earlier, different message whose Message-ID this one reuses.
    pub reuses_id_of: Option<i64>,
}

/// The oldest messages waiting for the workflow stage, at most `max` of them and, past the
/// first, at most `max_bytes` of raw bytes in all.
pub async fn next_received_batch(
    conn: &mut SqliteConnection,
    max: usize,
    max_bytes: i64,
) -> Result<Vec<LedgerMessage>> {
    let waiting: Vec<Waiting> = sqlx::query_as(
        "SELECT id, size FROM messages WHERE state = 'received' ORDER BY id LIMIT ?",
    )
    .bind(i64::try_from(max).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await
    .context("reading the ledger")?;
    let mut out = Vec::new();
    let mut bytes = 0i64;
    for Waiting { id, size } in waiting {
        if !out.is_empty() && bytes + size > max_bytes {
            break;
        }
        bytes += size;
        out.push(
            sqlx::query_as(
                "SELECT m.id, b.raw, m.refused, m.reuses_id_of
                 FROM messages m JOIN message_bodies b ON b.message_id = m.id WHERE m.id = ?",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .context("reading the ledger")?,
        );
    }
    Ok(out)
}

/// A message waiting for the workflow stage, before its bytes are read.
#[derive(sqlx::FromRow)]
struct Waiting {
    id: i64,
    size: i64,
}

/// When message `id` reached the mailbox.
pub async fn received_at(conn: &mut SqliteConnection, id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT received_at FROM messages WHERE id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .context("reading when a message arrived")
}

/// Records the final outcome of a message; false if it was no longer waiting.
pub async fn finish(
    conn: &mut SqliteConnection,
    id: i64,
    state: MessageState,
    outcome: &str,
    case_id: Option<i64>,
    language: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE messages SET state = ?, outcome = ?, case_id = ?, language = ?, processed_at = ?
         WHERE id = ? AND state = 'received'",
    )
    .bind(state)
    .bind(outcome)
    .bind(case_id)
    .bind(language)
    .bind(now())
    .bind(id)
    .execute(&mut *conn)
    .await
    .context("recording a message's outcome")?;
    Ok(done.rows_affected() == 1)
}

/// A finished message whose source copy has not been moved away yet.
#[derive(Debug, Clone)]
pub struct Unsettled {
    /// Ledger row id.
    pub id: i64,
    /// Where the source copy was.
    pub locator: Locator,
    /// Where it goes.
    pub disposition: Disposition,
    /// Its Message-ID, to find it again if its folder was renumbered.
    pub message_id: Option<String>,
}

/// A finished message as `unsettled` reads it.
#[derive(sqlx::FromRow)]
struct UnsettledRow {
    id: i64,
    source_folder: String,
    source_uid: String,
    state: MessageState,
    message_id: Option<String>,
}

/// Finished messages still sitting in the incoming folder.
pub async fn unsettled(pool: &SqlitePool) -> Result<Vec<Unsettled>> {
    let rows: Vec<UnsettledRow> = sqlx::query_as(
        "SELECT id, source_folder, source_uid, state, message_id FROM messages
         WHERE state != 'received' AND settled_at IS NULL ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .context("reading the ledger")?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let disposition = row.state.disposition()?;
            // Stored as `UIDVALIDITY:UID`.
            let (validity, uid) = row
                .source_uid
                .split_once(':')
                .unwrap_or(("0", &row.source_uid));
            Some(Unsettled {
                id: row.id,
                locator: Locator {
                    folder: row.source_folder,
                    uid_validity: validity.parse().unwrap_or(0),
                    uid: uid.to_string(),
                },
                disposition,
                message_id: row.message_id,
            })
        })
        .collect())
}

/// Notes that these messages' source copies have been moved away (one commit).
pub async fn mark_settled(pool: &SqlitePool, ids: &[i64]) -> Result<()> {
    sqlx::query("UPDATE messages SET settled_at = ? WHERE id IN (SELECT value FROM json_each(?))")
        .bind(now())
        .bind(serde_json::to_string(ids)?)
        .execute(pool)
        .await
        .context("recording a settled message")?;
    Ok(())
}

/// The raw bytes of a recorded message (for forwarding it to the operators).
pub async fn raw_of(conn: &mut SqliteConnection, id: i64) -> Result<Vec<u8>> {
    sqlx::query_scalar("SELECT raw FROM message_bodies WHERE message_id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .context("reading a message from the ledger")
}

/// A message of a case with what the ledger keeps about it, for the evidence bundle.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Kept {
    /// Ledger row id.
    pub id: i64,
    /// Its Message-ID, without brackets.
    pub message_id: Option<String>,
    /// When it reached the mailbox.
    pub received_at: String,
    /// Where it stands.
    pub state: MessageState,
    /// What was done with it.
    pub outcome: Option<String>,
    /// Its bytes as stored.
    pub raw: Vec<u8>,
}

/// The messages filed on case `case_id`, and the messages `also` names (an operator's reply
/// is filed on no case, but the case's timeline names it), with their bytes, oldest first.
pub async fn of_case_with_bytes(
    conn: &mut SqliteConnection,
    case_id: i64,
    also: &[i64],
) -> Result<Vec<Kept>> {
    sqlx::query_as(
        "SELECT m.id, m.message_id, m.received_at, m.state, m.outcome, b.raw
         FROM messages m JOIN message_bodies b ON b.message_id = m.id
         WHERE m.case_id = ? OR m.id IN (SELECT value FROM json_each(?))
         ORDER BY m.id",
    )
    .bind(case_id)
    .bind(serde_json::to_string(also)?)
    .fetch_all(&mut *conn)
    .await
    .context("reading the case's messages")
}

/// The case an earlier message with one of these Message-IDs was filed on.
pub async fn case_of_their_mail(
    conn: &mut SqliteConnection,
    ids: &[String],
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT case_id FROM messages
         WHERE message_id IN (SELECT value FROM json_each(?)) AND case_id IS NOT NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(serde_json::to_string(ids)?)
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a thread in the ledger")
}
