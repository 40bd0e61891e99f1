//! Replies from operators: a command counts only when the reply carries a token we issued
//! for that case and version, comes from an address the token was sent to and from no other
//! author, (where configured) was vouched for by the agency's own mail server for the
//! author's domain, and holds the command in its unquoted top. Anything else changes nothing: it is logged and the operators are told.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{Connection, SqliteConnection};

use super::audit::{self, Actor, EventKind};
use super::authres;
use super::cases::{self, Case};
use super::commands::{self, Command};
use super::filing::missing_of;
use super::tokens::{self, Refusal};
use super::{act, finish, finish_on_case, holds, mail, Handled, Outcome, Workflow};
use crate::domain::EmailAddress;
use crate::ledger::{LedgerMessage, MessageState};
use crate::parse::ParsedMessage;

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

/// Handles an operator's reply (or an attempt at one).
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
    let written = format!("{}\n{}", parsed.subject, parsed.text);
    let found = tokens::choose(conn, &wf.token_key, &written).await?;
    let commands = read(parsed, commands::parse);
    let Some(found) = found else {
        if matches!(&commands, Ok(c) if c.is_empty()) {
            tracing::info!(
                ledger_id = message.id,
                "operator mail without a command; recorded"
            );
            let state = MessageState::Processed;
            return finish(conn, message.id, state, Outcome::NoCommand, None, None).await;
        }
        return refuse(conn, wf, &who, None, Refusal::Missing, "").await;
    };
    // Several authors: the mail does not say who wrote it, so no one vouches for it.
    if parsed.authors != 1 {
        let case = case_of_genuine(conn, wf, &found, sender).await?;
        let detail = format!("{} From addresses", parsed.authors);
        let refusal = Refusal::SeveralAuthors;
        return refuse(conn, wf, &who, case.as_ref(), refusal, &detail).await;
    }
    if let Some(authserv_id) = &wf.settings.agency.authserv_id {
        let header = parsed.authentication_results.as_deref();
        if !authres::vouched_for(header, authserv_id, sender.domain()) {
            let seen = header.unwrap_or("(none)").to_string();
            let case = case_of_genuine(conn, wf, &found, sender).await?;
            return refuse(
                conn,
                wf,
                &who,
                case.as_ref(),
                Refusal::Unauthenticated,
                &seen,
            )
            .await;
        }
    }
    let row = match tokens::verify(conn, &wf.token_key, &found, sender, crate::clock::now()).await?
    {
        Ok(row) => row,
        Err(refusal) => {
            // An altered or unknown token names no case we can trust.
            let case = match refusal {
                Refusal::Unknown | Refusal::Altered => None,
                _ => tokens::case_of(conn, found.0).await?,
            };
            return refuse(conn, wf, &who, case.as_ref(), refusal, "").await;
        }
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
    // All the commands of one reply apply together or not at all.
    let mut savepoint = conn.begin().await.context("starting a savepoint")?;
    match apply_all(
        &mut savepoint,
        wf,
        &case,
        &commands,
        &actor,
        Some(message.id),
    )
    .await?
    {
        Ok(now) => {
            if !tokens::spend(&mut savepoint, row.id, Some(message.id)).await? {
                drop(savepoint);
                return refuse(conn, wf, &who, Some(&case), Refusal::Used, "").await;
            }
            savepoint.commit().await.context("committing a savepoint")?;
            let done: Vec<String> = commands.iter().map(Command::describe).collect();
            acknowledge(
                conn,
                wf,
                &format!("mail:{}", message.id),
                sender,
                &now,
                &done,
            )
            .await?;
            tracing::info!(ledger_id = message.id, case = %case.reference, operator = %sender, commands = %done.join("; "), "operator command applied");
            let case_ref = case.reference.clone();
            let outcome = Outcome::Commanded {
                case: case_ref,
                done,
            };
            finish_on_case(conn, message.id, outcome, &case, None).await
        }
        Err(unfit) => {
            savepoint
                .rollback()
                .await
                .context("rolling back a savepoint")?;
            refuse(conn, wf, &who, Some(&case), Refusal::BadCommand, &unfit.0).await
        }
    }
}

/// Applies commands in order; the first that does not fit stops them all.
pub(crate) async fn apply_all(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    commands: &[Command],
    actor: &Actor,
    cause: Option<i64>,
) -> Result<std::result::Result<Case, act::Unfit>> {
    let mut current = case.clone();
    for command in commands {
        match act::apply(conn, wf, &current, command, actor, cause).await? {
            Ok(next) => current = next,
            Err(unfit) => return Ok(Err(act::Unfit(format!("{}: {unfit}", command.describe())))),
        }
    }
    Ok(Ok(current))
}

/// Tells the operator who acted what their command did, with a token for the next one.
pub(crate) async fn acknowledge(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    key: &str,
    operator: &EmailAddress,
    case: &Case,
    done: &[String],
) -> Result<()> {
    let items = cases::items(conn, case.id).await?;
    let missing = missing_of(wf, case, &items);
    let token = mail::operators::token_for(conn, wf, case, std::slice::from_ref(operator)).await?;
    let key = format!("ack:{key}:{}", case.reference);
    let draft = mail::operators::ack(wf, key, operator, case, done, &items, &missing, token);
    wf.composer.enqueue(conn, draft).await?;
    Ok(())
}

/// The case a refused mail is noted on: the one its token names, if the token itself is
/// genuine (an altered or unknown token names no case we can trust).
async fn case_of_genuine(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    found: &(i64, Vec<u8>),
    sender: &EmailAddress,
) -> Result<Option<Case>> {
    match tokens::verify(conn, &wf.token_key, found, sender, crate::clock::now()).await? {
        Ok(row) => Ok(Some(cases::by_id(conn, row.case_id).await?)),
        Err(Refusal::Unknown | Refusal::Altered) => Ok(None),
        Err(_) => tokens::case_of(conn, found.0).await,
    }
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
    tracing::warn!(
        ledger_id = message.id,
        sender = %sender,
        case = case.map(|c| c.reference.to_string()),
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
