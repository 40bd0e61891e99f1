//! The `imap_cursors` table: per folder, the UIDVALIDITY seen and the highest UID recorded.

use anyhow::{Context, Result};
use sqlx::SqlitePool;

/// Where incremental sync of one folder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The folder's UIDVALIDITY when the cursor was written.
    pub uid_validity: u32,
    /// Every message up to this UID is in the ledger.
    pub last_uid: u32,
}

/// An `imap_cursors` row as read.
#[derive(sqlx::FromRow)]
struct CursorRow {
    uid_validity: i64,
    last_uid: i64,
}

/// The stored cursor of `folder`, if any.
pub async fn load(pool: &SqlitePool, folder: &str) -> Result<Option<Cursor>> {
    let row: Option<CursorRow> =
        sqlx::query_as("SELECT uid_validity, last_uid FROM imap_cursors WHERE folder = ?")
            .bind(folder)
            .fetch_optional(pool)
            .await
            .context("reading the IMAP cursor")?;
    // Stored as INTEGER (SQLite has no unsigned type); anything out of range reads as 0,
    // which only makes the folder rescan.
    Ok(row.map(|r| Cursor {
        uid_validity: u32::try_from(r.uid_validity).unwrap_or(0),
        last_uid: u32::try_from(r.last_uid).unwrap_or(0),
    }))
}

/// Stores the cursor of `folder`.
pub async fn store(pool: &SqlitePool, folder: &str, cursor: Cursor) -> Result<()> {
    sqlx::query(
        "INSERT INTO imap_cursors (folder, uid_validity, last_uid) VALUES (?, ?, ?)
         ON CONFLICT (folder) DO UPDATE SET uid_validity = excluded.uid_validity,
                                            last_uid = excluded.last_uid",
    )
    .bind(folder)
    .bind(i64::from(cursor.uid_validity))
    .bind(i64::from(cursor.last_uid))
    .execute(pool)
    .await
    .context("storing the IMAP cursor")?;
    Ok(())
}
