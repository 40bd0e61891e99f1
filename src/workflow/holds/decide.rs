//! The operators' decision on a held message, by mail (a hold token and `ACCEPT` or
//! `REJECT`) or at the command line: accepted, the sender becomes a contact of the case and
//! the message is filed and answered as if the contact had sent it; rejected, nothing is
//! filed and the sender hears nothing more.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{Connection, SqliteConnection};

use super::{by_id, decided, waiting_for, Hold, HoldState};
use crate::ledger::{self, LedgerMessage};
use crate::workflow::audit::{self, Actor, EventKind};
use crate::workflow::cases::{self, Case};
use crate::workflow::commands::{self, Decision};
use crate::workflow::operator::{self, Attempt};
use crate::workflow::received::{answer, Incoming};
use crate::workflow::tokens::{self, Refusal, TokenRow};
use crate::workflow::{contacts, finish_on_case, Handled, Outcome, Workflow};

/// An operator's answer carrying a token issued for held message `hold_id`.
pub(in crate::workflow) async fn decide(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    who: &Attempt<'_>,
    row: &TokenRow,
    hold_id: i64,
) -> Result<Handled> {
    let hold = by_id(conn, hold_id).await?;
    let case = cases::by_id(conn, hold.case_id).await?;
    if hold.state != HoldState::Held {
        let detail = format!("the message was already {}", hold.state.as_str());
        return operator::refuse(conn, wf, who, Some(&case), Refusal::Used, &detail).await;
    }
    let decision = match operator::read(who.parsed, commands::parse_decision) {
        Ok(Some(d)) => d,
        Ok(None) => {
            return operator::refuse(conn, wf, who, Some(&case), Refusal::NoCommand, "").await
        }
        Err(e) => {
            return operator::refuse(conn, wf, who, Some(&case), Refusal::BadCommand, &e).await
        }
    };
    let operator_address = who.sender;
    let actor = Actor::Mail(operator_address.as_str().to_string());
    let mut savepoint = conn.begin().await.context("starting a savepoint")?;
    if !tokens::spend(&mut savepoint, row.id, Some(who.message.id)).await? {
        drop(savepoint);
        return operator::refuse(conn, wf, who, Some(&case), Refusal::Used, "").await;
    }
    let done = apply(
        &mut savepoint,
        wf,
        &case,
        &hold,
        &decision,
        &actor,
        Some(who.message.id),
    )
    .await?;
    savepoint.commit().await.context("committing a savepoint")?;
    let now = cases::by_id(conn, case.id).await?;
    let key = format!("mail:{}", who.message.id);
    operator::acknowledge(
        conn,
        wf,
        &key,
        operator_address,
        &now,
        std::slice::from_ref(&done),
    )
    .await?;
    crate::workflow::received::on_case(&case);
    tracing::info!(operator = %operator_address, decision = %done, "held message decided");
    let case_ref = case.reference.clone();
    let outcome = Outcome::Decided {
        case: case_ref,
        done,
    };
    finish_on_case(conn, who.message.id, outcome, &case, None).await
}

/// Decides on the message held on `case` as ledger message `message`, typed at the command
/// line (no token: the terminal is the operator's). Returns what was done.
pub async fn decide_by_hand(
    pool: &sqlx::SqlitePool,
    wf: &Workflow,
    case: &Case,
    message: i64,
    decision: &Decision,
) -> Result<String> {
    let mut tx = crate::db::begin_write(pool).await?;
    let hold_id = waiting_for(&mut tx, case.id, message)
        .await?
        .with_context(|| {
            format!(
                "no message #{message} waits for a decision on {}",
                case.reference
            )
        })?;
    let hold = by_id(&mut tx, hold_id).await?;
    let done = apply(&mut tx, wf, case, &hold, decision, &Actor::cli(), None).await?;
    tx.commit().await.context("committing a decision")?;
    tracing::info!(case = %case.reference, decision = %done, "held message decided by hand");
    Ok(done)
}

/// Carries out a decision: accepted (contact added, message filed and answered) or
/// rejected (noted); the hold is marked either way.
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    hold: &Hold,
    decision: &Decision,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<String> {
    let (state, done) = match decision {
        Decision::Accept => {
            accept(conn, wf, case, hold, actor, cause).await?;
            (HoldState::Accepted, format!("ACCEPT {}", hold.sender))
        }
        Decision::Reject(reason) => {
            audit::note(
                conn,
                case.id,
                actor,
                cause,
                EventKind::HoldRejected,
                json!({ "sender": hold.sender.as_str(), "held_message": hold.message_id, "reason": reason }),
            )
            .await?;
            (HoldState::Rejected, format!("REJECT {}", hold.sender))
        }
    };
    decided(conn, hold.id, state, actor).await?;
    Ok(done)
}

/// The sender becomes a contact of the case, and what the held message carried is filed and
/// answered as if it had come from the contact.
async fn accept(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    hold: &Hold,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<()> {
    contacts::add(conn, case.id, &hold.sender, actor, cause).await?;
    audit::record(
        conn,
        case.id,
        actor,
        cause,
        EventKind::ContactAdded,
        json!({ "address": hold.sender.as_str(), "held_message": hold.message_id }),
    )
    .await?;
    let raw = ledger::raw_of(conn, hold.message_id).await?;
    let held = LedgerMessage {
        id: hold.message_id,
        raw,
        refused: None,
        reuses_id_of: None,
    };
    let limits = wf.settings.limits;
    let certs = wf.settings.certificates.clone();
    let bytes = held.raw.clone();
    let analysis = crate::cpu::map(vec![bytes], move |raw| {
        crate::workflow::analyse(&raw, &limits, &certs)
    })
    .await
    .pop()
    .flatten();
    let (parsed, ex) = match analysis {
        Some(Ok(done)) => done,
        Some(Err(reason)) => anyhow::bail!("the held message cannot be read again: {reason}"),
        None => anyhow::bail!("the parser failed on the held message"),
    };
    let current = cases::by_id(conn, case.id).await?;
    let filing = crate::workflow::filing::file(
        conn,
        wf,
        current,
        false,
        hold.message_id,
        hold.sender.as_str(),
        &ex,
    )
    .await?;
    let mail = Incoming {
        message: &held,
        parsed: &parsed,
        ex: &ex,
        sender: hold.sender.clone(),
    };
    answer(
        conn,
        wf,
        &mail,
        &filing,
        crate::matching::MatchedBy::Accepted,
    )
    .await?;
    Ok(())
}
