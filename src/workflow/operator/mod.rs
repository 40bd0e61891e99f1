//! Operator commands, by reply or at the command line. A reply is read ([`commands`]: only
//! its unquoted top), checked (`verify`: a command counts only when the reply carries a token
//! we issued for that case and version, comes from an address the token was sent to and from
//! no other author, and (where configured) was vouched for by the agency's own mail server),
//! decided in pure code over a snapshot of the case ([`decide`]), and applied in one
//! savepoint ([`apply`]). Anything refused changes nothing: it is logged and the operators
//! are told.

mod apply;
pub mod authres;
pub mod commands;
mod decide;
pub mod tokens;
mod verify;

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

pub(crate) use apply::acknowledge;
pub use apply::{apply, Applied, CommandPlan};
pub use decide::decide;
use verify::Checked;

use super::audit::{self, Actor, EventKind};
use super::cases::{self, Case};
use super::plan::Snapshot;
use super::{finish, finish_on_case, holds, mail, Handled, Outcome, Workflow};
use crate::db::begin_write;
use crate::domain::{CaseRef, EmailAddress};
use crate::ledger::{LedgerMessage, MessageState};
use crate::parse::ParsedMessage;
use commands::Command;
use tokens::Refusal;

/// Whether this message should be read as an operator's answer: it claims to come from an
/// operator, or it carries one of our tokens and a command.
pub(super) fn is_command_attempt(
    wf: &Workflow,
    parsed: &ParsedMessage,
    sender: &EmailAddress,
) -> bool {
    if wf.settings.agency.operators.contains(sender) {
        return true;
    }
    let has_token = tokens::find(&format!("{}\n{}", parsed.subject, parsed.text)).is_some();
    has_token && !matches!(read(parsed, commands::parse), Ok(c) if c.is_empty())
}

/// Reads a reply with `reader` in what its sender wrote themselves (not quoted, not
/// forwarded). A reply with an HTML version too is read in both, and both must say the
/// same: a command bare in one and quoted in the other is not the operator's.
pub(super) fn read<T: PartialEq>(
    parsed: &ParsedMessage,
    reader: impl Fn(&str) -> Result<T, String>,
) -> Result<T, String> {
    let plain = reader(&crate::extract::own_text_of(&parsed.text));
    match &parsed.html_text {
        Some(html) if reader(&crate::extract::own_text_of(html)) != plain => Err(
            "the plain-text and HTML versions of the reply do not carry the same commands".into(),
        ),
        _ => plain,
    }
}

/// Handles an operator's reply (or an attempt at one): checked, decided, applied.
pub(super) async fn handle(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    message: &LedgerMessage,
    parsed: &ParsedMessage,
    sender: &EmailAddress,
) -> Result<Handled> {
    let who = Attempt {
        message,
        parsed,
        sender,
    };
    let commands = read(parsed, commands::parse);
    let given = !matches!(&commands, Ok(c) if c.is_empty());
    let row = match verify::check(conn, wf, &who, given).await? {
        Checked::Token(row) => row,
        Checked::NoCommand => {
            tracing::info!("operator mail without a command; recorded");
            let state = MessageState::Processed;
            return finish(conn, message.id, state, Outcome::NoCommand, None, None).await;
        }
        Checked::Refused {
            case,
            refusal,
            detail,
        } => return refuse(conn, wf, &who, case.as_ref(), refusal, &detail).await,
    };
    // A decision on a held message is about that message, not about the case's data: later
    // changes to the case do not make its token stale.
    if let Some(hold) = row.hold_id {
        return holds::decide(conn, wf, &who, &row, hold).await;
    }
    let case = cases::by_id(conn, row.case_id).await?;
    if case.version != row.version {
        let detail = format!(
            "issued for version {}, the case is at version {}",
            row.version, case.version
        );
        return refuse(conn, wf, &who, Some(&case), Refusal::Stale, &detail).await;
    }
    let commands = match commands {
        Ok(c) if c.is_empty() => {
            return refuse(conn, wf, &who, Some(&case), Refusal::NoCommand, "").await
        }
        Ok(c) => c,
        Err(e) => return refuse(conn, wf, &who, Some(&case), Refusal::BadCommand, &e).await,
    };
    let actor = Actor::Mail(sender.as_str().to_string());
    let before = Snapshot {
        items: cases::items(conn, case.id).await?,
        case: case.clone(),
    };
    let decided = match decide(&wf.requirements, before, &commands, &actor) {
        Ok(decided) => decided,
        Err(unfit) => {
            return refuse(conn, wf, &who, Some(&case), Refusal::BadCommand, &unfit.0).await
        }
    };
    let plan = CommandPlan {
        token: Some(row.id),
        acknowledge: Some(sender.clone()),
        ..CommandPlan::new(case.id, actor, Some(message.id), decided)
    };
    let done = plan.done.join("; ");
    match apply(conn, wf, &plan).await? {
        Applied::TokenUsed => refuse(conn, wf, &who, Some(&case), Refusal::Used, "").await,
        Applied::Done(_) => {
            super::received::on_case(&case);
            tracing::info!(operator = %sender, commands = %done, "operator command applied");
            let outcome = Outcome::Commanded {
                case: case.reference.clone(),
                done: plan.done,
            };
            finish_on_case(conn, message.id, outcome, &case, None).await
        }
    }
}

/// Applies operator commands typed at the command line (no token: the terminal is the
/// operator's); all of them or none. Returns the case as it then stands.
pub async fn command(
    pool: &SqlitePool,
    wf: &Workflow,
    reference: &CaseRef,
    commands: &[Command],
) -> Result<Case> {
    let mut tx = begin_write(pool).await?;
    let case = cases::by_reference(&mut tx, reference)
        .await?
        .with_context(|| format!("no case {reference}"))?;
    let actor = Actor::cli();
    let before = Snapshot {
        items: cases::items(&mut tx, case.id).await?,
        case,
    };
    let case_id = before.case.id;
    let decided = decide(&wf.requirements, before, commands, &actor)
        .map_err(|unfit| anyhow::anyhow!("{unfit}; nothing changed"))?;
    let plan = CommandPlan::new(case_id, actor.clone(), None, decided);
    let done = plan.done.join("; ");
    let Applied::Done(now) = apply(&mut tx, wf, &plan).await? else {
        anyhow::bail!("the command line spends no token, yet one was found spent");
    };
    tx.commit()
        .await
        .context("committing an operator command")?;
    tracing::info!(case = %reference, operator = %actor.as_string(), commands = %done, "operator command applied");
    Ok(*now)
}

/// The mail that tried to command, and who sent it.
pub(super) struct Attempt<'a> {
    /// Its ledger row.
    pub message: &'a LedgerMessage,
    /// It, parsed.
    pub parsed: &'a ParsedMessage,
    /// Its sender.
    pub sender: &'a EmailAddress,
}

/// Refuses a command: nothing changes; noted on the case when one is known; operators told.
pub(super) async fn refuse(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    who: &Attempt<'_>,
    case: Option<&Case>,
    refusal: Refusal,
    detail: &str,
) -> Result<Handled> {
    let Attempt {
        message,
        parsed,
        sender,
    } = who;
    if let Some(case) = case {
        super::received::on_case(case);
    }
    tracing::warn!(
        sender = %sender,
        reason = refusal.as_str(),
        detail,
        "operator command refused; nothing changed"
    );
    if let Some(case) = case {
        audit::note(
            conn,
            case.id,
            &Actor::Mail(sender.as_str().to_string()),
            Some(message.id),
            EventKind::CommandRefused,
            json!({ "reason": refusal.as_str(), "detail": detail }),
        )
        .await?;
    }
    let draft = mail::operators::refused(
        wf,
        message,
        sender.as_str(),
        &parsed.subject,
        case,
        refusal.as_str(),
        detail,
    );
    wf.composer.enqueue(conn, draft).await?;
    let state = MessageState::Processed;
    let outcome = Outcome::Refused(refusal);
    finish(conn, message.id, state, outcome, case.map(|c| c.id), None).await
}
