//! The IMAP source: incremental sync by UID with a stored cursor per folder, sizes checked
//! before bodies are fetched, `BODY.PEEK[]` so nothing is marked read, handled mail moved
//! with UID MOVE (or COPY + `\Deleted` + UID EXPUNGE), and new mail awaited with IDLE.
//!
//! Every exchange runs under a timeout; any failure drops the connection, and the next call
//! opens a new one (the caller backs off between failures). Nothing here decides whether a
//! message is new: the ledger does, so a rescan after a UIDVALIDITY change is harmless.

mod connect;
mod cursor;
mod idle;
mod uids;

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures::TryStreamExt;
use sqlx::SqlitePool;
use tokio::sync::Notify;
use tracing::Instrument;

use self::connect::ImapSession;
use self::cursor::Cursor;
use self::uids::uid_set;
use super::{Disposition, Locator, MailboxSource, Waiting};
use crate::settings::{ImapSettings, MailboxSettings, MoveMode};

pub use connect::client_config;

/// What the server can do, asked once per connection.
#[derive(Debug, Clone, Copy, Default)]
struct Caps {
    idle: bool,
    mv: bool,
    uidplus: bool,
}

/// A mailbox folder on an IMAP server.
pub struct ImapSource {
    settings: ImapSettings,
    /// How often to look for mail when the server has no IDLE.
    poll_interval: Duration,
    /// Longest IDLE before it is re-issued.
    idle: Duration,
    pool: SqlitePool,
    session: Option<ImapSession>,
    caps: Caps,
    /// UIDVALIDITY of the folder as selected on the current connection.
    uid_validity: u32,
    cursor: Cursor,
    /// A fetch failed since the last listing: the cursor must not move past it.
    gap: bool,
}

impl ImapSource {
    /// A source for the configured server; it connects on first use.
    pub fn new(mailbox: &MailboxSettings, settings: &ImapSettings, pool: SqlitePool) -> Self {
        Self {
            settings: settings.clone(),
            poll_interval: Duration::from_secs(mailbox.poll_interval_secs),
            idle: Duration::from_secs(mailbox.idle_secs),
            pool,
            session: None,
            caps: Caps::default(),
            uid_validity: 0,
            cursor: Cursor {
                uid_validity: 0,
                last_uid: 0,
            },
            gap: false,
        }
    }

    fn limit(&self) -> Duration {
        Duration::from_secs(self.settings.endpoint.timeout_secs.get())
    }

    /// The live session, connecting, creating folders and selecting the inbox if needed.
    async fn session(&mut self) -> Result<&mut ImapSession> {
        if self.session.is_none() {
            let limit = self.limit();
            let endpoint = &self.settings.endpoint;
            let span = tracing::info_span!("imap_session", server = %endpoint.address(),
                user = %endpoint.username, folder = %self.settings.options.folder);
            let session = tokio::time::timeout(limit * 3, self.connect().instrument(span))
                .await
                .map_err(|_| anyhow!("setting up the IMAP session timed out"))??;
            self.session = Some(session);
        }
        self.session.as_mut().context("no IMAP session")
    }

    async fn connect(&mut self) -> Result<ImapSession> {
        let mut session = connect::open(&self.settings).await?;
        let caps = session.capabilities().await.context("CAPABILITY")?;
        self.caps = Caps {
            idle: caps.has_str("IDLE"),
            mv: caps.has_str("MOVE") && self.settings.options.move_mode == MoveMode::Auto,
            uidplus: caps.has_str("UIDPLUS"),
        };
        for folder in [
            self.settings.options.processed_folder.as_str(),
            self.settings.options.quarantine_folder.as_str(),
        ] {
            let found: Vec<_> = session
                .list(Some(""), Some(folder))
                .await
                .context("LIST")?
                .try_collect()
                .await
                .context("LIST")?;
            if found.is_empty() {
                session
                    .create(folder)
                    .await
                    .with_context(|| format!("creating folder {folder}"))?;
                tracing::info!(%folder, "IMAP folder created");
            }
        }
        self.select(&mut session).await?;
        tracing::info!(
            idle = self.caps.idle,
            r#move = self.caps.mv,
            uidplus = self.caps.uidplus,
            "IMAP session open"
        );
        Ok(session)
    }

    /// Selects the inbox folder and reconciles the cursor with its UIDVALIDITY.
    async fn select(&mut self, session: &mut ImapSession) -> Result<u32> {
        let folder = self.settings.options.folder.as_str();
        let mailbox = session
            .select(folder)
            .await
            .with_context(|| format!("selecting {folder}"))?;
        let validity = mailbox.uid_validity.unwrap_or(0);
        self.uid_validity = validity;
        if self.cursor.uid_validity != validity {
            let stored = cursor::load(&self.pool, folder).await?;
            self.cursor = match stored {
                Some(c) if c.uid_validity == validity => c,
                Some(c) => {
                    // UIDs of the old validity mean nothing now: read the folder again; the
                    // ledger recognises every message already recorded.
                    tracing::warn!(%folder, old = c.uid_validity, new = validity, "UIDVALIDITY changed; rescanning the folder");
                    Cursor {
                        uid_validity: validity,
                        last_uid: 0,
                    }
                }
                None => Cursor {
                    uid_validity: validity,
                    last_uid: 0,
                },
            };
            cursor::store(&self.pool, folder, self.cursor).await?;
        }
        Ok(mailbox.exists)
    }

    /// Connects if needed, under a deadline.
    async fn ensure_connected(&mut self) -> Result<()> {
        let limit = self.limit();
        let connected = tokio::time::timeout(limit * 3, self.session())
            .await
            .map(|r| r.map(|_| ()));
        self.guard("connection", connected).await
    }

    /// Turns the outcome of an exchange run under its deadline into a result; a failure or
    /// a timeout drops the session, so the next call reconnects.
    async fn guard<T>(
        &mut self,
        what: &str,
        result: Result<Result<T>, tokio::time::error::Elapsed>,
    ) -> Result<T> {
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.session = None;
                Err(e.context(format!("IMAP {what}")))
            }
            Err(_) => {
                self.session = None;
                bail!(
                    "IMAP {what} timed out after {} s; reconnecting",
                    self.settings.endpoint.timeout_secs.get()
                )
            }
        }
    }

    async fn list_new(&mut self) -> Result<Vec<Waiting>> {
        let mut session = self.session.take().context("no IMAP session")?;
        let result = async {
            let exists = self.select(&mut session).await?;
            if exists == 0 {
                return Ok(Vec::new());
            }
            let from = self.cursor.last_uid.saturating_add(1);
            let fetched: Vec<_> = session
                .uid_fetch(format!("{from}:*"), "(UID RFC822.SIZE)")
                .await?
                .try_collect()
                .await?;
            // "N:*" always includes the highest UID, even below N (RFC 3501 §6.4.8).
            let mut waiting: Vec<Waiting> = fetched
                .iter()
                .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0))))
                .filter(|(uid, _)| *uid >= from)
                .map(|(uid, size)| Waiting {
                    locator: Locator {
                        folder: self.settings.options.folder.to_string(),
                        uid_validity: self.uid_validity,
                        uid: uid.to_string(),
                    },
                    size: u64::from(size),
                })
                .collect();
            waiting.sort_by_key(|w| w.locator.uid.parse::<u32>().unwrap_or(0));
            Ok(waiting)
        }
        .await;
        self.session = Some(session);
        result
    }

    fn uid_of(&self, locator: &Locator) -> Result<u32> {
        if locator.uid_validity != self.uid_validity {
            bail!(
                "UIDVALIDITY of {} changed since it was listed",
                locator.folder
            );
        }
        locator
            .uid
            .parse()
            .with_context(|| format!("not an IMAP UID: {}", locator.uid))
    }

    async fn fetch_section(&mut self, locator: &Locator, section: &str) -> Result<Vec<u8>> {
        self.session().await?;
        let uid = self.uid_of(locator)?;
        let session = self.session.as_mut().context("no IMAP session")?;
        let fetched: Vec<_> = session
            .uid_fetch(uid.to_string(), section)
            .await?
            .try_collect()
            .await?;
        let found = fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .with_context(|| format!("UID {uid} is gone"))?;
        let bytes = if section.contains("HEADER") {
            found.header()
        } else {
            found.body()
        };
        bytes
            .map(<[u8]>::to_vec)
            .with_context(|| format!("UID {uid}: the server sent no {section}"))
    }

    /// The UID of a message to move: its own, or found again by Message-ID when the folder's
    /// UIDVALIDITY changed since it was recorded.
    async fn current_uid(
        &mut self,
        locator: &Locator,
        message_id: Option<&str>,
    ) -> Result<Option<u32>> {
        if locator.uid_validity == self.uid_validity {
            return Ok(Some(locator.uid.parse()?));
        }
        let Some(id) = message_id.filter(|id| {
            id.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        }) else {
            tracing::warn!(uid = %locator.uid, "message without a usable Message-ID cannot be found after a UIDVALIDITY change; left in place");
            return Ok(None);
        };
        let session = self.session.as_mut().context("no IMAP session")?;
        let found = session
            .uid_search(format!("HEADER Message-ID \"<{id}>\""))
            .await?;
        // Two messages may share a Message-ID (anyone can write any); moving the wrong one
        // would hide a message never read. Left in place, the rescan finds it by its bytes.
        if found.len() > 1 {
            tracing::warn!(uid = %locator.uid, "several messages carry this Message-ID after a UIDVALIDITY change; left in place");
            return Ok(None);
        }
        Ok(found.into_iter().next())
    }

    /// Fetches several messages with one `UID FETCH uid,uid,... BODY.PEEK[]`, each kept as
    /// it arrives; a UID the server does not return is an error of its own.
    async fn fetch_batch(&mut self, locators: &[Locator]) -> Result<Vec<Result<Vec<u8>>>> {
        self.session().await?;
        let uids: Vec<Result<u32>> = locators.iter().map(|l| self.uid_of(l)).collect();
        let set = uid_set(uids.iter().filter_map(|u| u.as_ref().ok().copied()));
        let mut got = std::collections::HashMap::with_capacity(locators.len());
        if !set.is_empty() {
            let session = self.session.as_mut().context("no IMAP session")?;
            let mut stream = session.uid_fetch(&set, "BODY.PEEK[]").await?;
            while let Some(fetch) = stream.try_next().await? {
                if let (Some(uid), Some(body)) = (fetch.uid, fetch.body()) {
                    got.insert(uid, body.to_vec());
                }
            }
        }
        Ok(uids
            .into_iter()
            .map(|uid| {
                let uid = uid?;
                got.remove(&uid)
                    .with_context(|| format!("UID {uid} is gone or came without a body"))
            })
            .collect())
    }

    /// The folder handled mail of this disposition goes to.
    fn folder_for(&self, disposition: Disposition) -> String {
        match disposition {
            Disposition::Processed => self.settings.options.processed_folder.to_string(),
            Disposition::Quarantine => self.settings.options.quarantine_folder.to_string(),
        }
    }

    async fn move_to(&mut self, set: &str, target: &str) -> Result<()> {
        let caps = self.caps;
        let session = self.session.as_mut().context("no IMAP session")?;
        if caps.mv {
            session.uid_mv(set, target).await?;
        } else {
            session.uid_copy(set, target).await?;
            let _: Vec<_> = session
                .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect()
                .await?;
            if caps.uidplus {
                let _: Vec<_> = session.uid_expunge(set).await?.try_collect().await?;
            } else {
                // Without UIDPLUS, EXPUNGE removes every \Deleted message of the folder.
                let _: Vec<_> = session.expunge().await?.try_collect().await?;
            }
        }
        Ok(())
    }
}

impl MailboxSource for ImapSource {
    fn describe(&self) -> String {
        format!(
            "imap {}@{} ({:?}) {}",
            self.settings.endpoint.username,
            self.settings.endpoint.address(),
            self.settings.endpoint.tls,
            self.settings.options.folder
        )
    }

    async fn waiting(&mut self) -> Result<Vec<Waiting>> {
        self.ensure_connected().await?;
        let limit = self.limit();
        self.gap = false;
        let listed = tokio::time::timeout(limit, self.list_new()).await;
        self.guard("listing", listed).await
    }

    async fn fetch(&mut self, locator: &Locator) -> Result<Vec<u8>> {
        let limit = self.limit();
        let fetched = tokio::time::timeout(limit, self.fetch_section(locator, "BODY.PEEK[]")).await;
        let result = self.guard("fetch", fetched).await;
        self.gap |= result.is_err();
        result
    }

    async fn fetch_head(&mut self, locator: &Locator, limit: usize) -> Result<Vec<u8>> {
        let timeout = self.limit();
        let fetched =
            tokio::time::timeout(timeout, self.fetch_section(locator, "BODY.PEEK[HEADER]")).await;
        let result = self.guard("header fetch", fetched).await;
        self.gap |= result.is_err();
        result.map(|mut head| {
            head.truncate(limit);
            head
        })
    }

    async fn fetch_many(&mut self, locators: &[Locator]) -> Result<Vec<Result<Vec<u8>>>> {
        let limit = self.limit();
        let fetched = tokio::time::timeout(limit, self.fetch_batch(locators)).await;
        let result = self.guard("fetch", fetched).await;
        self.gap |= result
            .as_ref()
            .map_or(true, |each| each.iter().any(Result::is_err));
        result
    }

    async fn recorded(&mut self, locators: &[Locator]) -> Result<()> {
        let Some(uid) = locators.iter().filter_map(|l| self.uid_of(l).ok()).max() else {
            return Ok(());
        };
        if !self.gap && uid > self.cursor.last_uid {
            self.cursor.last_uid = uid;
            cursor::store(
                &self.pool,
                self.settings.options.folder.as_str(),
                self.cursor,
            )
            .await?;
        }
        Ok(())
    }

    async fn settle(
        &mut self,
        locator: &Locator,
        message_id: Option<&str>,
        disposition: Disposition,
    ) -> Result<()> {
        self.ensure_connected().await?;
        let limit = self.limit();
        let target = self.folder_for(disposition);
        let moved = tokio::time::timeout(limit, async {
            match self.current_uid(locator, message_id).await? {
                Some(uid) => self.move_to(&uid.to_string(), &target).await,
                None => Ok(()),
            }
        })
        .await;
        self.guard("move", moved).await
    }

    async fn settle_many(
        &mut self,
        batch: &[(Locator, Option<String>)],
        disposition: Disposition,
    ) -> Result<()> {
        self.ensure_connected().await?;
        let limit = self.limit();
        let target = self.folder_for(disposition);
        let (current, renumbered): (Vec<_>, Vec<_>) = batch
            .iter()
            .partition(|(l, _)| l.uid_validity == self.uid_validity);
        let uids: Vec<u32> = current
            .iter()
            .filter_map(|(l, _)| l.uid.parse().ok())
            .collect();
        // One UID MOVE per few hundred messages keeps the command line short.
        for chunk in uids.chunks(500) {
            let set = uid_set(chunk.iter().copied());
            let moved = tokio::time::timeout(limit, self.move_to(&set, &target)).await;
            self.guard("move", moved).await?;
        }
        for (locator, message_id) in renumbered {
            self.settle(locator, message_id.as_deref(), disposition)
                .await?;
        }
        Ok(())
    }

    async fn wait_for_mail(&mut self, max_wait: Duration, interrupt: &Notify) -> Result<()> {
        self.ensure_connected().await?;
        if !self.caps.idle {
            let poll = self.poll_interval.min(max_wait);
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = interrupt.notified() => {}
            }
            return Ok(());
        }
        let wait = max_wait.min(self.idle);
        let span = tracing::debug_span!("imap_idle", wait_secs = wait.as_secs());
        let result = self.idle(wait, interrupt).instrument(span).await;
        if result.is_err() {
            self.session = None;
        }
        result
    }
}
