//! The audit trail: every change to a case, what caused it and who, appended to
//! `case_events` (the database refuses updates and deletes) and bumping the case's version,
//! so an operator's token names exactly the data they saw.

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use sqlx::{Row, SqliteConnection};

use crate::db::now;

/// Who caused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The daemon, on its own (a mail it read, a clock it watched).
    Daemon,
    /// Someone writing from this address (a beneficiary or an operator).
    Mail(String),
    /// An operator at the command line.
    Cli(String),
}

impl Actor {
    /// The stored form.
    pub fn as_string(&self) -> String {
        match self {
            Actor::Daemon => "daemon".into(),
            Actor::Mail(address) => address.clone(),
            Actor::Cli(user) => format!("cli:{user}"),
        }
    }

    /// The operator at this terminal, by login name.
    pub fn cli() -> Self {
        Actor::Cli(std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
    }
}

/// One entry of a case's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// The ledger message that caused it, if any.
    pub message: Option<i64>,
    /// What happened (`opened`, `item_filed`, `item_confirmed`, `step`, ...).
    pub kind: String,
    /// Details.
    pub detail: Value,
}

/// Records a change to `case_id` and bumps the case's version.
pub async fn record(
    conn: &mut SqliteConnection,
    case_id: i64,
    actor: &Actor,
    message: Option<i64>,
    kind: &str,
    detail: Value,
) -> Result<()> {
    note(conn, case_id, actor, message, kind, detail).await?;
    sqlx::query("UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ?")
        .bind(now())
        .bind(case_id)
        .execute(&mut *conn)
        .await
        .context("bumping a case's version")?;
    Ok(())
}

/// Records something that happened around a case without changing its data (a reminder
/// sent, a refused command): the version stays, so tokens issued before remain good.
pub async fn note(
    conn: &mut SqliteConnection,
    case_id: i64,
    actor: &Actor,
    message: Option<i64>,
    kind: &str,
    detail: Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, at, actor, message_id, kind, detail)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(case_id)
    .bind(now())
    .bind(actor.as_string())
    .bind(message)
    .bind(kind)
    .bind(detail.to_string())
    .execute(&mut *conn)
    .await
    .context("recording a case event")?;
    Ok(())
}

/// The timeline of a case, oldest first.
pub async fn timeline(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT at, actor, message_id, kind, detail FROM case_events WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's timeline")?;
    Ok(rows
        .iter()
        .map(|r| Event {
            at: r.get(0),
            actor: r.get(1),
            message: r.get(2),
            kind: r.get(3),
            detail: serde_json::from_str(r.get(4)).unwrap_or_default(),
        })
        .collect())
}
