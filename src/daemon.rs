//! The daemon: builds the pipeline from configuration and runs its stages, once (`once`) or
//! as long-lived tasks woken by each other (`run`). Stages hand work over through tables;
//! the wake-ups only say "look again".

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rand::Rng;
use sqlx::SqlitePool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::ledger::{self, Recorded};
use crate::mailbox::{AnySource, Disposition, Locator, MailboxSource};
use crate::outbox::{Composer, Identity, Renderer, ReturnPaths};
use crate::settings::Settings;
use crate::transport::{self, AnyTransport};
use crate::workflow::calendar::Calendar;
use crate::workflow::tokens::TokenKey;
use crate::workflow::{self, Requirements, Workflow};

/// How much of an oversize message is kept: enough for its headers.
const OVERSIZE_HEAD_BYTES: usize = 64 * 1024;

/// Most messages fetched and committed together at intake.
pub const BATCH_MESSAGES: usize = 64;
/// Most bytes fetched and held together at intake (a message above it goes alone).
pub const BATCH_BYTES: u64 = 8 << 20;
/// Most messages moved by one command when settling.
const SETTLE_BATCH: usize = 500;

/// The assembled pipeline.
pub struct Desk {
    /// The database.
    pub pool: SqlitePool,
    /// The workflow stage and what it needs.
    pub workflow: Workflow,
    /// Where outgoing mail goes.
    pub transport: AnyTransport,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// New messages recorded in the ledger.
    pub recorded: usize,
    /// Copies of messages the ledger already had.
    pub duplicates: usize,
    /// Messages handled by the workflow stage.
    pub processed: usize,
    /// Source copies moved to Processed or Quarantine.
    pub settled: usize,
    /// Mail sent.
    pub sent: usize,
    /// Reminders, digests and expiry notices queued.
    pub reminders: usize,
}

impl Desk {
    /// Opens the database, loads the requirements and templates, and builds the transport.
    pub async fn build(settings: Settings) -> Result<Self> {
        let pool = crate::db::open(&settings.database.url).await?;
        let requirements = Requirements::load(&settings.workflow.services)?;
        let renderer = Renderer::load(&settings.workflow.templates)?;
        renderer.check(&workflow::mail::samples())?;
        let identity = Identity {
            address: settings.agency.address.clone(),
            name: settings.agency.name.clone(),
            instance: crate::db::instance_token(&pool).await?,
        };
        let transport = AnyTransport::from_settings(&settings)?;
        let calendar = Calendar::load(&settings.time.holidays, settings.time.timezone)?;
        let token_key = TokenKey::load(&pool, &settings.workflow.command_key).await?;
        let return_paths = settings
            .outbound
            .verp_delimiter
            .map(|d| ReturnPaths::new(&settings.agency.address, d, token_key.clone()));
        Ok(Self {
            pool,
            workflow: Workflow {
                settings,
                requirements,
                composer: Composer {
                    renderer,
                    identity,
                    return_paths,
                },
                calendar,
                token_key,
            },
            transport,
        })
    }

    /// The configuration.
    pub fn settings(&self) -> &Settings {
        &self.workflow.settings
    }

    /// Opens the configured mailbox.
    pub fn open_source(&self) -> Result<AnySource> {
        AnySource::from_settings(&self.settings().mailbox, &self.pool)
    }

    /// Records every waiting message in the ledger; copies of messages already handled are
    /// moved away at once. A message that cannot be read now is left for the next pass.
    ///
    /// Messages are fetched and committed in batches (at most [`BATCH_MESSAGES`] messages and
    /// [`BATCH_BYTES`] bytes): one IMAP command and one commit per batch instead of one round
    /// trip and one fsync per message, while memory stays bounded by the batch, not the
    /// backlog.
    pub async fn intake(&self, source: &mut AnySource, report: &mut PassReport) -> Result<()> {
        let limit = self.settings().mailbox.max_message_bytes;
        let mut batch: Vec<Locator> = Vec::new();
        let mut bytes = 0u64;
        for waiting in source.waiting().await? {
            if waiting.size > limit {
                self.intake_oversize(source, &waiting, limit, report)
                    .await?;
                continue;
            }
            if !batch.is_empty()
                && (batch.len() >= BATCH_MESSAGES || bytes + waiting.size > BATCH_BYTES)
            {
                self.intake_batch(source, &batch, report).await?;
                batch.clear();
                bytes = 0;
            }
            bytes += waiting.size;
            batch.push(waiting.locator);
        }
        if !batch.is_empty() {
            self.intake_batch(source, &batch, report).await?;
        }
        Ok(())
    }

    /// Fetches one batch and records it in one transaction.
    async fn intake_batch(
        &self,
        source: &mut AnySource,
        batch: &[Locator],
        report: &mut PassReport,
    ) -> Result<()> {
        let fetched = match source.fetch_many(batch).await {
            Ok(fetched) => fetched,
            Err(e) => {
                tracing::warn!(messages = batch.len(), error = %format!("{e:#}"), "cannot read a batch of messages; will try again");
                return Ok(());
            }
        };
        // Hashing and the private-key scan run in parallel, off the async threads, before the
        // write lock is taken.
        let prepared = crate::cpu::map(fetched, |raw| raw.map(ledger::Prepared::of))
            .await
            .into_iter()
            .map(|p| {
                p.unwrap_or_else(|| {
                    Err(anyhow::anyhow!("preparing a message for the ledger failed"))
                })
            });
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let mut recorded = Vec::with_capacity(batch.len());
        for (loc, message) in batch.iter().zip(prepared) {
            match message {
                Ok(message) => {
                    let outcome = ledger::record(&mut tx, loc, &message).await?;
                    recorded.push((loc.clone(), message.size(), outcome));
                }
                Err(e) => {
                    tracing::warn!(uid = %loc.uid, error = %format!("{e:#}"), "cannot read a message; will try again")
                }
            }
        }
        tx.commit().await.context("committing recorded messages")?;
        let locators: Vec<Locator> = recorded.iter().map(|(l, _, _)| l.clone()).collect();
        source.recorded(&locators).await?;
        for (loc, size, outcome) in recorded {
            self.after_recording(source, &loc, size as u64, outcome, report)
                .await?;
        }
        Ok(())
    }

    /// Records a message too large to fetch whole, from its head.
    async fn intake_oversize(
        &self,
        source: &mut AnySource,
        waiting: &crate::mailbox::Waiting,
        limit: u64,
        report: &mut PassReport,
    ) -> Result<()> {
        let loc = &waiting.locator;
        let head = match source.fetch_head(loc, OVERSIZE_HEAD_BYTES).await {
            Ok(head) => head,
            Err(e) => {
                tracing::warn!(uid = %loc.uid, error = %format!("{e:#}"), "cannot read a message; will try again");
                return Ok(());
            }
        };
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let outcome = ledger::record_oversize(&mut tx, loc, &head, waiting.size, limit).await?;
        tx.commit().await.context("committing a recorded message")?;
        source.recorded(std::slice::from_ref(loc)).await?;
        self.after_recording(source, loc, waiting.size, outcome, report)
            .await
    }

    /// Logs and counts a recorded message; a copy of one already handled is moved away.
    async fn after_recording(
        &self,
        source: &mut AnySource,
        loc: &Locator,
        size: u64,
        recorded: Recorded,
        report: &mut PassReport,
    ) -> Result<()> {
        match recorded {
            Recorded::New(id) => {
                tracing::info!(ledger_id = id, uid = %loc.uid, size, "message recorded");
                report.recorded += 1;
            }
            Recorded::Known { id, state } => {
                if let Some(disposition) = state.disposition() {
                    tracing::info!(ledger_id = id, uid = %loc.uid, "copy of a message already handled; moved away");
                    // Just listed, so its locator is current: no Message-ID needed.
                    source.settle(loc, None, disposition).await?;
                    report.duplicates += 1;
                }
            }
        }
        Ok(())
    }

    /// Moves the source copies of finished messages to Processed or Quarantine, many per
    /// command; a batch the server refuses is tried one message at a time.
    pub async fn settle(&self, source: &mut AnySource, report: &mut PassReport) -> Result<()> {
        let unsettled = ledger::unsettled(&self.pool).await?;
        for disposition in [Disposition::Processed, Disposition::Quarantine] {
            let group: Vec<&ledger::Unsettled> = unsettled
                .iter()
                .filter(|u| u.disposition == disposition)
                .collect();
            for chunk in group.chunks(SETTLE_BATCH) {
                let batch: Vec<(Locator, Option<String>)> = chunk
                    .iter()
                    .map(|u| (u.locator.clone(), u.message_id.clone()))
                    .collect();
                match source.settle_many(&batch, disposition).await {
                    Ok(()) => {
                        let ids: Vec<i64> = chunk.iter().map(|u| u.id).collect();
                        ledger::mark_settled(&self.pool, &ids).await?;
                        report.settled += ids.len();
                    }
                    Err(e) => {
                        tracing::warn!(messages = chunk.len(), error = %format!("{e:#}"), "cannot move handled messages together; trying one by one");
                        self.settle_each(source, chunk, report).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn settle_each(
        &self,
        source: &mut AnySource,
        chunk: &[&ledger::Unsettled],
        report: &mut PassReport,
    ) -> Result<()> {
        for u in chunk {
            match source
                .settle(&u.locator, u.message_id.as_deref(), u.disposition)
                .await
            {
                Ok(()) => {
                    ledger::mark_settled(&self.pool, &[u.id]).await?;
                    report.settled += 1;
                }
                Err(e) => {
                    tracing::warn!(ledger_id = u.id, error = %format!("{e:#}"), "cannot move a handled message yet")
                }
            }
        }
        Ok(())
    }

    /// Runs the workflow stage until the ledger has nothing waiting.
    pub async fn process_all(&self, report: &mut PassReport) -> Result<()> {
        loop {
            let handled = workflow::process_batch(&self.pool, &self.workflow).await?;
            if handled.is_empty() {
                return Ok(());
            }
            for h in &handled {
                tracing::debug!(ledger_id = h.ledger_id, outcome = %h.outcome, "message handled");
            }
            report.processed += handled.len();
        }
    }

    /// Sends what is due, unless `outbound.hold` keeps it queued.
    pub async fn deliver(&self, report: &mut PassReport) -> Result<()> {
        if self.settings().outbound.hold {
            return Ok(());
        }
        report.sent += transport::deliver_due(&self.pool, &self.transport, self.settings()).await?;
        workflow::delivery::report_given_up(&self.pool, &self.workflow).await?;
        Ok(())
    }

    /// Settles sends a previous process left half-done.
    pub async fn recover(&self) -> Result<()> {
        transport::recover_interrupted(&self.pool, &self.transport).await?;
        workflow::delivery::report_given_up(&self.pool, &self.workflow).await?;
        Ok(())
    }

    /// Queues the reminders, digest and expiry notices now due.
    pub async fn remind(&self, report: &mut PassReport) -> Result<()> {
        report.reminders += workflow::schedule::run_due(&self.pool, &self.workflow).await?;
        Ok(())
    }

    /// One full pass: record, process, move, remind, send. Used by `once`.
    pub async fn once(&self) -> Result<PassReport> {
        self.once_with(&mut self.open_source()?).await
    }

    /// One full pass on a source the caller opened (an in-process test's memory mailbox).
    pub async fn once_with(&self, source: &mut AnySource) -> Result<PassReport> {
        let mut report = PassReport::default();
        self.recover().await?;
        self.intake(source, &mut report).await?;
        self.process_all(&mut report).await?;
        self.settle(source, &mut report).await?;
        self.remind(&mut report).await?;
        self.deliver(&mut report).await?;
        Ok(report)
    }

    /// Runs the stages as tasks until `shutdown` is cancelled.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<()> {
        let source = self.open_source()?;
        tracing::info!(mailbox = %source.describe(), outbound = %crate::transport::Transport::describe(&self.transport), "egov-desk running");
        if self.settings().outbound.hold {
            tracing::warn!(
                "outbound.hold is set: replies are queued in the outbox, nothing is sent"
            );
        }
        self.recover().await?;
        let wake_process = Arc::new(Notify::new());
        let wake_deliver = Arc::new(Notify::new());
        let wake_settle = Arc::new(Notify::new());
        let intake = tokio::spawn(intake_loop(
            self.clone(),
            source,
            shutdown.clone(),
            wake_process.clone(),
            wake_settle.clone(),
        ));
        let process = tokio::spawn(process_loop(
            self.clone(),
            shutdown.clone(),
            wake_process.clone(),
            wake_deliver.clone(),
            wake_settle.clone(),
        ));
        let deliver = tokio::spawn(deliver_loop(
            self.clone(),
            shutdown.clone(),
            wake_deliver.clone(),
        ));
        let schedule = tokio::spawn(schedule_loop(
            self.clone(),
            shutdown.clone(),
            wake_deliver.clone(),
        ));
        for (name, task) in [
            ("intake", intake),
            ("process", process),
            ("deliver", deliver),
            ("schedule", schedule),
        ] {
            match task.await {
                Ok(()) => tracing::info!(task = name, "stopped"),
                Err(e) => tracing::error!(task = name, error = %e, "task ended abnormally"),
            }
        }
        Ok(())
    }
}

/// Backoff after a failed pass: 1 s doubling to 60 s, with jitter.
fn backoff(failures: u32) -> Duration {
    let secs = 2u64.saturating_pow(failures.min(6)).min(60);
    Duration::from_secs(secs).mul_f64(rand::thread_rng().gen_range(0.5..1.0))
}

async fn intake_loop(
    desk: Arc<Desk>,
    mut source: AnySource,
    shutdown: CancellationToken,
    wake_process: Arc<Notify>,
    wake_settle: Arc<Notify>,
) {
    // The source decides how long it really waits: Maildir polls, IMAP IDLEs up to this.
    let idle = Duration::from_secs(desk.settings().mailbox.idle_secs);
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        let mut report = PassReport::default();
        let pass = async {
            desk.settle(&mut source, &mut report).await?;
            desk.intake(&mut source, &mut report).await
        };
        let failed = tokio::select! {
            () = shutdown.cancelled() => break,
            result = pass => result.err(),
        };
        if report.recorded > 0 {
            wake_process.notify_one();
        }
        if let Some(e) = failed {
            failures += 1;
            let pause = backoff(failures);
            tracing::error!(error = %format!("{e:#}"), retry_in = ?pause, "reading the mailbox failed; backing off");
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => continue,
            }
        }
        failures = 0;
        tokio::select! {
            () = shutdown.cancelled() => break,
            result = source.wait_for_mail(idle, &wake_settle) => {
                if let Err(e) = result {
                    tracing::warn!(error = %format!("{e:#}"), "waiting for mail failed; reconnecting");
                }
            }
        }
    }
}

async fn process_loop(
    desk: Arc<Desk>,
    shutdown: CancellationToken,
    wake: Arc<Notify>,
    wake_deliver: Arc<Notify>,
    wake_settle: Arc<Notify>,
) {
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        match workflow::process_batch(&desk.pool, &desk.workflow).await {
            Ok(handled) if !handled.is_empty() => {
                failures = 0;
                wake_deliver.notify_one();
                wake_settle.notify_one();
                continue;
            }
            Ok(_) => failures = 0,
            Err(e) => {
                failures += 1;
                tracing::error!(error = %format!("{e:#}"), "processing failed; backing off");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(backoff(failures)) => continue,
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            // A safety net: a wake-up lost between processes still gets looked at.
            () = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
}

async fn deliver_loop(desk: Arc<Desk>, shutdown: CancellationToken, wake: Arc<Notify>) {
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        let mut report = PassReport::default();
        let pause = match desk.deliver(&mut report).await {
            Ok(()) if desk.settings().outbound.hold => Duration::from_secs(30),
            Ok(()) => {
                failures = 0;
                until_next_due(&desk.pool).await
            }
            Err(e) => {
                failures += 1;
                tracing::error!(error = %format!("{e:#}"), "delivering failed; backing off");
                backoff(failures)
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

async fn schedule_loop(desk: Arc<Desk>, shutdown: CancellationToken, wake_deliver: Arc<Notify>) {
    let every = Duration::from_secs(desk.settings().time.scheduler_interval_secs);
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        let mut report = PassReport::default();
        let pause = match desk.remind(&mut report).await {
            Ok(()) => {
                failures = 0;
                if report.reminders > 0 {
                    wake_deliver.notify_one();
                }
                every
            }
            Err(e) => {
                failures += 1;
                tracing::error!(error = %format!("{e:#}"), "scheduling reminders failed; backing off");
                backoff(failures)
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
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

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("listening for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
