//! Delivery problems, told to the operators. The transport only records that it gave up on a
//! mail (`failed`, or `uncertain` after an interrupted send); this sweep finds every such row
//! not yet reported and queues the operators' notice. It runs after each delivery pass and
//! after recovery, so a crash between the two loses nothing: the row stays unreported until
//! a sweep commits its notice, and the notice's idempotency key keeps it from being queued
//! twice.

use anyhow::{Context, Result};
use serde_json::json;
use sqlx::SqlitePool;

use super::{notices, Workflow};
use crate::db::begin_write;
use crate::outbox::{self, Draft, GivenUp, Purpose};

/// The notice about outbox row `id` is keyed `delivery-problem:<id>`.
const KEY_PREFIX: &str = "delivery-problem:";

/// Queues a notice to the operators for every mail given up and not yet reported; returns
/// how many were queued. A notice about a notice is never queued: it would only loop.
pub async fn report_given_up(pool: &SqlitePool, wf: &Workflow) -> Result<usize> {
    // Read first without the write lock: nearly every pass finds nothing.
    let waiting = {
        let mut conn = pool.acquire().await.context("opening the database")?;
        unreported(&mut conn).await?
    };
    if waiting.is_empty() {
        return Ok(0);
    }
    let mut tx = begin_write(pool).await?;
    let mut queued = 0;
    for mail in unreported(&mut tx).await? {
        if wf
            .composer
            .enqueue(&mut tx, notice(wf, &mail)?)
            .await?
            .is_some()
        {
            queued += 1;
        }
    }
    tx.commit()
        .await
        .context("queueing delivery-problem notices")?;
    Ok(queued)
}

async fn unreported(conn: &mut sqlx::SqliteConnection) -> Result<Vec<GivenUp>> {
    outbox::unreported_failures(conn, Purpose::OperatorDeliveryProblem, KEY_PREFIX).await
}

/// The operators' notice about one mail given up.
fn notice(wf: &Workflow, mail: &GivenUp) -> Result<Draft> {
    let recipients: Vec<String> =
        serde_json::from_str(&mail.recipients).context("outbox recipients")?;
    let context = json!({
        "state": mail.state,
        "error": mail.last_error.as_deref().unwrap_or_default(),
        "subject": mail.subject,
        "recipients": recipients,
        "message_id": mail.message_id,
        "attempts": mail.attempts,
    });
    Ok(notices::to_operators(
        wf,
        Purpose::OperatorDeliveryProblem,
        format!("{KEY_PREFIX}{}", mail.id),
        None,
        context,
    ))
}
