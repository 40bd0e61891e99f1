//! Stage 5, the case workflow: takes each recorded message from the ledger through parse,
//! extract and match, files what it carried on the right case, moves the case, and queues
//! the replies — all in one transaction, so a crash leaves either everything or nothing.
//!
//! Its rooms:
//!
//! | room | what it is about |
//! |---|---|
//! | this file, `received`, `facts`, `guards`, [`outcome`] | a message as it arrives: its savepoint and span, what matching needs, the reply limit, what the ledger records |
//! | [`plan`], [`apply`] | decide, then apply: a case's changes computed in pure code from a snapshot, written by one applier |
//! | [`procedure`] | the procedure's rules: requirements, steps, the items a message carries, the filing decision |
//! | [`operator`] | an operator's reply: commands, token and sender checks, the decision, its applier |
//! | [`schedule`] | the clock: working days, which reminder is due, the digest, the expiry watch |
//! | [`records`] | cases and items, the timeline, accepted contacts, the evidence bundle |
//! | [`holds`] | mail from strangers, held until an operator decides |
//! | [`mail`] | what is written: one typed context per template, one constructor per kind of recipient |
//! | [`delivery`], `bounces` | mail that did not arrive: given up by the transport, or reported back |
//!
//! A message is handled inside its own savepoint (`process_one`) and tracing span (ledger
//! id, then case). `received` routes it; a filing is decided in pure code (`filing::decide`,
//! from a `plan::Snapshot` of the case) and written by the one applier (`apply`); the
//! replies are composed from the case as the plan leaves it, the operators' token issued
//! last; the ledger keeps a typed [`Outcome`].

pub mod apply;
mod bounces;
pub mod delivery;
mod facts;
mod guards;
pub mod holds;
pub mod mail;
pub mod operator;
pub mod outcome;
pub mod plan;
pub mod procedure;
mod received;
pub mod records;
pub mod schedule;

use anyhow::{Context, Result};
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tracing::Instrument;

pub use crate::domain::ItemKind;
// Each room's modules are named here too, so code anywhere in the workflow reaches them
// by what they are (`super::cases`) rather than by which room they stand in.
pub use operator::{authres, tokens};
pub use operator::{command, commands};
pub use outcome::Outcome;
use procedure::{filing, materials, several};
pub use procedure::{requirements, step};
pub use records::{audit, cases, contacts, export};
pub use requirements::Requirements;
pub use schedule::calendar;
pub use step::{Step, WaitingOn};

use crate::db::begin_write;
use crate::domain::CaseRef;
use crate::extract::{extract, Checks, Extraction};
use crate::ledger::{self, LedgerMessage, MessageState};
use crate::outbox::Composer;
use crate::parse::{parse_within, Limits, ParsedMessage};
use crate::settings::{CertificateSettings, Settings};
use cases::{Case, NewCase};
use plan::{CasePlan, Change, Snapshot};

/// What the workflow stage needs, built once at start-up.
pub struct Workflow {
    /// Configuration.
    pub settings: Settings,
    /// Per-service requirements.
    pub requirements: Requirements,
    /// Builds outgoing mail.
    pub composer: Composer,
    /// Working days and holidays.
    pub calendar: schedule::calendar::Calendar,
    /// Signs operator tokens.
    pub token_key: tokens::TokenKey,
}

/// What happened to one message.
#[derive(Debug, Clone)]
pub struct Handled {
    /// Ledger row.
    pub ledger_id: i64,
    /// Final state.
    pub state: MessageState,
    /// What was done.
    pub outcome: Outcome,
    /// The case it was filed on.
    pub case: Option<CaseRef>,
}

/// Most messages handled in one transaction.
pub const BATCH_MESSAGES: usize = 32;
/// Most bytes of messages held for one transaction.
pub const BATCH_BYTES: i64 = 8 << 20;

/// Handles the oldest messages waiting in the ledger, up to [`BATCH_MESSAGES`] and
/// [`BATCH_BYTES`], in one transaction: parsed and extracted together off the async threads,
/// then each applied inside its own savepoint, so a message that fails is rolled back alone
/// and quarantined, and the batch commits once. Returns what happened, oldest first; empty
/// when nothing is waiting.
pub async fn process_batch(pool: &SqlitePool, wf: &Workflow) -> Result<Vec<Handled>> {
    let messages = {
        let mut conn = pool.acquire().await.context("opening the database")?;
        ledger::next_received_batch(&mut conn, BATCH_MESSAGES, BATCH_BYTES).await?
    };
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let limits = wf.settings.limits;
    let certs = wf.settings.certificates.clone();
    let inputs: Vec<(Vec<u8>, Option<String>)> = messages
        .iter()
        .map(|m| match &m.refused {
            Some(reason) => (Vec::new(), Some(reason.clone())),
            None => (m.raw.clone(), None),
        })
        .collect();
    let analyses: Vec<Result<(ParsedMessage, Extraction), String>> =
        crate::cpu::map(inputs, move |(raw, refused)| match refused {
            Some(reason) => Err(reason),
            None => analyse(&raw, &limits, &certs),
        })
        .await
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err("the parser failed on this message".to_string())))
        .collect();
    let mut tx = begin_write(pool).await?;
    let mut handled = Vec::with_capacity(messages.len());
    for (message, analysis) in messages.iter().zip(&analyses) {
        let span = tracing::info_span!(
            "message",
            ledger_id = message.id,
            case = tracing::field::Empty
        );
        let done = process_one(&mut tx, wf, message, analysis)
            .instrument(span)
            .await?;
        handled.push(done);
    }
    tx.commit().await.context("committing processed messages")?;
    Ok(handled)
}

/// Handles one message inside its own savepoint: what it did is kept whole, or undone whole
/// and the message quarantined instead.
async fn process_one(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    analysis: &Result<(ParsedMessage, Extraction), String>,
) -> Result<Handled> {
    let mut savepoint = conn.begin().await.context("starting a savepoint")?;
    let result = match analysis {
        Ok((parsed, ex)) => received::handle(&mut savepoint, wf, message, parsed, ex).await,
        Err(reason) => quarantine(&mut savepoint, wf, message, reason).await,
    };
    match result {
        Ok(done) => {
            savepoint.commit().await.context("ending a savepoint")?;
            Ok(done)
        }
        Err(error) => {
            // One bad message must not block the ones behind it: undo what it did and
            // quarantine it, so the operators look at it instead.
            savepoint
                .rollback()
                .await
                .context("rolling back a failed message")?;
            tracing::error!(error = %format!("{error:#}"), "processing failed; quarantining");
            let reason = format!("internal error while processing: {error:#}");
            quarantine(conn, wf, message, &reason).await
        }
    }
}

/// Parses and extracts one message (CPU only; the caller runs it off the async threads).
fn analyse(
    raw: &[u8],
    limits: &Limits,
    certs: &CertificateSettings,
) -> Result<(ParsedMessage, Extraction), String> {
    let parsed = parse_within(raw, limits).map_err(|e| e.to_string())?;
    let checks = Checks {
        now: crate::clock::now(),
        expiry_warning_days: certs.expiry_warning_days,
        min_rsa_bits: certs.min_rsa_bits,
        min_ec_bits: certs.min_ec_bits,
        max_certificates: limits.max_certificates,
    };
    let ex = extract(&parsed, &checks);
    Ok((parsed, ex))
}

async fn quarantine(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    reason: &str,
) -> Result<Handled> {
    tracing::warn!(%reason, "message quarantined");
    let draft = mail::operators::quarantine(wf, message, reason);
    wf.composer.enqueue(conn, draft).await?;
    let outcome = Outcome::Quarantined(reason.to_string());
    finish(
        conn,
        message.id,
        MessageState::Quarantined,
        outcome,
        None,
        None,
    )
    .await
}

/// Records what became of message `ledger_id` in the ledger.
async fn finish(
    conn: &mut SqliteConnection,
    ledger_id: i64,
    state: MessageState,
    outcome: Outcome,
    case_id: Option<i64>,
    language: Option<&str>,
) -> Result<Handled> {
    let text = outcome.to_string();
    if !ledger::finish(conn, ledger_id, state, &text, case_id, language).await? {
        anyhow::bail!("message {ledger_id} was no longer waiting; another process handled it");
    }
    Ok(Handled {
        ledger_id,
        state,
        outcome,
        case: None,
    })
}

/// Records that `ledger_id` was handled on `case`.
async fn finish_on_case(
    conn: &mut SqliteConnection,
    ledger_id: i64,
    outcome: Outcome,
    case: &Case,
    language: Option<&str>,
) -> Result<Handled> {
    let state = MessageState::Processed;
    let mut handled = finish(conn, ledger_id, state, outcome, Some(case.id), language).await?;
    handled.case = Some(case.reference.clone());
    Ok(handled)
}

/// Opens a case by hand (CLI) and queues the first mail to the beneficiary.
pub async fn open_case(pool: &SqlitePool, wf: &Workflow, new: &NewCase) -> Result<Case> {
    let mut tx = begin_write(pool).await?;
    let case = cases::open(&mut tx, new).await?;
    let mut changes = vec![filing::opened(&case)];
    if let Some(name) = &case.system_name {
        // Typed by an operator: it needs no confirmation.
        changes.push(Change::File {
            kind: ItemKind::SystemName,
            value: name.clone(),
            detail: serde_json::json!({}),
            status: cases::ItemStatus::Confirmed,
        });
    }
    let before = Snapshot {
        case: case.clone(),
        items: Vec::new(),
    };
    let missing = before.with(&changes).missing(&wf.requirements);
    let plan = CasePlan {
        case_id: case.id,
        actor: audit::Actor::cli(),
        cause: None,
        changes,
    };
    apply::apply(&mut tx, &plan).await?;
    wf.composer
        .enqueue(&mut tx, mail::beneficiary::case_opened(wf, &case, &missing))
        .await?;
    tx.commit().await.context("committing a new case")?;
    tracing::info!(case = %case.reference, service = %case.service, "case opened by hand");
    Ok(case)
}
