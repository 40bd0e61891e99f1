//! Delivery problems, told to the operators. The transport only records that it gave up on a
//! mail (`failed`, or `uncertain` after an interrupted send); this sweep finds every such row
//! not yet reported and queues the operators' notice. It runs after a delivery pass that gave
//! up on a mail (or stopped with an error) and after recovery at start-up, so a crash between
//! the transport's record and the notice loses nothing: the row stays unreported until a
//! sweep commits its notice, and the notice's idempotency key keeps it from being queued
//! twice. Passes that gave up on nothing do not sweep: failed rows only accumulate.

use anyhow::{Context, Result};
use sqlx::SqlitePool;

use super::mail::{operators, Draft, OperatorDeliveryProblem};
use super::Workflow;
use crate::db::begin_write;
use crate::outbox::{self, GivenUp, Purpose};

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
    let problem = OperatorDeliveryProblem {
        state: mail.state.as_str().to_string(),
        error: mail.last_error.clone().unwrap_or_default(),
        subject: mail.subject.clone(),
        recipients: serde_json::from_str(&mail.recipients).context("outbox recipients")?,
        message_id: mail.message_id.clone(),
        attempts: mail.attempts,
    };
    let key = format!("{KEY_PREFIX}{}", mail.id);
    Ok(operators::notice(&wf.settings.agency, key, None, problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::Desk;
    use crate::outbox::OutboxState;
    use crate::settings::Settings;
    use crate::workflow::mail::{Mail, OperatorReusedId, Samples};

    async fn desk(dir: &std::path::Path) -> Desk {
        let overlay = dir.join("test.toml");
        let toml = format!(
            "[database]\nurl = \"sqlite://{0}/desk.db\"\n[outbound]\npath = \"{0}/out\"\n",
            dir.display()
        );
        std::fs::write(&overlay, toml).unwrap();
        Desk::build(Settings::load(Some(&overlay)).unwrap())
            .await
            .unwrap()
    }

    /// A mail queued, then given up on as the transport leaves it.
    async fn given_up(desk: &Desk, key: &str, mail: impl Into<Mail>, state: OutboxState) -> i64 {
        let mut conn = desk.pool.acquire().await.unwrap();
        let draft = operators::notice(&desk.settings().agency, key.into(), None, mail);
        let id = desk.workflow.composer.enqueue(&mut conn, draft).await;
        let id = id.unwrap().expect("a new key is queued");
        let error = "gave up after 5 attempts: 451";
        outbox::mark_final(&desk.pool, id, state, error)
            .await
            .unwrap();
        id
    }

    fn sample<T: Samples>() -> T {
        T::samples().remove(0)
    }

    #[tokio::test]
    async fn a_mail_given_up_is_reported_to_the_operators_once() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(dir.path()).await;
        let reused = sample::<OperatorReusedId>;
        let first = given_up(&desk, "test:1", reused(), OutboxState::Failed).await;
        let second = given_up(&desk, "test:2", reused(), OutboxState::Uncertain).await;
        let notice = sample::<OperatorDeliveryProblem>();
        let third = given_up(&desk, "test:3", notice, OutboxState::Failed).await;

        assert_eq!(
            report_given_up(&desk.pool, &desk.workflow).await.unwrap(),
            2
        );
        assert_eq!(
            report_given_up(&desk.pool, &desk.workflow).await.unwrap(),
            0
        );

        let mut conn = desk.pool.acquire().await.unwrap();
        for id in [first, second] {
            let key = format!("{KEY_PREFIX}{id}");
            assert!(outbox::has_key(&mut conn, &key).await.unwrap(), "{key}");
        }
        let about_notice = format!("{KEY_PREFIX}{third}");
        assert!(
            !outbox::has_key(&mut conn, &about_notice).await.unwrap(),
            "a notice about a notice would only loop"
        );
    }
}
