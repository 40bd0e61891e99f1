//! Carrying out what an operator's commands were decided to do, in one savepoint: the token
//! spent, the case's changes written, the beneficiary's notices queued, then the
//! acknowledgement to the operator with a token issued for the case as the changes leave
//! it. Either all of it is kept or none.

use anyhow::{Context, Result};
use sqlx::{Connection, SqliteConnection};

use super::decide::{Decided, Notice};
use crate::domain::EmailAddress;
use crate::workflow::audit::Actor;
use crate::workflow::cases::{self, Case};
use crate::workflow::mail::{beneficiary, operators, Draft};
use crate::workflow::plan::{CasePlan, Change, Snapshot};
use crate::workflow::step::Step;
use crate::workflow::{apply, tokens, Workflow};

/// Everything a reply's (or a command line's) commands do, ready to be written.
#[derive(Debug, Clone)]
pub struct CommandPlan {
    /// The case's changes.
    pub case: CasePlan,
    /// The beneficiary's notices, in order.
    pub notices: Vec<Notice>,
    /// Each command as written.
    pub done: Vec<String>,
    /// The token the reply carried: spent with the changes (none at the command line).
    pub token: Option<i64>,
    /// The operator who replied, told what was done (no one at the command line).
    pub acknowledge: Option<EmailAddress>,
}

impl CommandPlan {
    /// The plan that carries out `decided` on case `case_id` for `actor`; `cause` is the
    /// reply that carried the commands. It spends no token and acknowledges no one.
    pub fn new(case_id: i64, actor: Actor, cause: Option<i64>, decided: Decided) -> Self {
        CommandPlan {
            case: CasePlan {
                case_id,
                actor,
                cause,
                changes: decided.changes,
            },
            notices: decided.notices,
            done: decided.done,
            token: None,
            acknowledge: None,
        }
    }
}

/// What became of a plan.
#[derive(Debug)]
pub enum Applied {
    /// Written; the case as it now stands.
    Done(Box<Case>),
    /// The token was spent in the meantime (another reply in the same batch): nothing
    /// was written.
    TokenUsed,
}

/// Writes `plan` in one savepoint.
pub async fn apply(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    plan: &CommandPlan,
) -> Result<Applied> {
    let mut savepoint = conn.begin().await.context("starting a savepoint")?;
    if let Some(token) = plan.token {
        if !tokens::spend(&mut savepoint, token, plan.case.cause).await? {
            return Ok(Applied::TokenUsed);
        }
    }
    apply::apply(&mut savepoint, &plan.case).await?;
    let case = cases::by_id(&mut savepoint, plan.case.case_id).await?;
    for change in &plan.case.changes {
        if let Change::Step { from, to } = change {
            tracing::info!(case = %case.reference, %from, %to, actor = %plan.case.actor.as_string(), "case moved");
        }
    }
    for notice in &plan.notices {
        let draft = draft_of(&mut savepoint, wf, notice).await?;
        wf.composer.enqueue(&mut savepoint, draft).await?;
    }
    if let (Some(operator), Some(cause)) = (&plan.acknowledge, plan.case.cause) {
        let key = format!("mail:{cause}");
        acknowledge(&mut savepoint, wf, &key, operator, &case, &plan.done).await?;
    }
    savepoint.commit().await.context("committing a savepoint")?;
    Ok(Applied::Done(Box::new(case)))
}

/// The mail a notice is.
async fn draft_of(conn: &mut SqliteConnection, wf: &Workflow, notice: &Notice) -> Result<Draft> {
    Ok(match notice {
        Notice::Progress(case) => {
            let contract = active_contract(conn, case).await?;
            beneficiary::progress(wf, case, contract.as_ref())
        }
        Notice::Completion(case, items) => beneficiary::completion(wf, case, items),
        Notice::Rejection {
            case,
            reason,
            missing,
        } => beneficiary::rejection(wf, case, reason, missing),
    })
}

/// Another case of the same institution past its contract step: then only the annex is
/// signed for this one (docs/procedure.md, "The contract").
async fn active_contract(conn: &mut SqliteConnection, case: &Case) -> Result<Option<Case>> {
    let past_contract = [
        Step::Staging,
        Step::Testing,
        Step::Validation,
        Step::Activation,
        Step::Completed,
    ];
    let same = |c: &Case| {
        c.id != case.id
            && (crate::extract::fold(&c.institution) == crate::extract::fold(&case.institution)
                || c.contact.domain() == case.contact.domain())
    };
    Ok(cases::all(conn)
        .await?
        .into_iter()
        .find(|c| same(c) && past_contract.contains(&c.step)))
}

/// Tells the operator who acted what their command did, with a token for the next, issued
/// for the case as it now stands.
pub(crate) async fn acknowledge(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    key: &str,
    operator: &EmailAddress,
    case: &Case,
    done: &[String],
) -> Result<()> {
    let now = Snapshot {
        case: case.clone(),
        items: cases::items(conn, case.id).await?,
    };
    let missing = now.missing(&wf.requirements);
    let token = operators::token_for(conn, wf, case, std::slice::from_ref(operator)).await?;
    let key = format!("ack:{key}:{}", case.reference);
    let draft = operators::ack(wf, key, operator, case, done, &now.items, &missing, token);
    wf.composer.enqueue(conn, draft).await?;
    Ok(())
}
