//! Stage 1, the mailbox: where incoming mail waits, and where handled mail is moved.
//!
//! One trait, shaped after IMAP (folders, UIDVALIDITY, UIDs, size before fetch, move after
//! commit), so the Maildir used by the embedded default and the IMAP source behave alike.

pub mod imap;
mod maildir;
mod memory;

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use sqlx::SqlitePool;
use tokio::sync::Notify;

pub use imap::ImapSource;
pub use maildir::MaildirSource;
pub use memory::MemorySource;

use crate::settings::{Mailbox, MailboxSettings};

/// Where a message sits in its source: enough to fetch it and to move it away later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// Folder name (`INBOX` for the Maildir root).
    pub folder: String,
    /// IMAP UIDVALIDITY of the folder; 0 for Maildir, which has none.
    pub uid_validity: u32,
    /// IMAP UID, or the Maildir file's path below the folder (`new/<name>`).
    pub uid: String,
}

/// A message waiting in the source, with its size known before it is downloaded.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// Where it is.
    pub locator: Locator,
    /// Its size in bytes.
    pub size: u64,
}

/// Where a message goes once the ledger has committed what happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Handled: moved to the processed folder.
    Processed,
    /// Could not be handled (unreadable, oversize): moved to the quarantine folder.
    Quarantine,
}

/// A place incoming mail is read from.
pub trait MailboxSource {
    /// A short description for logs (no secrets).
    fn describe(&self) -> String;

    /// The messages waiting to be recorded, oldest first.
    fn waiting(&mut self) -> impl Future<Output = Result<Vec<Waiting>>> + Send;

    /// The raw bytes of one waiting message, without marking it read.
    fn fetch(&mut self, locator: &Locator) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// The raw bytes of several waiting messages, in the order asked, each fetched or failed
    /// on its own; IMAP asks for all of them in one command. `Err` when none could be asked.
    fn fetch_many(
        &mut self,
        locators: &[Locator],
    ) -> impl Future<Output = Result<Vec<Result<Vec<u8>>>>> + Send;

    /// The first `limit` bytes of a message, for recording one too large to fetch whole.
    fn fetch_head(
        &mut self,
        locator: &Locator,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// Tells the source the ledger now holds these messages (committed), so they need not
    /// be listed again.
    fn recorded(&mut self, locators: &[Locator]) -> impl Future<Output = Result<()>> + Send;

    /// Moves a message out of the incoming folder; a message already gone is not an error.
    /// `message_id` finds it again if its folder was renumbered since it was listed.
    fn settle(
        &mut self,
        locator: &Locator,
        message_id: Option<&str>,
        disposition: Disposition,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Moves several messages to the same place; IMAP moves them in one command. Each entry
    /// is a locator and its Message-ID, as for [`MailboxSource::settle`].
    fn settle_many(
        &mut self,
        batch: &[(Locator, Option<String>)],
        disposition: Disposition,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Returns when new mail may have arrived, when `interrupt` is notified, or after
    /// `max_wait` at the latest.
    fn wait_for_mail(
        &mut self,
        max_wait: Duration,
        interrupt: &Notify,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// The source chosen by configuration.
pub enum AnySource {
    /// A local Maildir.
    Maildir(MaildirSource),
    /// An IMAP server.
    Imap(Box<ImapSource>),
    /// Folders in memory, put in by the caller (in-process tests); never from configuration.
    Memory(MemorySource),
}

impl AnySource {
    /// Builds the source that `mailbox.kind` names.
    pub fn from_settings(settings: &MailboxSettings, pool: &SqlitePool) -> Result<Self> {
        match &settings.source {
            Mailbox::Maildir { path } => Ok(Self::Maildir(MaildirSource::open(
                path,
                Duration::from_secs(settings.poll_interval_secs),
            )?)),
            Mailbox::Imap(imap) => Ok(Self::Imap(Box::new(ImapSource::new(
                settings,
                imap,
                pool.clone(),
            )))),
        }
    }
}

/// Calls the same method on whichever source is configured.
macro_rules! dispatch {
    ($self:ident, $source:ident => $call:expr) => {
        match $self {
            AnySource::Maildir($source) => $call,
            AnySource::Imap($source) => $call,
            AnySource::Memory($source) => $call,
        }
    };
}

impl MailboxSource for AnySource {
    fn describe(&self) -> String {
        dispatch!(self, s => s.describe())
    }

    async fn waiting(&mut self) -> Result<Vec<Waiting>> {
        dispatch!(self, s => s.waiting().await)
    }

    async fn fetch(&mut self, locator: &Locator) -> Result<Vec<u8>> {
        dispatch!(self, s => s.fetch(locator).await)
    }

    async fn fetch_head(&mut self, locator: &Locator, limit: usize) -> Result<Vec<u8>> {
        dispatch!(self, s => s.fetch_head(locator, limit).await)
    }

    async fn fetch_many(&mut self, locators: &[Locator]) -> Result<Vec<Result<Vec<u8>>>> {
        dispatch!(self, s => s.fetch_many(locators).await)
    }

    async fn recorded(&mut self, locators: &[Locator]) -> Result<()> {
        dispatch!(self, s => s.recorded(locators).await)
    }

    async fn settle_many(
        &mut self,
        batch: &[(Locator, Option<String>)],
        disposition: Disposition,
    ) -> Result<()> {
        dispatch!(self, s => s.settle_many(batch, disposition).await)
    }

    async fn settle(
        &mut self,
        locator: &Locator,
        message_id: Option<&str>,
        disposition: Disposition,
    ) -> Result<()> {
        dispatch!(self, s => s.settle(locator, message_id, disposition).await)
    }

    async fn wait_for_mail(&mut self, max_wait: Duration, interrupt: &Notify) -> Result<()> {
        dispatch!(self, s => s.wait_for_mail(max_wait, interrupt).await)
    }
}
