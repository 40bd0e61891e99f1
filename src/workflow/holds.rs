//! Mail held for the operators: a message tied to a case only by its tag or its thread, from
//! an address the case does not trust. It is recorded and kept, nothing is filed, the sender
//! gets a receipt that says nothing of the case, and the operators decide with a token:
//! `ACCEPT` (the sender becomes a contact of the case and the message is filed) or `REJECT`.
//! This module owns the `holds` table.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{Connection, Row, SqliteConnection};

use super::audit::{self, Actor};
use super::cases::{self, Case};
use super::commands::{self, Decision};
use super::operator::{self, Attempt};
use super::tokens::{self, Refusal, TokenRow};
use super::{contacts, finish, guards, notices, replies, Handled, Workflow};
use crate::db::now;
use crate::domain::EmailAddress;
use crate::extract::Extraction;
use crate::ledger::{self, LedgerMessage, MessageState};
use crate::matching::MatchedBy;
use crate::outbox::{Draft, Purpose};
use crate::parse::ParsedMessage;

/// Where a held message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldState {
    Held,
    Accepted,
    Rejected,
}

impl HoldState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    fn from_db(s: &str) -> Result<Self> {
        match s {
            "held" => Ok(Self::Held),
            "accepted" => Ok(Self::Accepted),
            "rejected" => Ok(Self::Rejected),
            other => anyhow::bail!("unknown hold state '{other}'"),
        }
    }
}

/// A held message as stored.
struct Hold {
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
    let hold_id: i64 = sqlx::query_scalar(
        "INSERT INTO holds (case_id, message_id, sender, held_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(case.id)
    .bind(message.id)
    .bind(sender.as_str())
    .bind(now())
    .fetch_one(&mut *conn)
    .await
    .context("holding a message")?;
    // A note, not a change: a stranger's mail must not make the operators' tokens stale.
    audit::note(
        conn,
        case.id,
        &Actor::Mail(sender.as_str().to_string()),
        Some(message.id),
        "held",
        json!({ "sender": sender.as_str(), "matched_by": matched_by(by), "hold": hold_id }),
    )
    .await?;
    let replied = guards::may_reply(conn, wf, message, sender).await?;
    if replied {
        wf.composer
            .enqueue(conn, receipt(wf, message, parsed, ex))
            .await?;
    }
    let token = notices::hold_token(conn, wf, case, hold_id).await?;
    let same_domain = sender.domain() == case.contact.domain();
    let context = json!({
        "case": replies::case_view(case),
        "sender": sender.as_str(),
        "sender_name": parsed.from_name,
        "same_domain": same_domain,
        "matched_by": matched_by(by),
        "subject": parsed.subject,
        "found": replies::found_view(ex),
        "problems": ex.problems,
        "private_key": ex.has_private_key(),
        "excerpt": replies::excerpt(&parsed.text),
        "token": token,
        "replied": replied,
    });
    let notice = replies::to_operators(
        wf,
        Purpose::OperatorHeld,
        "held",
        message,
        Some(case),
        context,
        true,
    );
    wf.composer.enqueue(conn, notice).await?;
    let outcome = format!(
        "held for the operators: {sender} is not a contact of {}",
        case.reference
    );
    tracing::warn!(ledger_id = message.id, case = %case.reference, %sender, "message from an address the case does not trust; held");
    let mut handled = finish(
        conn,
        message.id,
        MessageState::Processed,
        &outcome,
        Some(case.id),
        ex.language.map(|l| l.code()),
    )
    .await?;
    handled.case = Some(case.reference.clone());
    Ok(handled)
}

fn matched_by(by: MatchedBy) -> &'static str {
    match by {
        MatchedBy::Reference => "reference",
        MatchedBy::Thread => "thread",
        MatchedBy::Sender => "sender",
    }
}

/// The receipt a held message's sender gets: it names no case, service, institution or item.
fn receipt(
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Draft {
    let context = json!({ "private_key": ex.has_private_key() });
    let language = ex.language.unwrap_or(wf.settings.agency.default_language);
    replies::reply(
        Purpose::Receipt,
        "receipt",
        message,
        parsed,
        language,
        None,
        context,
    )
}

/// An operator's answer carrying a token issued for held message `hold_id`.
pub(super) async fn decide(
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
    let decision = match commands::parse_decision(&operator::top_of(who.parsed)) {
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
        hold_id,
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
    tracing::info!(ledger_id = who.message.id, case = %case.reference, operator = %operator_address, decision = %done, "held message decided");
    let outcome = format!("operator decision on {}: {done}", case.reference);
    let mut handled = finish(
        conn,
        who.message.id,
        MessageState::Processed,
        &outcome,
        Some(case.id),
        None,
    )
    .await?;
    handled.case = Some(case.reference.clone());
    Ok(handled)
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
    let hold_id: i64 = sqlx::query_scalar(
        "SELECT id FROM holds WHERE case_id = ? AND message_id = ? AND state = 'held'",
    )
    .bind(case.id)
    .bind(message)
    .fetch_optional(&mut *tx)
    .await
    .context("looking up a held message")?
    .with_context(|| {
        format!(
            "no message #{message} waits for a decision on {}",
            case.reference
        )
    })?;
    let hold = by_id(&mut tx, hold_id).await?;
    let done = apply(
        &mut tx,
        wf,
        case,
        &hold,
        hold_id,
        decision,
        &Actor::cli(),
        None,
    )
    .await?;
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
    hold_id: i64,
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
                "hold_rejected",
                json!({ "sender": hold.sender.as_str(), "held_message": hold.message_id, "reason": reason }),
            )
            .await?;
            (HoldState::Rejected, format!("REJECT {}", hold.sender))
        }
    };
    decided(conn, hold_id, state, actor).await?;
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
        "contact_added",
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
        super::analyse(&raw, &limits, &certs)
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
    let filing = super::filing::file(
        conn,
        wf,
        current,
        false,
        hold.message_id,
        hold.sender.as_str(),
        &ex,
    )
    .await?;
    super::answer(
        conn,
        wf,
        &held,
        &parsed,
        &ex,
        &filing,
        "accepted by an operator",
    )
    .await?;
    Ok(())
}

async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Hold> {
    let row = sqlx::query("SELECT case_id, message_id, sender, state FROM holds WHERE id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("reading held message {id}"))?;
    Ok(Hold {
        case_id: row.get(0),
        message_id: row.get(1),
        sender: row.get::<&str, _>(2).parse()?,
        state: HoldState::from_db(row.get(3))?,
    })
}

async fn decided(conn: &mut SqliteConnection, id: i64, state: HoldState, by: &Actor) -> Result<()> {
    sqlx::query("UPDATE holds SET state = ?, decided_at = ?, decided_by = ? WHERE id = ? AND state = 'held'")
        .bind(state.as_str())
        .bind(now())
        .bind(by.as_string())
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("recording a decision on a held message")?;
    Ok(())
}

/// A message waiting for the operators' decision, as `case show` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Held {
    /// Its ledger row.
    pub message: i64,
    /// Who sent it.
    pub sender: String,
    /// When it was held.
    pub held_at: String,
}

/// The messages held on a case that wait for the operators' decision, oldest first.
pub async fn waiting_on(conn: &mut SqliteConnection, case_id: i64) -> Result<Vec<Held>> {
    let rows = sqlx::query(
        "SELECT message_id, sender, held_at FROM holds WHERE case_id = ? AND state = 'held' ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await
    .context("reading a case's held messages")?;
    Ok(rows
        .iter()
        .map(|r| Held {
            message: r.get(0),
            sender: r.get(1),
            held_at: r.get(2),
        })
        .collect())
}
