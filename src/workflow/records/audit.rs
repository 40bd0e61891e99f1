//! The audit trail: every change to a case, what caused it and who, appended to
//! `case_events` (the database refuses updates and deletes) and bumping the case's version,
//! so an operator's token names exactly the data they saw. This module owns `case_events`.

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use sqlx::SqliteConnection;

use super::super::cases;
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

/// What happened to a case; stored by name in `case_events.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The case was opened (by mail, an operator or the expiry watch).
    Opened,
    /// An item was filed from mail.
    ItemFiled,
    /// An operator confirmed an item.
    ItemConfirmed,
    /// An operator set an item's value.
    ItemSet,
    /// An operator rejected the materials.
    MaterialsRejected,
    /// The case moved to another step.
    Step,
    /// The beneficiary wrote in another language.
    Language,
    /// A message from an address the case does not trust was held.
    Held,
    /// An operator rejected a held message.
    HoldRejected,
    /// An operator accepted a held message: its sender became a contact.
    ContactAdded,
    /// A delivery report named one of the case's mails.
    Bounce,
    /// An operator's command was not obeyed.
    CommandRefused,
    /// The beneficiary was reminded.
    Reminder,
    /// The operators were told the beneficiary did not answer the reminders.
    Escalated,
    /// The operators were reminded of an agency-side deadline.
    DeadlineReminder,
    /// A certificate's holder was told it expires soon.
    ExpiryNotice,
}

crate::db::stored_names!(EventKind {
    Opened => "opened",
    ItemFiled => "item_filed",
    ItemConfirmed => "item_confirmed",
    ItemSet => "item_set",
    MaterialsRejected => "materials_rejected",
    Step => "step",
    Language => "language",
    Held => "held",
    HoldRejected => "hold_rejected",
    ContactAdded => "contact_added",
    Bounce => "bounce",
    CommandRefused => "command_refused",
    Reminder => "reminder",
    Escalated => "escalated",
    DeadlineReminder => "deadline_reminder",
    ExpiryNotice => "expiry_notice",
});

/// One entry of a case's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// The ledger message that caused it, if any.
    pub message: Option<i64>,
    /// What happened.
    pub kind: EventKind,
    /// Details.
    pub detail: Value,
}

/// Records a change to `case_id` and bumps the case's version.
pub async fn record(
    conn: &mut SqliteConnection,
    case_id: i64,
    actor: &Actor,
    message: Option<i64>,
    kind: EventKind,
    detail: Value,
) -> Result<()> {
    note(conn, case_id, actor, message, kind, detail).await?;
    cases::bump_version(conn, case_id).await
}

/// Records something that happened around a case without changing its data (a reminder
/// sent, a refused command): the version stays, so tokens issued before remain good.
pub async fn note(
    conn: &mut SqliteConnection,
    case_id: i64,
    actor: &Actor,
    message: Option<i64>,
    kind: EventKind,
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

/// A `case_events` row as read.
#[derive(sqlx::FromRow)]
struct EventRow {
    at: String,
    actor: String,
    message_id: Option<i64>,
    kind: EventKind,
    detail: String,
}

/// The timeline of a case, oldest first.
pub async fn timeline(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Event>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT at, actor, message_id, kind, detail FROM case_events WHERE case_id = ? ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's timeline")?;
    Ok(rows
        .into_iter()
        .map(|r| Event {
            at: r.at,
            actor: r.actor,
            message: r.message_id,
            kind: r.kind,
            detail: serde_json::from_str(&r.detail).unwrap_or_default(),
        })
        .collect())
}
