//! Mail held for the operators: a message tied to a case only by its tag or its thread, from
//! an address the case does not trust. It is recorded and kept, nothing is filed, the sender
//! gets a receipt that says nothing of the case, and the operators decide with a token:
//! `ACCEPT` (the sender becomes a contact of the case and the message is filed) or `REJECT`.
//! This module owns the `holds` table.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::SqliteConnection;

mod decide;

pub(super) use decide::decide;
pub use decide::decide_by_hand;

use super::audit::{self, Actor, EventKind};
use super::cases::Case;
use super::mail::operators::{self, Original};
use super::mail::{beneficiary, excerpt, CaseView, Found, OperatorHeld};
use super::{finish_on_case, guards, Handled, Workflow};
use crate::db::now;
use crate::domain::EmailAddress;
use crate::extract::Extraction;
use crate::ledger::LedgerMessage;
use crate::matching::MatchedBy;
use crate::parse::ParsedMessage;

/// Where a held message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldState {
    Held,
    Accepted,
    Rejected,
}

crate::db::stored_names!(HoldState {
    Held => "held",
    Accepted => "accepted",
    Rejected => "rejected",
});

/// A held message as stored.
#[derive(sqlx::FromRow)]
struct Hold {
    id: i64,
    case_id: i64,
    message_id: i64,
    sender: EmailAddress,
    state: HoldState,
}

/// Holds `message` on `case`: recorded, a neutral receipt to the sender, the operators asked.
#[allow(clippy::too_many_arguments)]
pub(super) async fn hold(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    case: &Case,
    by: MatchedBy,
    sender: &EmailAddress,
) -> Result<Handled> {
    let hold_id = insert(conn, case.id, message.id, sender).await?;
    // A note, not a change: a stranger's mail must not make the operators' tokens stale.
    audit::note(
        conn,
        case.id,
        &Actor::Mail(sender.as_str().to_string()),
        Some(message.id),
        EventKind::Held,
        json!({ "sender": sender.as_str(), "matched_by": by.as_str(), "hold": hold_id }),
    )
    .await?;
    let replied = guards::may_reply(conn, wf, message, sender).await?;
    if replied {
        wf.composer
            .enqueue(conn, beneficiary::receipt(wf, message, parsed, ex))
            .await?;
    }
    let token = operators::hold_token(conn, wf, case, hold_id).await?;
    let mail = OperatorHeld {
        case: CaseView::of(case),
        sender: sender.as_str().to_string(),
        sender_name: parsed.from_name.clone(),
        same_domain: sender.domain() == case.contact.domain(),
        disowned: super::facts::disowned(wf, parsed, sender),
        matched_by: by.as_str(),
        subject: parsed.subject.clone(),
        found: Found::all(ex),
        problems: ex.problems.clone(),
        private_key: ex.has_private_key(),
        excerpt: excerpt(&parsed.text),
        token,
        replied,
    };
    let agency = &wf.settings.agency;
    let notice = operators::about(
        agency,
        "held",
        message,
        Original::Attached,
        Some(case),
        mail,
    );
    wf.composer.enqueue(conn, notice).await?;
    let outcome = format!(
        "held for the operators: {sender} is not a contact of {}",
        case.reference
    );
    tracing::warn!(ledger_id = message.id, case = %case.reference, %sender, "message from an address the case does not trust; held");
    let language = ex.language.map(|l| l.code());
    finish_on_case(conn, message.id, &outcome, case, language).await
}

/// Records `message` as held on case `case_id`; returns the hold's row id.
async fn insert(
    conn: &mut SqliteConnection,
    case_id: i64,
    message: i64,
    sender: &EmailAddress,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO holds (case_id, message_id, sender, held_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(case_id)
    .bind(message)
    .bind(sender.as_str())
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .context("holding a message")
}

/// The hold still waiting on case `case_id` for ledger message `message`, if any.
async fn waiting_for(
    conn: &mut SqliteConnection,
    case_id: i64,
    message: i64,
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM holds WHERE case_id = ? AND message_id = ? AND state = 'held'",
    )
    .bind(case_id)
    .bind(message)
    .fetch_optional(&mut *conn)
    .await
    .context("looking up a held message")
}

async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Hold> {
    sqlx::query_as("SELECT id, case_id, message_id, sender, state FROM holds WHERE id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("reading held message {id}"))
}

async fn decided(conn: &mut SqliteConnection, id: i64, state: HoldState, by: &Actor) -> Result<()> {
    sqlx::query("UPDATE holds SET state = ?, decided_at = ?, decided_by = ? WHERE id = ? AND state = 'held'")
        .bind(state)
        .bind(now())
        .bind(by.as_string())
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("recording a decision on a held message")?;
    Ok(())
}

/// A message waiting for the operators' decision, as `case show` lists it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Held {
    /// Its ledger row.
    #[sqlx(rename = "message_id")]
    pub message: i64,
    /// Who sent it.
    pub sender: String,
    /// When it was held.
    pub held_at: String,
}

/// The messages held on a case that wait for the operators' decision, oldest first.
pub async fn waiting_on(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Held>> {
    sqlx::query_as(
        "SELECT message_id, sender, held_at FROM holds WHERE case_id = ? AND state = 'held' ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's held messages")
}
