//! Stage 2, the ledger: every message is recorded once (Message-ID and SHA-256 of its bytes),
//! raw bytes kept, before anything else happens. A message already recorded is never
//! processed again; what happened to each is written back here by the workflow stage.

mod identity;
mod redact;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use sqlx::{SqliteConnection, SqlitePool};

pub use identity::content_sha256;
pub use redact::without_private_keys;

use crate::db::now;
use crate::mailbox::{Disposition, Locator};
use crate::parse::message_id_of;

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

/// A fetched message made ready for the ledger: its identity computed and any private key
/// cut out. CPU work only, so callers run it off the async threads and in parallel.
#[derive(Debug)]
pub struct Prepared {
    sha256: String,
    content_sha256: String,
    message_id: Option<String>,
    stored: Vec<u8>,
    size: usize,
    key_removed: bool,
}

impl Prepared {
    /// Hashes `raw`, reads its Message-ID and removes private keys from the copy to store.
    pub fn of(raw: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&raw));
        let content_sha256 = content_sha256(&raw);
        let message_id = message_id_of(&raw);
        let size = raw.len();
        let (stored, key_removed) = match without_private_keys(&raw) {
            Some(cut) => (cut, true),
            None => (raw, false),
        };
        Self {
            sha256,
            content_sha256,
            message_id,
            stored,
            size,
            key_removed,
        }
    }

    /// Its size as received.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// Records a fetched message, unless the ledger already has it.
/// Runs on the caller's connection, so a batch of messages can share one commit.
pub async fn record(
    conn: &mut SqliteConnection,
    locator: &Locator,
    message: &Prepared,
) -> Result<Recorded> {
    if message.key_removed {
        tracing::warn!(source_uid = %locator.uid, "private key removed from a message before storing it");
    }
    insert(
        conn,
        locator,
        Identity {
            sha256: &message.sha256,
            content_sha256: &message.content_sha256,
            message_id: message.message_id.as_deref(),
        },
        &message.stored,
        message.size,
        None,
    )
    .await
}

/// Records a message too large to fetch whole: its first bytes only, marked refused so the
/// workflow stage quarantines and reports it.
pub async fn record_oversize(
    conn: &mut SqliteConnection,
    locator: &Locator,
    head: &[u8],
    size: u64,
    limit: u64,
) -> Result<Recorded> {
    // The whole bytes are never read, so the identity is the head plus the size.
    let mut hasher = Sha256::new();
    hasher.update(head);
    hasher.update(size.to_be_bytes());
    let sha256 = hex::encode(hasher.finalize());
    let message_id = message_id_of(head);
    let stored = without_private_keys(head);
    let reason = format!("message of {size} bytes exceeds mailbox.max_message_bytes ({limit})");
    insert(
        conn,
        locator,
        // Only the head was read: its identity is the head and the size, nothing finer.
        Identity {
            sha256: &sha256,
            content_sha256: &sha256,
            message_id: message_id.as_deref(),
        },
        stored.as_deref().unwrap_or(head),
        usize::try_from(size).unwrap_or(usize::MAX),
        Some(&reason),
    )
    .await
}

/// What tells one message from another.
struct Identity<'a> {
    /// Of the bytes as received.
    sha256: &'a str,
    /// Of the bytes without trace headers (see [`content_sha256`]).
    content_sha256: &'a str,
    /// The Message-ID it claims, if any.
    message_id: Option<&'a str>,
}

/// A message already in the ledger, as found again.
#[derive(sqlx::FromRow)]
struct KnownRow {
    id: i64,
    state: MessageState,
}

async fn insert(
    conn: &mut SqliteConnection,
    locator: &Locator,
    identity: Identity<'_>,
    stored: &[u8],
    size: usize,
    refused: Option<&str>,
) -> Result<Recorded> {
    // The same message: the same bytes, the same content under other trace headers, or a row
    // recorded before content identities were kept whose Message-ID is the same (the old rule,
    // all that can be said of it).
    let known: Option<KnownRow> = sqlx::query_as(
        "SELECT id, state FROM messages
         WHERE sha256 = ?1 OR content_sha256 = ?2
            OR (?3 IS NOT NULL AND message_id = ?3 AND content_sha256 IS NULL)
         ORDER BY id LIMIT 1",
    )
    .bind(identity.sha256)
    .bind(identity.content_sha256)
    .bind(identity.message_id)
    .fetch_optional(&mut *conn)
    .await
    .context("looking a message up in the ledger")?;
    if let Some(KnownRow { id, state }) = known {
        return Ok(Recorded::Known { id, state });
    }
    // A different message under a Message-ID already seen: recorded and processed like any
    // other, and the reuse is told to the operators (it may be an attempt to suppress mail).
    let reuses: Option<i64> = match identity.message_id {
        Some(id) => sqlx::query_scalar("SELECT min(id) FROM messages WHERE message_id = ?")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .context("looking a Message-ID up in the ledger")?,
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (message_id, sha256, content_sha256, reuses_id_of, size,
                               source_folder, source_uid, received_at, refused)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(identity.message_id)
    .bind(identity.sha256)
    .bind(identity.content_sha256)
    .bind(reuses)
    .bind(i64::try_from(size).unwrap_or(i64::MAX))
    .bind(&locator.folder)
    .bind(format!("{}:{}", locator.uid_validity, locator.uid))
    .bind(now())
    .bind(refused)
    .fetch_one(&mut *conn)
    .await
    .context("recording a message in the ledger")?;
    sqlx::query("INSERT INTO message_bodies (message_id, raw) VALUES (?, ?)")
        .bind(id)
        .bind(stored)
        .execute(&mut *conn)
        .await
        .context("storing a message's bytes in the ledger")?;
    if let Some(earlier) = reuses {
        tracing::warn!(
            ledger_id = id,
            earlier,
            "a different message reuses a Message-ID already recorded"
        );
    }
    Ok(Recorded::New(id))
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

/// The case an earlier message with one of these Message-IDs was filed on.
pub async fn case_of_message_ids(
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
