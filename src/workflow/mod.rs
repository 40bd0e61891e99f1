//! Stage 5, the case workflow: takes each recorded message from the ledger through parse,
//! extract and match, files what it carried on the right case, moves the case, and queues
//! the replies — all in one transaction, so a crash leaves either everything or nothing.

pub mod cases;
mod replies;
pub mod requirements;
pub mod step;

use anyhow::{Context, Result};
use chrono::Utc;
use sqlx::{SqliteConnection, SqlitePool};

pub use replies::sample_contexts;
pub use requirements::{ItemKind, Requirements};
pub use step::{Step, WaitingOn};

use crate::db::begin_write;
use crate::domain::{CaseRef, EmailAddress};
use crate::extract::{extract, Checks, Extraction};
use crate::ledger::{self, LedgerMessage, MessageState};
use crate::matching::{self, Candidate, Facts, Route};
use crate::outbox::{self, Composer};
use crate::parse::{parse_within, Limits, ParsedMessage};
use crate::settings::{CertificateSettings, Settings};
use cases::{Case, NewCase};

/// What the workflow stage needs, built once at start-up.
pub struct Workflow {
    /// Configuration.
    pub settings: Settings,
    /// Per-service requirements.
    pub requirements: Requirements,
    /// Builds outgoing mail.
    pub composer: Composer,
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

/// What one message did to its case, for the replies.
pub(crate) struct Filing {
    pub case: Case,
    /// Problems that depend on the case's service (untrusted issuers), after the message's own.
    pub problems: Vec<crate::extract::Problem>,
    pub new_case: bool,
    pub new_items: Vec<cases::Item>,
    pub items: Vec<cases::Item>,
    pub missing: Vec<requirements::Missing>,
}

/// Handles the oldest message waiting in the ledger; `None` when none is waiting.
pub async fn process_next(pool: &SqlitePool, wf: &Workflow) -> Result<Option<Handled>> {
    let message = {
        let mut conn = pool.acquire().await.context("opening the database")?;
        ledger::next_received(&mut conn).await?
    };
    let Some(message) = message else {
        return Ok(None);
    };
    let analysis = match &message.refused {
        Some(reason) => Err(reason.clone()),
        None => {
            analyse(
                message.raw.clone(),
                wf.settings.limits,
                wf.settings.certificates,
            )
            .await
        }
    };
    let mut tx = begin_write(pool).await?;
    let result = match &analysis {
        Ok((parsed, ex)) => handle(&mut tx, wf, &message, parsed, ex).await,
        Err(reason) => quarantine(&mut tx, wf, &message, reason).await,
    };
    match result {
        Ok(handled) => {
            tx.commit()
                .await
                .context("committing a processed message")?;
            Ok(Some(handled))
        }
        Err(error) => {
            // One bad message must not block the ones behind it: roll back what it did
            // and quarantine it, so the operators look at it instead.
            tx.rollback()
                .await
                .context("rolling back a failed message")?;
            tracing::error!(ledger_id = message.id, error = %format!("{error:#}"), "processing failed; quarantining");
            let mut tx = begin_write(pool).await?;
            let reason = format!("internal error while processing: {error:#}");
            let handled = quarantine(&mut tx, wf, &message, &reason).await?;
            tx.commit()
                .await
                .context("committing a quarantined message")?;
            Ok(Some(handled))
        }
    }
}

/// Parses and extracts off the async threads; a panic in either becomes a quarantine reason.
async fn analyse(
    raw: Vec<u8>,
    limits: Limits,
    certs: CertificateSettings,
) -> Result<(ParsedMessage, Extraction), String> {
    tokio::task::spawn_blocking(move || {
        let parsed = parse_within(&raw, &limits).map_err(|e| e.to_string())?;
        let checks = Checks {
            now: Utc::now(),
            expiry_warning_days: certs.expiry_warning_days,
            min_rsa_bits: certs.min_rsa_bits,
            min_ec_bits: certs.min_ec_bits,
        };
        let ex = extract(&parsed, &checks);
        Ok((parsed, ex))
    })
    .await
    .unwrap_or_else(|e| Err(format!("the parser failed on this message ({e})")))
}

async fn quarantine(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    reason: &str,
) -> Result<Handled> {
    tracing::warn!(ledger_id = message.id, %reason, "message quarantined");
    let draft = replies::quarantine_report(wf, message, reason);
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
    let facts = facts(conn, wf, &sender, parsed, ex).await?;
    let route = matching::route(&facts);
    let language = ex.language.map(|l| l.code());
    match route {
        Route::Case { id, by } => {
            let case = cases::by_id(conn, id).await?;
            let filing = file(conn, wf, case, false, message.id, ex).await?;
            tracing::info!(ledger_id = message.id, case = %filing.case.reference, matched_by = ?by, "message filed on case");
            reply_and_finish(conn, wf, message, parsed, ex, filing, &format!("{by:?}")).await
        }
        Route::NewCase(service) => {
            let new = NewCase {
                service,
                institution: ex
                    .institution
                    .clone()
                    .unwrap_or_else(|| sender.domain().to_string()),
                contact: sender.clone(),
                system_name: ex.system_name.clone(),
                language: ex.language.unwrap_or(wf.settings.agency.default_language),
            };
            let case = cases::open(conn, &new).await?;
            tracing::info!(ledger_id = message.id, case = %case.reference, %service, "case opened from a first mail");
            let filing = file(conn, wf, case, true, message.id, ex).await?;
            reply_and_finish(conn, wf, message, parsed, ex, filing, "new case").await
        }
        Route::Redirect(target) => {
            wf.composer
                .enqueue(conn, replies::redirect(wf, message, parsed, ex, target))
                .await?;
            let outcome = format!("redirected to the {} procedure", target.display_name());
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
            if ex.has_private_key() && !matches!(why, matching::Unmatched::Automated(_)) {
                wf.composer
                    .enqueue(conn, replies::private_key_warning(wf, message, parsed, ex))
                    .await?;
            }
            let (draft, outcome) = replies::operator_forward(wf, message, parsed, ex, &why, &facts);
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

async fn facts(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    sender: &EmailAddress,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Result<Facts> {
    let subject_ref = CaseRef::find_in(&parsed.subject);
    let by_reference = match &subject_ref {
        Some(r) => cases::by_reference(conn, r).await?.map(|c| candidate(&c)),
        None => None,
    };
    let thread: Vec<String> = parsed.thread_ids().map(str::to_string).collect();
    let thread_case = match outbox::case_of_message_ids(conn, &thread).await? {
        Some(id) => Some(id),
        None => ledger::case_of_message_ids(conn, &thread).await?,
    };
    let by_thread = match thread_case {
        Some(id) => Some(candidate(&cases::by_id(conn, id).await?)),
        None => None,
    };
    let by_sender = cases::by_contact(conn, sender)
        .await?
        .iter()
        .map(candidate)
        .collect();
    Ok(Facts {
        from_operator: wf.settings.agency.operators.contains(sender),
        from_ourselves: *sender == wf.settings.agency.address,
        automated: parsed.automated.clone(),
        subject_ref,
        by_reference,
        by_thread,
        by_sender,
        services: ex.services.clone(),
    })
}

fn candidate(case: &Case) -> Candidate {
    Candidate {
        id: case.id,
        service: case.service,
        open: case.step.is_open(),
    }
}

/// Files the message's materials on `case` and moves it to the step they lead to.
async fn file(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: Case,
    new_case: bool,
    ledger_id: i64,
    ex: &Extraction,
) -> Result<Filing> {
    let mut fresh = Vec::new();
    for (kind, value, detail) in replies::materials(ex) {
        let status = cases::ItemStatus::Parsed;
        if cases::file_item(
            conn,
            case.id,
            kind,
            &value,
            &detail,
            status,
            Some(ledger_id),
        )
        .await?
        {
            fresh.push((kind, value));
        }
    }
    if let Some(name) = &ex.system_name {
        cases::set_system_name_if_missing(conn, case.id, name).await?;
    }
    let items = cases::items(conn, case.id).await?;
    let usable: Vec<(ItemKind, &str)> = items
        .iter()
        .filter(|i| i.status != cases::ItemStatus::Rejected)
        .map(|i| (i.kind, i.value.as_str()))
        .collect();
    let missing = wf.requirements.missing(case.service, &usable);
    let next = step::next(
        case.step,
        step::Event::MaterialsFiled {
            complete: missing.is_empty(),
        },
    )?;
    if next != case.step {
        cases::set_step(conn, case.id, next).await?;
        tracing::info!(case = %case.reference, from = %case.step, to = %next, "case moved");
    }
    // Read back: the step and system name may have changed above.
    let case = cases::by_id(conn, case.id).await?;
    let rules = wf.requirements.of(case.service);
    let mut problems = ex.problems.clone();
    problems.extend(
        ex.certificates
            .iter()
            .filter(|c| !rules.accepts_issuer(&c.issuer, c.self_signed))
            .map(|c| crate::extract::Problem::UntrustedIssuer {
                file: c.file_name.clone(),
                serial: c.serial.to_string(),
                issuer: c.issuer.clone(),
            }),
    );
    let new_items = items
        .iter()
        .filter(|i| fresh.iter().any(|(k, v)| *k == i.kind && *v == i.value))
        .cloned()
        .collect();
    Ok(Filing {
        case,
        problems,
        new_case,
        new_items,
        items,
        missing,
    })
}

async fn reply_and_finish(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    ex: &Extraction,
    filing: Filing,
    matched_by: &str,
) -> Result<Handled> {
    let ack = replies::acknowledgement(wf, message, parsed, ex, &filing);
    wf.composer.enqueue(conn, ack).await?;
    let update = replies::operator_update(wf, message, parsed, ex, &filing, matched_by);
    wf.composer.enqueue(conn, update).await?;
    let outcome = format!(
        "filed on {}: {} new item(s), {} still missing, step {}",
        filing.case.reference,
        filing.new_items.len(),
        filing.missing.len(),
        filing.case.step
    );
    let mut handled = finish(
        conn,
        message.id,
        MessageState::Processed,
        &outcome,
        Some(filing.case.id),
        ex.language.map(|l| l.code()),
    )
    .await?;
    handled.case = Some(filing.case.reference);
    Ok(handled)
}

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

/// Opens a case by hand (CLI) and queues the first mail to the beneficiary.
pub async fn open_case(pool: &SqlitePool, wf: &Workflow, new: &NewCase) -> Result<Case> {
    let mut tx = begin_write(pool).await?;
    let case = cases::open(&mut tx, new).await?;
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
        .enqueue(&mut tx, replies::case_opened(wf, &case, &missing))
        .await?;
    tx.commit().await.context("committing a new case")?;
    tracing::info!(case = %case.reference, service = %case.service, "case opened by hand");
    Ok(case)
}
