//! A mailbox held in memory: mail is put in by the caller and moved between folders in a
//! `Vec`, so an in-process test (or an embedder) drives the desk without a Maildir or a
//! server. It behaves like the Maildir: a message stays listed until it is settled, and the
//! ledger recognises what it has already recorded.
//!
//! The source is a handle: clones share the same folders, so the caller keeps one to put
//! mail in and read the folders while the desk works through another.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{anyhow, Result};
use tokio::sync::Notify;

use super::{Disposition, Locator, MailboxSource, Waiting};

/// The folder name messages wait in, as IMAP calls its inbox.
const INBOX: &str = "INBOX";

/// The folders' contents.
#[derive(Default)]
struct Folders {
    /// The last UID given out; UIDs are never reused, as in IMAP.
    last_uid: u32,
    /// Waiting messages by UID, oldest first.
    inbox: Vec<(u32, Vec<u8>)>,
    /// Handled messages, in the order they were moved.
    processed: Vec<Vec<u8>>,
    /// Quarantined messages, in the order they were moved.
    quarantine: Vec<Vec<u8>>,
}

impl Folders {
    /// Moves a waiting message to `disposition`'s folder; one already gone is not an error,
    /// as for every source.
    fn move_out(&mut self, uid: u32, disposition: Disposition) {
        if let Some(at) = self.inbox.iter().position(|(u, _)| *u == uid) {
            let (_, raw) = self.inbox.remove(at);
            match disposition {
                Disposition::Processed => self.processed.push(raw),
                Disposition::Quarantine => self.quarantine.push(raw),
            }
        }
    }
}

/// A mailbox whose folders are `Vec`s.
#[derive(Clone, Default)]
pub struct MemorySource {
    folders: Arc<Mutex<Folders>>,
    arrived: Arc<Notify>,
}

impl MemorySource {
    /// An empty mailbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts a message in the inbox, as a delivering server would.
    pub fn deliver(&self, raw: impl Into<Vec<u8>>) {
        let mut folders = self.lock();
        folders.last_uid += 1;
        let uid = folders.last_uid;
        folders.inbox.push((uid, raw.into()));
        drop(folders);
        self.arrived.notify_one();
    }

    /// The messages still waiting in the inbox.
    pub fn waiting_count(&self) -> usize {
        self.lock().inbox.len()
    }

    /// The messages moved to `disposition`'s folder, in the order they were moved.
    pub fn settled(&self, disposition: Disposition) -> Vec<Vec<u8>> {
        let folders = self.lock();
        match disposition {
            Disposition::Processed => folders.processed.clone(),
            Disposition::Quarantine => folders.quarantine.clone(),
        }
    }

    /// The folders; a panic while they were held (only ever in a test) leaves them usable.
    fn lock(&self) -> MutexGuard<'_, Folders> {
        self.folders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn uid_of(locator: &Locator) -> Result<u32> {
        match locator.folder.as_str() {
            INBOX => locator
                .uid
                .parse()
                .map_err(|_| anyhow!("not a memory locator: {}", locator.uid)),
            other => Err(anyhow!("no folder {other} in memory")),
        }
    }

    fn message(&self, locator: &Locator) -> Result<Vec<u8>> {
        let uid = Self::uid_of(locator)?;
        self.lock()
            .inbox
            .iter()
            .find(|(u, _)| *u == uid)
            .map(|(_, raw)| raw.clone())
            .ok_or_else(|| anyhow!("no message {uid} in memory"))
    }
}

impl MailboxSource for MemorySource {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    async fn waiting(&mut self) -> Result<Vec<Waiting>> {
        Ok(self
            .lock()
            .inbox
            .iter()
            .map(|(uid, raw)| Waiting {
                locator: Locator {
                    folder: INBOX.to_string(),
                    uid_validity: 1,
                    uid: uid.to_string(),
                },
                size: raw.len() as u64,
            })
            .collect())
    }

    async fn fetch(&mut self, locator: &Locator) -> Result<Vec<u8>> {
        self.message(locator)
    }

    async fn fetch_many(&mut self, locators: &[Locator]) -> Result<Vec<Result<Vec<u8>>>> {
        Ok(locators.iter().map(|l| self.message(l)).collect())
    }

    async fn fetch_head(&mut self, locator: &Locator, limit: usize) -> Result<Vec<u8>> {
        let mut raw = self.message(locator)?;
        raw.truncate(limit);
        Ok(raw)
    }

    async fn recorded(&mut self, _locators: &[Locator]) -> Result<()> {
        // Like the Maildir: messages stay listed until settled, and the ledger dedups.
        Ok(())
    }

    async fn settle(
        &mut self,
        locator: &Locator,
        _message_id: Option<&str>,
        disposition: Disposition,
    ) -> Result<()> {
        self.lock().move_out(Self::uid_of(locator)?, disposition);
        Ok(())
    }

    async fn settle_many(
        &mut self,
        batch: &[(Locator, Option<String>)],
        disposition: Disposition,
    ) -> Result<()> {
        // Checked first and moved under one lock, as IMAP moves a batch in one command.
        let uids = batch
            .iter()
            .map(|(locator, _)| Self::uid_of(locator))
            .collect::<Result<Vec<u32>>>()?;
        let mut folders = self.lock();
        uids.into_iter()
            .for_each(|uid| folders.move_out(uid, disposition));
        Ok(())
    }

    async fn wait_for_mail(&mut self, max_wait: Duration, interrupt: &Notify) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep(max_wait) => {}
            () = interrupt.notified() => {}
            () = self.arrived.notified() => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_delivered_message_is_listed_fetched_and_moved() {
        let mut source = MemorySource::new();
        source.deliver(b"Subject: x\r\n\r\nhi".to_vec());
        let waiting = source.waiting().await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].size, 16);
        let loc = &waiting[0].locator;
        assert_eq!(source.fetch(loc).await.unwrap(), b"Subject: x\r\n\r\nhi");
        assert_eq!(source.fetch_head(loc, 7).await.unwrap(), b"Subject");

        source
            .settle(loc, None, Disposition::Quarantine)
            .await
            .unwrap();
        source
            .settle(loc, None, Disposition::Processed)
            .await
            .unwrap();
        assert_eq!(source.waiting_count(), 0);
        assert_eq!(source.settled(Disposition::Quarantine).len(), 1);
        assert!(source.settled(Disposition::Processed).is_empty());
        assert!(source.fetch(loc).await.is_err());
    }
}
