//! The daemon: builds the pipeline from configuration and runs its stages, once (`once`) or
//! as long-lived tasks woken by each other (`run`). Stages hand work over through tables;
//! the wake-ups only say "look again".

use std::sync::Arc;

use anyhow::{Context, Result};
use sqlx::SqlitePool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::mailbox::{AnySource, MailboxSource};
use crate::outbox::{Composer, Identity, Renderer, ReturnPaths};
use crate::settings::Settings;
use crate::transport::{self, AnyTransport};
use crate::workflow::calendar::Calendar;
use crate::workflow::tokens::TokenKey;
use crate::workflow::{self, Requirements, Workflow};

mod intake;
mod tasks;

pub use intake::{BATCH_BYTES, BATCH_MESSAGES};

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
        let delivered = transport::deliver_due(&self.pool, &self.transport, self.settings()).await;
        // Only a pass that gave up on a mail, or stopped half-way, can leave one to report;
        // what a crash leaves between the two is found by the sweep after recovery.
        if delivered.as_ref().map_or(true, |d| d.given_up > 0) {
            workflow::delivery::report_given_up(&self.pool, &self.workflow).await?;
        }
        report.sent += delivered?.sent;
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
        let span = tracing::info_span!("once", mailbox = %source.describe());
        async {
            let mut report = PassReport::default();
            self.recover().await?;
            self.intake(source, &mut report).await?;
            self.process_all(&mut report).await?;
            self.settle(source, &mut report).await?;
            self.remind(&mut report).await?;
            self.deliver(&mut report).await?;
            Ok(report)
        }
        .instrument(span)
        .await
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
        let intake = tokio::spawn(tasks::run_task(
            tasks::Intake {
                desk: self.clone(),
                source,
                wake_process: wake_process.clone(),
                wake_settle: wake_settle.clone(),
            },
            shutdown.clone(),
        ));
        let process = tokio::spawn(tasks::run_task(
            tasks::Process {
                desk: self.clone(),
                wake: wake_process,
                wake_deliver: wake_deliver.clone(),
                wake_settle,
            },
            shutdown.clone(),
        ));
        let deliver = tokio::spawn(tasks::run_task(
            tasks::Deliver {
                desk: self.clone(),
                wake: wake_deliver.clone(),
            },
            shutdown.clone(),
        ));
        let schedule = tokio::spawn(tasks::run_task(
            tasks::Schedule {
                desk: self.clone(),
                wake_deliver,
            },
            shutdown,
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
