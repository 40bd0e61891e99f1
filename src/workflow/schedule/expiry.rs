//! The certificate expiry watch: holders of confirmed certificates that expire soon are told,
//! each configured number of days before, and a case for the renewal is opened (once).

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::{SqliteConnection, SqlitePool};

use super::queue_once;
use crate::db::{begin_write, parse_stamp};
use crate::domain::ItemKind;
use crate::outbox;
use crate::workflow::audit::{self, Actor, EventKind};
use crate::workflow::cases::{self, Case, NewCase};
use crate::workflow::mail::beneficiary;
use crate::workflow::Workflow;

/// Tells holders of confirmed certificates that expire soon, each configured number of days
/// before, and opens (once) the case for the renewal.
pub(super) async fn expiry_watch(pool: &SqlitePool, wf: &Workflow) -> Result<usize> {
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
