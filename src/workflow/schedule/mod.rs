//! The schedule, the clock's side of the procedure: working days ([`calendar`]), reminders
//! to beneficiaries the case waits on (then escalation to the operators) and deadline
//! reminders to the operators for agency-side steps (which is due is decided in [`due`],
//! queued and noted here), the daily digest, and the certificate expiry watch (`expiry`).
//! Everything due is derived from the database and keyed by its due time, so a restart
//! neither loses nor repeats a reminder: the outbox refuses a key it already holds.

pub mod calendar;
pub mod due;
mod expiry;

use anyhow::{Context, Result};
use sqlx::{SqliteConnection, SqlitePool};

use super::audit::Actor;
use super::cases::{self, Case};
use super::mail::{self, beneficiary, operators, DigestCase, OperatorDigest, StepCount};
use super::plan::{CasePlan, Snapshot};
use super::requirements::Missing;
use super::step::{Step, WaitingOn};
use super::{apply, Workflow};
use crate::db::begin_write;
use crate::outbox;
use due::{Clock, Reminder};

/// Queues every reminder, digest and expiry notice now due; returns how many mails.
pub async fn run_due(pool: &SqlitePool, wf: &Workflow) -> Result<usize> {
    let open = {
        let mut conn = pool.acquire().await.context("opening the database")?;
        cases::open_cases(&mut conn).await?
    };
    let mut queued = 0;
    for case in &open {
        let mut tx = begin_write(pool).await?;
        queued += remind(&mut tx, wf, case).await?;
        tx.commit().await.context("committing a reminder")?;
    }
    let mut tx = begin_write(pool).await?;
    queued += digest(&mut tx, wf, &open).await?;
    tx.commit().await.context("committing the digest")?;
    queued += expiry::expiry_watch(pool, wf).await?;
    if queued > 0 {
        tracing::info!(queued, "reminders queued");
    }
    Ok(queued)
}

/// Queues `draft` unless its key was queued before; `true` when it was queued now.
pub(super) async fn queue_once(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    draft: mail::Draft,
) -> Result<bool> {
    if outbox::has_key(conn, &draft.key).await? {
        return Ok(false);
    }
    Ok(wf.composer.enqueue(conn, draft).await?.is_some())
}

async fn clock_of(conn: &mut SqliteConnection, wf: &Workflow, case: &Case) -> Result<Clock> {
    let last_mail = match case.step.waiting_on() {
        WaitingOn::Beneficiary => cases::last_mail_at(conn, case.id).await?,
        _ => None,
    };
    Ok(Clock::of(
        case,
        last_mail,
        crate::clock::now(),
        &wf.calendar,
    ))
}

/// Queues the reminder due on `case`, if any, and notes it on the timeline; returns how
/// many mails (0 or 1).
async fn remind(conn: &mut SqliteConnection, wf: &Workflow, case: &Case) -> Result<usize> {
    let clock = clock_of(conn, wf, case).await?;
    let Some(due) = due::due(case, &clock, &wf.settings.time, &wf.calendar) else {
        return Ok(0);
    };
    // Checked before a token is issued for it: a reminder sent once issues none again.
    if outbox::has_key(conn, &due.key).await? {
        return Ok(0);
    }
    let agency = &wf.settings.agency.operators;
    let (key, days) = (due.key.clone(), due.days);
    let draft = match &due.reminder {
        Reminder::Beneficiary { number } => {
            let missing = missing(conn, wf, case).await?;
            beneficiary::reminder(wf, key, case, *number, days, &missing)
        }
        Reminder::Escalation => {
            let missing = missing(conn, wf, case).await?;
            let token = operators::token_for(conn, wf, case, agency).await?;
            operators::escalation(wf, key, case, days, &missing, token)
        }
        Reminder::Deadline { state, due } => {
            let token = operators::token_for(conn, wf, case, agency).await?;
            operators::sla(wf, key, case, *state, *due, days, token)
        }
    };
    if wf.composer.enqueue(conn, draft).await?.is_none() {
        return Ok(0);
    }
    let noted = CasePlan {
        case_id: case.id,
        actor: Actor::Daemon,
        cause: None,
        changes: vec![due.event()],
    };
    apply::apply(conn, &noted).await?;
    Ok(1)
}

/// What `case` still needs.
async fn missing(conn: &mut SqliteConnection, wf: &Workflow, case: &Case) -> Result<Vec<Missing>> {
    let now = Snapshot {
        case: case.clone(),
        items: cases::items(conn, case.id).await?,
    };
    Ok(now.missing(&wf.requirements))
}

/// The daily digest, once per working day after the configured hour.
async fn digest(conn: &mut SqliteConnection, wf: &Workflow, open: &[Case]) -> Result<usize> {
    let now = crate::clock::now();
    let today = wf.calendar.local_date(now);
    if !wf.calendar.is_working_day(today)
        || wf.calendar.local_hour(now) < wf.settings.time.digest_hour
    {
        return Ok(0);
    }
    if outbox::has_key(conn, &format!("digest:{today}")).await? {
        return Ok(0);
    }
    let mut by_step: Vec<(Step, usize)> = Vec::new();
    let mut overdue = Vec::new();
    let mut waiting = Vec::new();
    for case in open {
        match by_step.iter_mut().find(|(s, _)| *s == case.step) {
            Some((_, n)) => *n += 1,
            None => by_step.push((case.step, 1)),
        }
        let clock = clock_of(conn, wf, case).await?;
        let row = DigestCase {
            reference: case.reference.to_string(),
            service: case.service.display_name(),
            institution: case.institution.clone(),
            step: case.step,
            days: clock.days,
        };
        match case.step.waiting_on() {
            WaitingOn::Agency if clock.days > wf.settings.time.sla_working_days => {
                overdue.push(row)
            }
            WaitingOn::Beneficiary if clock.days >= wf.settings.time.reminder_after_days => {
                waiting.push(row)
            }
            _ => {}
        }
    }
    let digest = OperatorDigest {
        date: today.to_string(),
        open: open.len(),
        by_step: by_step
            .into_iter()
            .map(|(step, count)| StepCount { step, count })
            .collect(),
        overdue,
        waiting,
        limit: wf.settings.time.sla_working_days,
    };
    let draft = operators::notice(&wf.settings.agency, format!("digest:{today}"), None, digest);
    Ok(usize::from(queue_once(conn, wf, draft).await?))
}
