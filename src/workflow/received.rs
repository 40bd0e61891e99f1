//! A message as it arrives at the workflow: an operator's command goes to [`operator`], a
//! delivery report to [`bounces`]; anything else is routed (pure, [`matching::route`]) and
//! then held, filed on its case (or on one case per platform), redirected, forwarded to the
//! operators, or only recorded.

use anyhow::{Context, Result};
use sqlx::SqliteConnection;

use super::cases::{self, Case, NewCase};
use super::filing::{self, Filing};
use super::mail::{self, ForwardReason};
use super::outcome::Outcome;
use super::{bounces, facts, finish, finish_on_case, guards, holds, operator};
use super::{several, Handled, Workflow};
use crate::domain::{EmailAddress, Redirect, Service};
use crate::extract::Extraction;
use crate::ledger::{LedgerMessage, MessageState};
use crate::matching::{self, Facts, MatchedBy, Route, Unmatched};
use crate::parse::ParsedMessage;

/// A message being handled: its ledger row, what it says, what it carries, who sent it.
pub(super) struct Incoming<'a> {
    /// Its ledger row.
    pub message: &'a LedgerMessage,
    /// It, parsed.
    pub parsed: &'a ParsedMessage,
    /// What it carries.
    pub ex: &'a Extraction,
    /// Its sender.
    pub sender: EmailAddress,
}

impl Incoming<'_> {
    /// The language it is written in, as the ledger records it.
    pub fn language(&self) -> Option<&'static str> {
        self.ex.language.map(|l| l.code())
    }
}

/// Handles one parsed message; the caller holds the savepoint that makes it one unit.
pub(super) async fn handle(
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
    let mail = Incoming {
        message,
        parsed,
        ex,
        sender,
    };
    follow(conn, wf, &mail, matching::route(&facts), &facts).await
}

/// Does what the route says.
async fn follow(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    route: Route,
    facts: &Facts,
) -> Result<Handled> {
    let (ex, sender) = (mail.ex, &mail.sender);
    match route {
        Route::Hold { id, by } => {
            let case = cases::by_id(conn, id).await?;
            on_case(&case);
            let (message, parsed) = (mail.message, mail.parsed);
            holds::hold(conn, wf, message, parsed, ex, &case, by, sender).await
        }
        Route::Case { id, by } => {
            let case = cases::by_id(conn, id).await?;
            file_and_answer(conn, wf, mail, case, by).await
        }
        Route::NewCase(service) => {
            // Opened before its filing is decided: the filing is decided on the case as
            // stored, and the answer names its reference.
            let case = cases::open(conn, &new_case_from(sender, ex, service)).await?;
            tracing::info!(case = %case.reference, %service, "case opened from a first mail");
            file_and_answer(conn, wf, mail, case, MatchedBy::Opened).await
        }
        Route::Several(targets) => several::file_on_each(conn, wf, mail, &targets).await,
        Route::Redirect(target) => redirect(conn, wf, mail, target).await,
        Route::Operators(why) => forward(conn, wf, mail, why, facts).await,
        Route::Ignore(why) => {
            tracing::info!(reason = why, "message recorded; nothing automatic to do");
            processed(conn, mail, Outcome::Ignored(why), None).await
        }
    }
}

/// Names the case in the message's span, once the message is tied to one.
pub(super) fn on_case(case: &Case) {
    tracing::Span::current().record("case", tracing::field::display(&case.reference));
}

/// Files the message on `case`, answers it and records the outcome.
async fn file_and_answer(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    case: Case,
    by: MatchedBy,
) -> Result<Handled> {
    on_case(&case);
    let new_case = by == MatchedBy::Opened;
    let (id, sender) = (mail.message.id, mail.sender.as_str());
    let filing = filing::file(conn, wf, case, new_case, id, sender, mail.ex).await?;
    tracing::info!(matched_by = by.as_str(), "message filed on case");
    let replied = answer(conn, wf, mail, &filing, by).await?;
    let outcome = Outcome::Filed {
        case: filing.case.reference.clone(),
        new_items: filing.new_items.len(),
        missing: filing.missing.len(),
        step: filing.case.step,
        replied,
    };
    finish_on_case(conn, id, outcome, &filing.case, mail.language()).await
}

/// The case a first mail opens for `service`: the sender is its contact, and its
/// institution is the one the mail names (or the sender's domain).
pub(super) fn new_case_from(sender: &EmailAddress, ex: &Extraction, service: Service) -> NewCase {
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

/// Answers a filed message: the sender's acknowledgement (within the daily limit) and the
/// operators' update with a token. Returns whether the sender was answered.
pub(super) async fn answer(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    filing: &Filing,
    matched_by: MatchedBy,
) -> Result<bool> {
    let replied = guards::may_reply(conn, wf, mail.message, &mail.sender).await?;
    if replied {
        let ack =
            mail::beneficiary::acknowledgement(wf, mail.message, mail.parsed, mail.ex, filing);
        wf.composer.enqueue(conn, ack).await?;
    }
    update_operators(conn, wf, mail, filing, matched_by, replied).await?;
    Ok(replied)
}

/// Queues the operators' update of a filed case, with a token issued last: it names the
/// case's data as this transaction leaves it.
pub(super) async fn update_operators(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    filing: &Filing,
    matched_by: MatchedBy,
    replied: bool,
) -> Result<()> {
    let Incoming {
        message,
        parsed,
        ex,
        ..
    } = mail;
    let operators = &wf.settings.agency.operators;
    let token = mail::operators::token_for(conn, wf, &filing.case, operators).await?;
    let update =
        mail::operators::update(wf, message, parsed, ex, filing, matched_by, token, replied);
    wf.composer.enqueue(conn, update).await?;
    Ok(())
}

/// Records a message handled without a case of its own.
pub(super) async fn processed(
    conn: &mut SqliteConnection,
    mail: &Incoming<'_>,
    outcome: Outcome,
    case_id: Option<i64>,
) -> Result<Handled> {
    let state = MessageState::Processed;
    finish(
        conn,
        mail.message.id,
        state,
        outcome,
        case_id,
        mail.language(),
    )
    .await
}

/// Points the sender to a platform with its own procedure.
async fn redirect(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    target: Redirect,
) -> Result<Handled> {
    let replied = guards::may_reply(conn, wf, mail.message, &mail.sender).await?;
    if replied {
        let draft = mail::beneficiary::redirect(wf, mail.message, mail.parsed, mail.ex, target);
        wf.composer.enqueue(conn, draft).await?;
    }
    processed(conn, mail, Outcome::Redirected { target, replied }, None).await
}

/// Sends the operators a message nothing automatic fits, and warns a sender who mailed a
/// private key.
async fn forward(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    mail: &Incoming<'_>,
    why: Unmatched,
    facts: &Facts,
) -> Result<Handled> {
    let (message, parsed, ex) = (mail.message, mail.parsed, mail.ex);
    // The warning is an automatic answer like any other: it counts against the daily
    // limit, so forged mail cannot make the desk warn a victim over and over.
    if ex.has_private_key()
        && !matches!(why, Unmatched::Automated(_))
        && guards::may_reply(conn, wf, message, &mail.sender).await?
    {
        let warning = mail::beneficiary::private_key_warning(wf, message, parsed, ex);
        wf.composer.enqueue(conn, warning).await?;
    }
    let draft = mail::operators::forward(wf, message, parsed, ex, &why, facts);
    wf.composer.enqueue(conn, draft).await?;
    let case_id = match why {
        Unmatched::ClosedCase(id) => Some(id),
        _ => None,
    };
    let outcome = Outcome::Forwarded(ForwardReason::of(&why, facts).0);
    tracing::info!(%outcome, "message forwarded to the operators");
    processed(conn, mail, outcome, case_id).await
}
