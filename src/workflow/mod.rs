//! Stage 5, the case workflow: takes each recorded message from the ledger through parse,
//! extract and match, files what it carried on the right case, moves the case, and queues
//! the replies — all in one transaction, so a crash leaves either everything or nothing.

pub mod apply;
pub mod audit;
pub mod authres;
mod bounces;
pub mod cases;
pub mod contacts;
pub mod delivery;
pub mod export;
mod facts;
mod filing;
mod guards;
pub mod holds;
pub mod mail;
mod materials;
mod operator;
pub mod plan;
pub mod requirements;
pub mod schedule;
mod several;
pub mod step;
pub mod tokens;

use anyhow::{Context, Result};
use sqlx::{SqliteConnection, SqlitePool};

pub use crate::domain::ItemKind;
pub use operator::{command, commands};
pub use requirements::Requirements;
pub use schedule::calendar;
pub use step::{Step, WaitingOn};

use crate::db::begin_write;
use crate::domain::{CaseRef, EmailAddress, Service};
use crate::extract::{extract, Checks, Extraction};
use crate::ledger::{self, LedgerMessage, MessageState};
use crate::matching::{self, MatchedBy, Route};
use crate::outbox::Composer;
use crate::parse::{parse_within, Limits, ParsedMessage};
use crate::settings::{CertificateSettings, Settings};
use cases::{Case, NewCase};
use filing::{file, Filing};

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
    /// What was done, in a few words.
    pub outcome: String,
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
        sqlx::query("SAVEPOINT message")
            .execute(&mut *tx)
            .await
            .context("starting a savepoint")?;
        let result = match analysis {
            Ok((parsed, ex)) => handle(&mut tx, wf, message, parsed, ex).await,
            Err(reason) => quarantine(&mut tx, wf, message, reason).await,
        };
        let done = match result {
            Ok(done) => done,
            Err(error) => {
                // One bad message must not block the ones behind it: undo what it did and
                // quarantine it, so the operators look at it instead.
                sqlx::query("ROLLBACK TO message")
                    .execute(&mut *tx)
                    .await
                    .context("rolling back a failed message")?;
                tracing::error!(ledger_id = message.id, error = %format!("{error:#}"), "processing failed; quarantining");
                let reason = format!("internal error while processing: {error:#}");
                quarantine(&mut tx, wf, message, &reason).await?
            }
        };
        sqlx::query("RELEASE message")
            .execute(&mut *tx)
            .await
            .context("ending a savepoint")?;
        handled.push(done);
    }
    tx.commit().await.context("committing processed messages")?;
    Ok(handled)
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
    tracing::warn!(ledger_id = message.id, %reason, "message quarantined");
    let draft = mail::operators::quarantine(wf, message, reason);
    wf.composer.enqueue(conn, draft).await?;
    finish(
        conn,
        message.id,
        MessageState::Quarantined,
        reason,
        None,
        None,
    )
    .await
}

async fn handle(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Result<Handled> {
    let sender = parsed
        .from
        .clone()
        .context("parsed message without sender")?;
    // `servicii+anything@` is our own mailbox too (return paths use it).
    let ours = sender.mailbox() == wf.settings.agency.address
        || parsed
            .loop_marks
            .iter()
            .any(|m| m.contains(wf.settings.agency.address.as_str()));
    if let Some(earlier) = message.reuses_id_of {
        guards::reused_message_id(conn, wf, message, earlier, Some(&sender), &parsed.subject)
            .await?;
    }
    if !ours && parsed.automated.is_none() && operator::is_command_attempt(wf, parsed, &sender) {
        return operator::handle(conn, wf, message, parsed, &sender).await;
    }
    if let Some(report) = &parsed.report {
        if let Some(handled) = bounces::link(conn, wf, message, parsed, report).await? {
            return Ok(handled);
        }
    }
    let facts = facts::facts(conn, wf, &sender, ours, parsed, ex).await?;
    let route = matching::route(&facts);
    let language = ex.language.map(|l| l.code());
    match route {
        Route::Hold { id, by } => {
            let case = cases::by_id(conn, id).await?;
            holds::hold(conn, wf, message, parsed, ex, &case, by, &sender).await
        }
        Route::Case { id, by } => {
            let case = cases::by_id(conn, id).await?;
            let filing = file(conn, wf, case, false, message.id, sender.as_str(), ex).await?;
            tracing::info!(ledger_id = message.id, case = %filing.case.reference, matched_by = ?by, "message filed on case");
            reply_and_finish(conn, wf, message, parsed, ex, filing, by).await
        }
        Route::NewCase(service) => {
            let case = cases::open(conn, &new_case_from(&sender, ex, service)).await?;
            tracing::info!(ledger_id = message.id, case = %case.reference, %service, "case opened from a first mail");
            let filing = file(conn, wf, case, true, message.id, sender.as_str(), ex).await?;
            reply_and_finish(conn, wf, message, parsed, ex, filing, MatchedBy::Opened).await
        }
        Route::Several(targets) => {
            several::file_on_each(conn, wf, message, parsed, ex, &targets).await
        }
        Route::Redirect(target) => {
            let mut outcome = format!("redirected to the {} procedure", target.display_name());
            if guards::may_reply(conn, wf, message, &sender).await? {
                wf.composer
                    .enqueue(
                        conn,
                        mail::beneficiary::redirect(wf, message, parsed, ex, target),
                    )
                    .await?;
            } else {
                outcome.push_str(REPLY_WITHHELD);
            }
            finish(
                conn,
                message.id,
                MessageState::Processed,
                &outcome,
                None,
                language,
            )
            .await
        }
        Route::Operators(why) => {
            // The warning is an automatic answer like any other: it counts against the daily
            // limit, so forged mail cannot make the desk warn a victim over and over.
            if ex.has_private_key()
                && !matches!(why, matching::Unmatched::Automated(_))
                && guards::may_reply(conn, wf, message, &sender).await?
            {
                wf.composer
                    .enqueue(
                        conn,
                        mail::beneficiary::private_key_warning(wf, message, parsed, ex),
                    )
                    .await?;
            }
            let (draft, outcome) = mail::operators::forward(wf, message, parsed, ex, &why, &facts);
            wf.composer.enqueue(conn, draft).await?;
            tracing::info!(ledger_id = message.id, %outcome, "message forwarded to the operators");
            let case_id = match why {
                matching::Unmatched::ClosedCase(id) => Some(id),
                _ => None,
            };
            finish(
                conn,
                message.id,
                MessageState::Processed,
                &outcome,
                case_id,
                language,
            )
            .await
        }
        Route::Ignore(why) => {
            tracing::info!(
                ledger_id = message.id,
                reason = why,
                "message recorded; nothing automatic to do"
            );
            finish(
                conn,
                message.id,
                MessageState::Processed,
                why,
                None,
                language,
            )
            .await
        }
    }
}

/// The case a first mail opens for `service`: the sender is its contact, and its
/// institution is the one the mail names (or the sender's domain).
fn new_case_from(sender: &EmailAddress, ex: &Extraction, service: Service) -> NewCase {
    NewCase {
        service,
        institution: ex
            .institution
            .clone()
            .unwrap_or_else(|| sender.domain().to_string()),
        contact: sender.clone(),
        system_name: ex.system_name.clone(),
        language: ex.language,
        renews_serial: None,
    }
}

async fn reply_and_finish(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: Filing,
    matched_by: MatchedBy,
) -> Result<Handled> {
    let replied = answer(conn, wf, message, parsed, ex, &filing, matched_by).await?;
    let mut outcome = format!(
        "filed on {}: {} new item(s), {} still missing, step {}",
        filing.case.reference,
        filing.new_items.len(),
        filing.missing.len(),
        filing.case.step
    );
    if !replied {
        outcome.push_str(REPLY_WITHHELD);
    }
    let language = ex.language.map(|l| l.code());
    finish_on_case(conn, message.id, &outcome, &filing.case, language).await
}

/// Answers a filed message: the sender's acknowledgement (within the daily limit) and the
/// operators' update with a token. Returns whether the sender was answered.
async fn answer(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
    matched_by: MatchedBy,
) -> Result<bool> {
    let sender = parsed
        .from
        .clone()
        .context("parsed message without sender")?;
    let replied = guards::may_reply(conn, wf, message, &sender).await?;
    if replied {
        let ack = mail::beneficiary::acknowledgement(wf, message, parsed, ex, filing);
        wf.composer.enqueue(conn, ack).await?;
    }
    update_operators(conn, wf, message, parsed, ex, filing, matched_by, replied).await?;
    Ok(replied)
}

/// Queues the operators' update of a filed case, with a token issued last: it names the
/// case's data as this transaction leaves it.
#[allow(clippy::too_many_arguments)]
async fn update_operators(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: &Filing,
    matched_by: MatchedBy,
    replied: bool,
) -> Result<()> {
    let operators = &wf.settings.agency.operators;
    let token = mail::operators::token_for(conn, wf, &filing.case, operators).await?;
    let update =
        mail::operators::update(wf, message, parsed, ex, filing, matched_by, token, replied);
    wf.composer.enqueue(conn, update).await?;
    Ok(())
}

/// Added to a message's outcome when its sender was not answered.
const REPLY_WITHHELD: &str = "; reply withheld: daily reply limit for this address reached";

async fn finish(
    conn: &mut SqliteConnection,
    ledger_id: i64,
    state: MessageState,
    outcome: &str,
    case_id: Option<i64>,
    language: Option<&str>,
) -> Result<Handled> {
    if !ledger::finish(conn, ledger_id, state, outcome, case_id, language).await? {
        anyhow::bail!("message {ledger_id} was no longer waiting; another process handled it");
    }
    Ok(Handled {
        ledger_id,
        state,
        outcome: outcome.to_string(),
        case: None,
    })
}

/// Records that `ledger_id` was handled on `case`.
async fn finish_on_case(
    conn: &mut SqliteConnection,
    ledger_id: i64,
    outcome: &str,
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
    audit::record(
        &mut tx,
        case.id,
        &audit::Actor::cli(),
        None,
        audit::EventKind::Opened,
        serde_json::json!({ "service": case.service.key(), "institution": case.institution }),
    )
    .await?;
    let mut known = Vec::new();
    if let Some(name) = &case.system_name {
        // Typed by an operator: it needs no confirmation.
        let status = cases::ItemStatus::Confirmed;
        cases::file_item(
            &mut tx,
            case.id,
            ItemKind::SystemName,
            name,
            &serde_json::json!({}),
            status,
            None,
        )
        .await?;
        known.push((ItemKind::SystemName, name.as_str()));
    }
    let missing = wf.requirements.missing(case.service, &known);
    wf.composer
        .enqueue(&mut tx, mail::beneficiary::case_opened(wf, &case, &missing))
        .await?;
    tx.commit().await.context("committing a new case")?;
    tracing::info!(case = %case.reference, service = %case.service, "case opened by hand");
    Ok(case)
}
