//! Stage 7, the transport: works the outbox one row at a time. A row is marked `attempting`
//! (committed) before the send starts; each send ends `Sent`, `Retry` or `Failed`; a row a
//! crash left `attempting` is never blindly sent again. A row given up is only recorded
//! here (`failed` or `uncertain`, with the error); telling the operators is the workflow's
//! (`workflow::delivery`).

mod directory;
mod memory;
mod smtp;

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use rand::Rng;
use sqlx::SqlitePool;

pub use directory::DirectoryTransport;
pub use memory::{Kept, MemoryTransport};
pub use smtp::SmtpTransport;

use crate::outbox::{self, OutboxState, Outgoing, Purpose};
use crate::settings::{Outbound, Settings};

/// How one send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the server's (or writer's) reply is kept.
    Sent(String),
    /// A temporary failure: try again later.
    Retry(String),
    /// A permanent failure: do not try again.
    Failed(String),
}

/// A way of handing mail on.
pub trait Transport {
    /// A short description for logs (no secrets).
    fn describe(&self) -> String;

    /// Sends one mail.
    fn send(&self, mail: &Outgoing) -> impl Future<Output = SendOutcome> + Send;

    /// For a row a crash left mid-send: `Some(true)` if it provably went out, `Some(false)`
    /// if it provably did not (safe to send again), `None` if that cannot be known.
    fn was_delivered(&self, mail: &Outgoing) -> impl Future<Output = Option<bool>> + Send;
}

/// The transport chosen by configuration.
pub enum AnyTransport {
    /// `.eml` files in a folder.
    Directory(DirectoryTransport),
    /// An SMTP server.
    Smtp(Box<SmtpTransport>),
    /// A `Vec` (in-process tests); never from configuration.
    Memory(MemoryTransport),
}

impl AnyTransport {
    /// Builds the transport that `outbound.kind` names.
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        match &settings.outbound.transport {
            Outbound::Directory { path } => Ok(Self::Directory(DirectoryTransport::open(path)?)),
            Outbound::Smtp(endpoint) => Ok(Self::Smtp(Box::new(SmtpTransport::new(endpoint)?))),
        }
    }
}

impl Transport for AnyTransport {
    fn describe(&self) -> String {
        match self {
            Self::Directory(d) => d.describe(),
            Self::Smtp(s) => s.describe(),
            Self::Memory(m) => m.describe(),
        }
    }

    async fn send(&self, mail: &Outgoing) -> SendOutcome {
        match self {
            Self::Directory(d) => d.send(mail).await,
            Self::Smtp(s) => s.send(mail).await,
            Self::Memory(m) => m.send(mail).await,
        }
    }

    async fn was_delivered(&self, mail: &Outgoing) -> Option<bool> {
        match self {
            Self::Directory(d) => d.was_delivered(mail).await,
            Self::Smtp(s) => s.was_delivered(mail).await,
            Self::Memory(m) => m.was_delivered(mail).await,
        }
    }
}

/// Delivery policy from configuration.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// First delay.
    pub base: Duration,
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`: doubling, capped at six hours, with ±25% jitter
    /// so a backlog does not retry in lockstep.
    pub fn delay(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
        let base = self.base.saturating_mul(2u32.saturating_pow(exp));
        let capped = base.min(Duration::from_secs(6 * 3600));
        let jitter = rand::thread_rng().gen_range(0.75..1.25);
        capped.mul_f64(jitter)
    }
}

/// Settles rows a previous process left mid-send: delivered ones are marked sent, provably
/// unsent ones go back to the queue, and the rest are marked `uncertain` (to be reported).
pub async fn recover_interrupted(pool: &SqlitePool, transport: &impl Transport) -> Result<()> {
    for mail in outbox::interrupted(pool).await? {
        match transport.was_delivered(&mail).await {
            Some(true) => {
                tracing::info!(outbox_id = mail.id, "interrupted send had completed");
                outbox::mark_sent(pool, mail.id, "delivered before an interruption").await?;
            }
            Some(false) => {
                tracing::info!(
                    outbox_id = mail.id,
                    "interrupted send had not started; queued again"
                );
                outbox::mark_retry(pool, mail.id, "interrupted", &crate::db::now()).await?;
            }
            // A notice about another mail's uncertain fate is the one mail that must not end
            // uncertain itself (nobody would be told): sent again, at worst twice.
            None if mail.purpose == Purpose::OperatorDeliveryProblem => {
                tracing::warn!(
                    outbox_id = mail.id,
                    "an interrupted delivery-problem notice is sent again"
                );
                outbox::mark_retry(pool, mail.id, "interrupted", &crate::db::now()).await?;
            }
            None => {
                tracing::error!(outbox_id = mail.id, subject = %mail.subject,
                    "a send was interrupted and may or may not have gone out; not resent, operators told");
                outbox::mark_final(
                    pool,
                    mail.id,
                    OutboxState::Uncertain,
                    "interrupted mid-send; it may or may not have been delivered",
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Most rows claimed in one commit. Their deliveries are recorded together too, so a crash
/// mid-batch leaves at most this many rows `attempting`, each reported as uncertain and none
/// sent twice; one commit per mail would cost more than the send itself.
const SEND_BATCH: usize = 16;

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Mails sent.
    pub sent: usize,
    /// Mails given up on (recorded `failed`), for the workflow to report.
    pub given_up: usize,
}

/// Sends every row that is due now; returns how many were sent and how many given up.
pub async fn deliver_due(
    pool: &SqlitePool,
    transport: &impl Transport,
    settings: &Settings,
) -> Result<Delivered> {
    let policy = RetryPolicy {
        max_attempts: settings.outbound.max_attempts,
        base: Duration::from_secs(settings.outbound.retry_base_secs),
    };
    let mut done = Delivered::default();
    loop {
        let claimed = outbox::claim_due(pool, SEND_BATCH).await?;
        if claimed.is_empty() {
            return Ok(done);
        }
        let mut delivered = Vec::with_capacity(claimed.len());
        let mut outcome = Ok(());
        for (i, &id) in claimed.iter().enumerate() {
            match send_one(pool, transport, &policy, id).await {
                Ok(Attempt::Sent(reply)) => delivered.push((id, reply)),
                Ok(Attempt::GivenUp) => done.given_up += 1,
                Ok(Attempt::Retried) => {
                    // The server is not taking mail now: the rest of the batch never started,
                    // so it goes back to the queue as it was, without an attempt counted.
                    outbox::release(pool, &claimed[i + 1..]).await?;
                    break;
                }
                Err(e) => {
                    // Rows not reached stay `attempting`: recovery reports them, never resends.
                    outcome = Err(e);
                    break;
                }
            }
        }
        done.sent += delivered.len();
        outbox::mark_all_sent(pool, &delivered).await?;
        outcome?;
        if claimed.len() > delivered.len() {
            // Something was retried or given up: what is left waits for the next pass.
            return Ok(done);
        }
    }
}

/// How sending one claimed row ended.
enum Attempt {
    /// Accepted, with the server's reply; recorded by the caller with its batch.
    Sent(String),
    /// A temporary failure; the row is queued again for later.
    Retried,
    /// Given up: recorded `failed`, for the workflow to report.
    GivenUp,
}

/// Sends one claimed row.
async fn send_one(
    pool: &SqlitePool,
    transport: &impl Transport,
    policy: &RetryPolicy,
    id: i64,
) -> Result<Attempt> {
    let mail = outbox::outgoing_by_id(pool, id).await?;
    match transport.send(&mail).await {
        SendOutcome::Sent(reply) => {
            tracing::info!(outbox_id = mail.id, purpose = %mail.purpose, subject = %mail.subject,
                to = %mail.recipients.join(","), %reply, "mail sent");
            return Ok(Attempt::Sent(reply));
        }
        SendOutcome::Retry(error) if mail.attempts < i64::from(policy.max_attempts) => {
            let delay = policy.delay(mail.attempts);
            let at = crate::db::stamp(crate::clock::now() + delay);
            tracing::warn!(outbox_id = mail.id, attempts = mail.attempts, %error, retry_at = %at, "send failed for now; will retry");
            outbox::mark_retry(pool, mail.id, &error, &at).await?;
            return Ok(Attempt::Retried);
        }
        SendOutcome::Retry(error) => {
            tracing::error!(outbox_id = mail.id, attempts = mail.attempts, %error, "send kept failing; given up");
            let error = format!("gave up after {} attempts: {error}", mail.attempts);
            outbox::mark_final(pool, mail.id, OutboxState::Failed, &error).await?;
        }
        SendOutcome::Failed(error) => {
            tracing::error!(outbox_id = mail.id, %error, "send refused; not retried");
            outbox::mark_final(pool, mail.id, OutboxState::Failed, &error).await?;
        }
    }
    Ok(Attempt::GivenUp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_with_jitter_and_are_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(30),
        };
        let first = p.delay(1).as_secs_f64();
        assert!((22.0..=38.0).contains(&first), "{first}");
        let third = p.delay(3).as_secs_f64();
        assert!((90.0..=150.0).contains(&third), "{third}");
        assert!(p.delay(40) <= Duration::from_secs(6 * 3600 * 5 / 4));
    }
}
