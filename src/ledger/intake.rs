//! Recording a fetched message: its identity (bytes, content without trace headers,
//! Message-ID) looked up first, so a message already in the ledger is never recorded twice.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use super::{content_sha256, without_private_keys, MessageState, Recorded};
use crate::db::now;
use crate::mailbox::Locator;
use crate::parse::message_id_of;

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
