//! The facts matching decides on, looked up for one message: the cases its tag, its thread
//! and its sender point to, and whether each case trusts the sender — its contact or an
//! address the operators accepted, and not disowned by the agency's own mail server.

use anyhow::Result;
use sqlx::SqliteConnection;

use super::cases::{self, Case};
use super::{authres, contacts, Workflow};
use crate::domain::{CaseRef, EmailAddress};
use crate::extract::Extraction;
use crate::ledger;
use crate::matching::{Candidate, Facts};
use crate::outbox;
use crate::parse::ParsedMessage;

/// What matching needs to know of a message (`ours`: sent from our own mailbox, or carrying
/// our loop mark): the cases its tag, its thread and its sender
/// point to, each with whether the case trusts the sender.
pub(super) async fn facts(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    sender: &EmailAddress,
    ours: bool,
    parsed: &ParsedMessage,
    ex: &Extraction,
) -> Result<Facts> {
    // Our own server saying the author's domain did not send this mail outweighs its From:
    // such a sender is the contact of no case (their mail is held, never filed).
    let disowned = disowned(wf, parsed, sender);
    if disowned {
        tracing::warn!(%sender, "the agency's server reports a DMARC failure for the sender's domain; not trusted as any case's contact");
    }
    // Mail naming several authors does not say who wrote it: it is nobody's as a contact.
    let author = (!disowned && parsed.authors == 1).then_some(sender);
    let subject_ref = CaseRef::find_in(&parsed.subject);
    let by_reference = match &subject_ref {
        Some(r) => match cases::by_reference(conn, r).await? {
            Some(c) => Some(candidate(conn, &c, author).await?),
            None => None,
        },
        None => None,
    };
    let thread: Vec<String> = parsed.thread_ids().map(str::to_string).collect();
    let thread_case = match outbox::case_of_our_mail(conn, &thread).await? {
        Some(id) => Some(id),
        None => ledger::case_of_their_mail(conn, &thread).await?,
    };
    let by_thread = match thread_case {
        Some(id) => {
            let case = cases::by_id(conn, id).await?;
            Some(candidate(conn, &case, author).await?)
        }
        None => None,
    };
    let mut by_sender = Vec::new();
    for case in cases::by_contact(conn, sender).await? {
        by_sender.push(candidate(conn, &case, author).await?);
    }
    for id in contacts::cases_of(conn, sender).await? {
        if !by_sender.iter().any(|c| c.id == id) {
            let case = cases::by_id(conn, id).await?;
            by_sender.push(candidate(conn, &case, author).await?);
        }
    }
    Ok(Facts {
        from_operator: wf.settings.agency.operators.contains(sender),
        from_ourselves: ours,
        automated: parsed.automated.clone(),
        subject_ref,
        by_reference,
        by_thread,
        by_sender,
        services: ex.services.clone(),
    })
}

/// Whether the agency's server (when `agency.authserv_id` is set) reports that the sender's
/// domain did not send this message.
pub(super) fn disowned(wf: &Workflow, parsed: &ParsedMessage, sender: &EmailAddress) -> bool {
    wf.settings.agency.authserv_id.as_deref().is_some_and(|id| {
        authres::disowned(
            parsed.authentication_results.as_deref(),
            id,
            sender.domain(),
        )
    })
}

/// A case as matching sees it; `author` is the sender when their `From` is believed.
async fn candidate(
    conn: &mut SqliteConnection,
    case: &Case,
    author: Option<&EmailAddress>,
) -> Result<Candidate> {
    let trusted = match author {
        Some(address) => contacts::trusts(conn, case, address).await?,
        None => false,
    };
    Ok(Candidate {
        id: case.id,
        service: case.service,
        open: case.step.is_open(),
        trusted,
    })
}
