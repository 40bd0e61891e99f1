//! Whether a reply may command at all: it carries a token we issued, from one author, (where
//! configured) vouched for by the agency's own mail server, and the token is genuine,
//! unspent, unexpired and was sent to this sender. What the commands then do is decided
//! apart, in `decide`.

use anyhow::Result;
use sqlx::SqliteConnection;

use super::Attempt;
use crate::domain::EmailAddress;
use crate::workflow::authres;
use crate::workflow::cases::{self, Case};
use crate::workflow::tokens::{self, Refusal, TokenRow};
use crate::workflow::Workflow;

/// What the checks found.
#[derive(Debug)]
pub(super) enum Checked {
    /// A genuine, unspent token this sender may use.
    Token(TokenRow),
    /// No token and no command: an operator's ordinary mail.
    NoCommand,
    /// Refused; noted on `case` when the token genuinely names one.
    Refused {
        /// The case, if known.
        case: Option<Case>,
        /// Why.
        refusal: Refusal,
        /// Details for the operators.
        detail: String,
    },
}

/// Checks the token and the authorship of `who`'s reply; `commands_given` says whether its
/// unquoted top holds (or tries to hold) commands.
pub(super) async fn check(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    who: &Attempt<'_>,
    commands_given: bool,
) -> Result<Checked> {
    let parsed = who.parsed;
    let written = format!("{}\n{}", parsed.subject, parsed.text);
    let Some(found) = tokens::choose(conn, &wf.token_key, &written).await? else {
        if !commands_given {
            return Ok(Checked::NoCommand);
        }
        return Ok(refused(None, Refusal::Missing, ""));
    };
    // Several authors: the mail does not say who wrote it, so no one vouches for it.
    if parsed.authors != 1 {
        let case = case_of_genuine(conn, wf, &found, who.sender).await?;
        let detail = format!("{} From addresses", parsed.authors);
        return Ok(refused(case, Refusal::SeveralAuthors, &detail));
    }
    if let Some(authserv_id) = &wf.settings.agency.authserv_id {
        let header = parsed.authentication_results.as_deref();
        if !authres::vouched_for(header, authserv_id, who.sender.domain()) {
            let seen = header.unwrap_or("(none)");
            let case = case_of_genuine(conn, wf, &found, who.sender).await?;
            return Ok(refused(case, Refusal::Unauthenticated, seen));
        }
    }
    let now = crate::clock::now();
    match tokens::verify(conn, &wf.token_key, &found, who.sender, now).await? {
        Ok(row) => Ok(Checked::Token(row)),
        Err(refusal) => {
            // An altered or unknown token names no case we can trust.
            let case = match refusal {
                Refusal::Unknown | Refusal::Altered => None,
                _ => tokens::case_of(conn, found.0).await?,
            };
            Ok(refused(case, refusal, ""))
        }
    }
}

fn refused(case: Option<Case>, refusal: Refusal, detail: &str) -> Checked {
    Checked::Refused {
        case,
        refusal,
        detail: detail.to_string(),
    }
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
