//! Intake and settling: the two stages that talk to the mailbox. Intake records what waits
//! there in the ledger; settling moves what the workflow finished out of the inbox.

use anyhow::{Context, Result};
use tracing::Instrument;

use super::{Desk, PassReport};
use crate::ledger::{self, Recorded};
use crate::mailbox::{AnySource, Disposition, Locator, MailboxSource};

/// How much of an oversize message is kept: enough for its headers.
const OVERSIZE_HEAD_BYTES: usize = 64 * 1024;

/// Most messages fetched and committed together at intake.
pub const BATCH_MESSAGES: usize = 64;
/// Most bytes fetched and held together at intake (a message above it goes alone).
pub const BATCH_BYTES: u64 = 8 << 20;
/// Most messages moved by one command when settling.
const SETTLE_BATCH: usize = 500;

impl Desk {
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
        let span = tracing::info_span!("intake_batch", messages = batch.len());
        self.record_batch(source, batch, report)
            .instrument(span)
            .await
    }

    async fn record_batch(
        &self,
        source: &mut AnySource,
        batch: &[Locator],
        report: &mut PassReport,
    ) -> Result<()> {
        let fetched = match source.fetch_many(batch).await {
            Ok(fetched) => fetched,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot read a batch of messages; will try again");
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
                let span =
                    tracing::info_span!("settle_batch", messages = chunk.len(), ?disposition);
                self.settle_chunk(source, chunk, disposition, report)
                    .instrument(span)
                    .await?;
            }
        }
        Ok(())
    }

    /// Moves one chunk with one command, or one by one if the server refuses it.
    async fn settle_chunk(
        &self,
        source: &mut AnySource,
        chunk: &[&ledger::Unsettled],
        disposition: Disposition,
        report: &mut PassReport,
    ) -> Result<()> {
        let batch: Vec<(Locator, Option<String>)> = chunk
            .iter()
            .map(|u| (u.locator.clone(), u.message_id.clone()))
            .collect();
        match source.settle_many(&batch, disposition).await {
            Ok(()) => {
                let ids: Vec<i64> = chunk.iter().map(|u| u.id).collect();
                ledger::mark_settled(&self.pool, &ids).await?;
                report.settled += ids.len();
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot move handled messages together; trying one by one");
                self.settle_each(source, chunk, report).await
            }
        }
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
}
