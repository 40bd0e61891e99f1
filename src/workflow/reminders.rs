//! The clock's side of the procedure: reminders to beneficiaries the case waits on (then
//! escalation to the operators), deadline reminders to the operators for agency-side steps,
//! the daily digest, and the certificate expiry watch. Everything due is derived from the
//! database and keyed by its due time, so a restart neither loses nor repeats a reminder:
//! the outbox refuses a key it already holds.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::audit::{self, Actor, EventKind};
use super::cases::{self, Case, NewCase};
use super::filing::missing_of;
use super::mail::{self, beneficiary, operators, Deadline, DigestCase, OperatorDigest, StepCount};
use super::step::{Step, WaitingOn};
use super::Workflow;
use crate::db::{begin_write, parse_stamp};
use crate::domain::ItemKind;
use crate::outbox;

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
    queued += expiry_watch(pool, wf).await?;
    if queued > 0 {
        tracing::info!(queued, "reminders queued");
    }
    Ok(queued)
}

/// Queues `draft` unless its key was queued before; `true` when it was queued now.
async fn queue_once(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    draft: mail::Draft,
) -> Result<bool> {
    if outbox::has_key(conn, &draft.key).await? {
        return Ok(false);
    }
    Ok(wf.composer.enqueue(conn, draft).await?.is_some())
}

/// Where a case stands against the clock.
struct Clock {
    /// The moment the current wait began.
    anchor: String,
    /// Working days since.
    days: u32,
}

async fn clock_of(conn: &mut SqliteConnection, wf: &Workflow, case: &Case) -> Result<Clock> {
    let mut anchor = case.step_since.clone();
    if case.step.waiting_on() == WaitingOn::Beneficiary {
        // Any mail the beneficiary sends on the case restarts their clock.
        if let Some(last) = cases::last_mail_at(conn, case.id).await? {
            anchor = anchor.max(last);
        }
    }
    let from = parse_stamp(&anchor).unwrap_or_else(crate::clock::now);
    let days = wf.calendar.working_days_between(from, crate::clock::now());
    Ok(Clock { anchor, days })
}

async fn remind(conn: &mut SqliteConnection, wf: &Workflow, case: &Case) -> Result<usize> {
    let t = &wf.settings.time;
    let clock = clock_of(conn, wf, case).await?;
    let reference = &case.reference;
    match case.step.waiting_on() {
        WaitingOn::Beneficiary => {
            let due = clock.days / t.reminder_after_days;
            if due == 0 {
                return Ok(0);
            }
            let items = cases::items(conn, case.id).await?;
            let missing = missing_of(wf, case, &items);
            if due <= t.reminders {
                let key = format!("remind:{reference}:{}:{due}", clock.anchor);
                let draft = beneficiary::reminder(wf, key, case, due, clock.days, &missing);
                if queue_once(conn, wf, draft).await? {
                    audit::note(
                        conn,
                        case.id,
                        &Actor::Daemon,
                        None,
                        EventKind::Reminder,
                        json!({ "number": due, "working_days": clock.days }),
                    )
                    .await?;
                    return Ok(1);
                }
            } else {
                let key = format!("escalate:{reference}:{}", clock.anchor);
                if outbox::has_key(conn, &key).await? {
                    return Ok(0);
                }
                let token =
                    operators::token_for(conn, wf, case, &wf.settings.agency.operators).await?;
                let draft = operators::escalation(wf, key, case, clock.days, &missing, token);
                if queue_once(conn, wf, draft).await? {
                    audit::note(
                        conn,
                        case.id,
                        &Actor::Daemon,
                        None,
                        EventKind::Escalated,
                        json!({ "working_days": clock.days }),
                    )
                    .await?;
                    return Ok(1);
                }
            }
            Ok(0)
        }
        WaitingOn::Agency => {
            let limit = t.sla_working_days;
            let state = if clock.days > limit {
                Deadline::Overdue
            } else if clock.days >= limit - t.sla_warning_days {
                Deadline::Near
            } else {
                return Ok(0);
            };
            let key = format!(
                "sla:{}:{reference}:{}:{}",
                state.as_str(),
                case.step,
                clock.anchor
            );
            if outbox::has_key(conn, &key).await? {
                return Ok(0);
            }
            let from = parse_stamp(&clock.anchor).unwrap_or_else(crate::clock::now);
            let due = wf.calendar.add_working_days(from, limit);
            let token = operators::token_for(conn, wf, case, &wf.settings.agency.operators).await?;
            let draft = operators::sla(wf, key, case, state, due, clock.days, token);
            if queue_once(conn, wf, draft).await? {
                audit::note(
                    conn,
                    case.id,
                    &Actor::Daemon,
                    None,
                    EventKind::DeadlineReminder,
                    json!({ "state": state.as_str(), "due": due.to_string() }),
                )
                .await?;
                return Ok(1);
            }
            Ok(0)
        }
        WaitingOn::Nobody => Ok(0),
    }
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

/// Tells holders of confirmed certificates that expire soon, each configured number of days
/// before, and opens (once) the case for the renewal.
async fn expiry_watch(pool: &SqlitePool, wf: &Workflow) -> Result<usize> {
    let thresholds = &wf.settings.certificates.expiry_notice_days;
    let Some(&widest) = thresholds.first() else {
        return Ok(0);
    };
    let now = crate::clock::now();
    let horizon = crate::db::stamp(now + chrono::Duration::days(widest));
    let expiring = {
        let mut conn = pool.acquire().await.context("opening the database")?;
        cases::expiring_certificates(&mut conn, &horizon).await?
    };
    let mut queued = 0;
    for cert in expiring {
        let mut tx = begin_write(pool).await?;
        queued += expiry_notice(&mut tx, wf, cert.case_id, &cert.serial, now).await?;
        tx.commit().await.context("committing an expiry notice")?;
    }
    Ok(queued)
}

async fn expiry_notice(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case_id: i64,
    serial: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let holder = cases::by_id(conn, case_id).await?;
    let Some(cert) = cases::items(conn, case_id)
        .await?
        .into_iter()
        .find(|i| i.kind == ItemKind::Certificate && i.value == serial)
    else {
        return Ok(0);
    };
    let Some(not_after) = cert.detail["not_after"].as_str().and_then(parse_stamp) else {
        return Ok(0);
    };
    let days_left = (not_after - now).num_days();
    // The most urgent notice reached; none once it has expired.
    let Some(threshold) = wf
        .settings
        .certificates
        .expiry_notice_days
        .iter()
        .rev()
        .find(|t| days_left <= **t)
        .filter(|_| days_left >= 0)
    else {
        return Ok(0);
    };
    let key = format!("expiry:{serial}:{}:{threshold}", holder.contact);
    if outbox::has_key(conn, &key).await? {
        return Ok(0);
    }
    let renewal = renewal_case(conn, wf, &holder, serial).await?;
    let draft = beneficiary::expiry(wf, key, &holder, &renewal, &cert, days_left);
    if !queue_once(conn, wf, draft).await? {
        return Ok(0);
    }
    audit::note(conn, holder.id, &Actor::Daemon, None, EventKind::ExpiryNotice, json!({ "serial": serial, "days_left": days_left, "renewal": renewal.reference.to_string() })).await?;
    Ok(1)
}

/// The case for renewing `serial`, opened on the first notice.
async fn renewal_case(
    conn: &mut SqliteConnection,
    _wf: &Workflow,
    holder: &Case,
    serial: &str,
) -> Result<Case> {
    if let Some(existing) = cases::renewal_of(conn, serial, &holder.contact).await? {
        return Ok(existing);
    }
    let renewal = cases::open(
        conn,
        &NewCase {
            service: holder.service,
            institution: holder.institution.clone(),
            contact: holder.contact.clone(),
            system_name: holder.system_name.clone(),
            language: holder.language,
            renews_serial: Some(serial.to_string()),
        },
    )
    .await?;
    if let Some(name) = &holder.system_name {
        cases::file_item(
            conn,
            renewal.id,
            ItemKind::SystemName,
            name,
            &json!({ "from_case": holder.reference.to_string() }),
            cases::ItemStatus::Confirmed,
            None,
        )
        .await?;
    }
    audit::record(
        conn,
        renewal.id,
        &Actor::Daemon,
        None,
        EventKind::Opened,
        json!({ "renews": serial, "previous_case": holder.reference.to_string() }),
    )
    .await?;
    tracing::info!(case = %renewal.reference, previous = %holder.reference, serial, "renewal case opened");
    cases::by_id(conn, renewal.id).await
}
