//! The long-running tasks of `run`. Each is a [`Task`]: one pass of its stage and a way to
//! wait for the next; [`run_task`] gives all four the same shape — pass, back off on failure,
//! wait to be woken, stop when told — inside a span that names the task.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use rand::Rng;
use sqlx::SqlitePool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Desk, PassReport};
use crate::mailbox::{AnySource, MailboxSource};
use crate::workflow;

/// What a successful pass asks of its loop.
pub enum After {
    /// There may be more at once: pass again without waiting.
    Again,
    /// Wait for a wake-up, at most this long.
    Rest(Duration),
}

/// One long-running stage: a pass, and a way to wait for the next.
pub trait Task: Send {
    /// The task's name in its span and in the stop message.
    const NAME: &'static str;
    /// What failed, in the log line of a failed pass ("reading the mailbox failed").
    const WORK: &'static str;
    /// Whether shutdown may cut a pass short. Intake may (nothing is lost: the ledger has
    /// not committed what it did not finish); the other stages finish the work in hand.
    const CANCEL_PASS: bool = false;

    /// Does one pass of the stage.
    fn pass(&mut self) -> impl std::future::Future<Output = Result<After>> + Send;

    /// Waits for a reason to pass again: a wake-up, or `pause` elapsed.
    fn rest(&mut self, pause: Duration) -> impl std::future::Future<Output = ()> + Send;

    /// Waits out the backoff after a failed pass; by default nothing cuts it short.
    fn back_off(&mut self, pause: Duration) -> impl std::future::Future<Output = ()> + Send {
        tokio::time::sleep(pause)
    }
}

/// Runs `task` until `shutdown` is cancelled: passes, rests between them, and after a
/// failure backs off (1 s doubling to 60 s, jittered) before trying again.
pub async fn run_task<T: Task>(mut task: T, shutdown: CancellationToken) {
    let mut failures = 0;
    let mut passes = 0u64;
    let span = tracing::info_span!("task", task = T::NAME);
    async {
        while !shutdown.is_cancelled() {
            passes += 1;
            let pass = task.pass().instrument(tracing::info_span!("pass", n = passes));
            let result = if T::CANCEL_PASS {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    result = pass => result,
                }
            } else {
                pass.await
            };
            match result {
                Ok(After::Again) => failures = 0,
                Ok(After::Rest(pause)) => {
                    failures = 0;
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = task.rest(pause) => {}
                    }
                }
                Err(e) => {
                    failures += 1;
                    let pause = backoff(failures);
                    tracing::error!(error = %format!("{e:#}"), retry_in = ?pause, "{} failed; backing off", T::WORK);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = task.back_off(pause) => {}
                    }
                }
            }
        }
    }
    .instrument(span)
    .await;
}

/// Backoff after a failed pass: 1 s doubling to 60 s, with jitter.
fn backoff(failures: u32) -> Duration {
    let secs = 2u64.saturating_pow(failures.min(6)).min(60);
    Duration::from_secs(secs).mul_f64(rand::thread_rng().gen_range(0.5..1.0))
}

/// Settles finished messages and records new ones, then waits on the mailbox.
pub struct Intake {
    /// The pipeline.
    pub desk: Arc<Desk>,
    /// The open mailbox.
    pub source: AnySource,
    /// Rung when something was recorded.
    pub wake_process: Arc<Notify>,
    /// Rings when the workflow finished messages that can be moved.
    pub wake_settle: Arc<Notify>,
}

impl Task for Intake {
    const NAME: &'static str = "intake";
    const WORK: &'static str = "reading the mailbox";
    const CANCEL_PASS: bool = true;

    async fn pass(&mut self) -> Result<After> {
        let mut report = PassReport::default();
        let result = async {
            self.desk.settle(&mut self.source, &mut report).await?;
            self.desk.intake(&mut self.source, &mut report).await
        }
        .await;
        // What was recorded before a failure still wants processing.
        if report.recorded > 0 {
            self.wake_process.notify_one();
        }
        result?;
        // The source decides how long it really waits: Maildir polls, IMAP IDLEs up to this.
        Ok(After::Rest(Duration::from_secs(
            self.desk.settings().mailbox.idle_secs,
        )))
    }

    async fn rest(&mut self, pause: Duration) {
        if let Err(e) = self.source.wait_for_mail(pause, &self.wake_settle).await {
            tracing::warn!(error = %format!("{e:#}"), "waiting for mail failed; reconnecting");
        }
    }
}

/// Runs the workflow over what the ledger holds, batch by batch.
pub struct Process {
    /// The pipeline.
    pub desk: Arc<Desk>,
    /// Rings when intake recorded something.
    pub wake: Arc<Notify>,
    /// Rung when replies were queued.
    pub wake_deliver: Arc<Notify>,
    /// Rung when messages were finished.
    pub wake_settle: Arc<Notify>,
}

impl Task for Process {
    const NAME: &'static str = "process";
    const WORK: &'static str = "processing";

    async fn pass(&mut self) -> Result<After> {
        let handled = workflow::process_batch(&self.desk.pool, &self.desk.workflow).await?;
        if handled.is_empty() {
            // A safety net: a wake-up lost between processes still gets looked at.
            return Ok(After::Rest(Duration::from_secs(30)));
        }
        self.wake_deliver.notify_one();
        self.wake_settle.notify_one();
        Ok(After::Again)
    }

    async fn rest(&mut self, pause: Duration) {
        tokio::select! {
            () = self.wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Sends what is due, then sleeps until the next retry falls due or it is woken.
pub struct Deliver {
    /// The pipeline.
    pub desk: Arc<Desk>,
    /// Rings when replies were queued.
    pub wake: Arc<Notify>,
}

impl Task for Deliver {
    const NAME: &'static str = "deliver";
    const WORK: &'static str = "delivering";

    async fn pass(&mut self) -> Result<After> {
        self.desk.deliver(&mut PassReport::default()).await?;
        if self.desk.settings().outbound.hold {
            return Ok(After::Rest(Duration::from_secs(30)));
        }
        Ok(After::Rest(until_next_due(&self.desk.pool).await))
    }

    async fn rest(&mut self, pause: Duration) {
        tokio::select! {
            () = self.wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }

    /// New replies cut the backoff short: they may go out where the last ones could not.
    async fn back_off(&mut self, pause: Duration) {
        self.rest(pause).await;
    }
}

/// Queues the reminders, digests and expiry notices that fall due.
pub struct Schedule {
    /// The pipeline.
    pub desk: Arc<Desk>,
    /// Rung when something was queued.
    pub wake_deliver: Arc<Notify>,
}

impl Task for Schedule {
    const NAME: &'static str = "schedule";
    const WORK: &'static str = "scheduling reminders";

    async fn pass(&mut self) -> Result<After> {
        let mut report = PassReport::default();
        self.desk.remind(&mut report).await?;
        if report.reminders > 0 {
            self.wake_deliver.notify_one();
        }
        Ok(After::Rest(Duration::from_secs(
            self.desk.settings().time.scheduler_interval_secs,
        )))
    }

    async fn rest(&mut self, pause: Duration) {
        tokio::time::sleep(pause).await;
    }
}

/// How long until the next retry is due, at most 30 s.
async fn until_next_due(pool: &SqlitePool) -> Duration {
    let cap = Duration::from_secs(30);
    let Ok(Some(at)) = crate::outbox::next_due(pool).await else {
        return cap;
    };
    chrono::DateTime::parse_from_rfc3339(&at)
        .ok()
        .and_then(|at| {
            (at.with_timezone(&chrono::Utc) - crate::clock::now())
                .to_std()
                .ok()
        })
        .map_or(Duration::from_millis(200), |d| d.min(cap))
}
