//! The desk in process: the library's `Desk` on the installation's own settings and SQLite
//! file, its mailbox a `MemorySource` and its transport a `MemoryTransport`, each pass run at
//! its own clock (`clock::starting_at`, so tests on parallel threads keep their own time).
//! A workflow test then runs in milliseconds instead of starting the binary for every pass.
//!
//! It speaks the binary helper's words (`deliver`, `once_at`, `sent`, `mails`, `case`…), so a
//! test reads the same on either. The `case` commands still run the binary, on this desk's
//! database: `cli` prints to the process's standard output and builds its own desk from the
//! settings, so it has no in-process seam; a command is a short process, a pass is not.

use std::path::PathBuf;
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use egov_desk::daemon::{self, PassReport};
use egov_desk::mailbox::{AnySource, Disposition, MemorySource};
use egov_desk::settings::Settings;
use egov_desk::transport::{AnyTransport, MemoryTransport};

use super::{to_alone, without_digests, Sent};

/// One desk in process, on a temporary installation.
pub struct Desk {
    /// The installation: config overlay and database, shared with `case` commands.
    install: super::Desk,
    desk: daemon::Desk,
    inbox: MemorySource,
    outbox: MemoryTransport,
    runtime: tokio::runtime::Runtime,
}

impl Desk {
    /// A fresh desk on the embedded default, as [`super::Desk::new`].
    pub fn new() -> Self {
        Self::on(super::Desk::new())
    }

    /// Like [`Desk::new`], with extra lines for `[mailbox]` and `[outbound]`.
    pub fn with_sections(mailbox: &str, outbound: &str) -> Self {
        Self::on(super::Desk::with_sections(mailbox, outbound))
    }

    /// Like [`Desk::with_sections`], plus `[agency]` lines and a tail, as
    /// [`super::Desk::with_config`].
    pub fn with_config(mailbox: &str, outbound: &str, agency: &str, tail: &str) -> Self {
        Self::on(super::Desk::with_config(mailbox, outbound, agency, tail))
    }

    /// Builds the library's desk on `install`'s settings, with memory in and out.
    fn on(install: super::Desk) -> Self {
        // One thread is enough: `cpu::map` still has the blocking pool, and sqlx its own.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let settings = Settings::load(Some(&install.path("config.toml"))).unwrap();
        let mut desk = runtime.block_on(daemon::Desk::build(settings)).unwrap();
        let outbox = MemoryTransport::new();
        desk.transport = AnyTransport::Memory(outbox.clone());
        Self {
            install,
            desk,
            inbox: MemorySource::new(),
            outbox,
            runtime,
        }
    }

    /// Puts a message in the mailbox; `name` is kept for symmetry with the Maildir helper.
    pub fn deliver(&self, _name: &str, raw: &[u8]) {
        self.inbox.deliver(raw);
    }

    /// Runs one full pass with the clock at `at` (RFC 3339) for this desk alone.
    pub fn once_at(&self, at: &str) -> PassReport {
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(at).unwrap().into();
        self.runtime
            .block_on(egov_desk::clock::starting_at(at, self.pass()))
            .unwrap()
    }

    /// Runs `n` full passes on the real clock.
    pub fn passes(&self, n: usize) -> Vec<PassReport> {
        (0..n)
            .map(|_| self.runtime.block_on(self.pass()).unwrap())
            .collect()
    }

    async fn pass(&self) -> anyhow::Result<PassReport> {
        let mut source = AnySource::Memory(self.inbox.clone());
        self.desk.once_with(&mut source).await
    }

    /// The messages moved to Processed or Quarantine, in the order they were moved.
    pub fn settled(&self, disposition: Disposition) -> Vec<Vec<u8>> {
        self.inbox.settled(disposition)
    }

    /// Every mail sent, parsed, in the order sent, without the daily digest (see
    /// [`super::Desk::sent`]).
    pub fn sent(&self) -> Vec<Sent> {
        without_digests(self.sent_with_digests())
    }

    /// Every mail sent, digests included.
    pub fn sent_with_digests(&self) -> Vec<Sent> {
        let mut kept = self.outbox.kept();
        // File-name order, as the binary helper lists the outbox folder.
        kept.sort_by(|a, b| a.name.cmp(&b.name));
        kept.into_iter()
            .map(|k| Sent::parse(PathBuf::from(k.name), k.bytes))
            .collect()
    }

    /// The mails sent to `to` alone whose subject contains `subject_part`.
    pub fn mails(&self, subject_part: &str, to: &str) -> Vec<Sent> {
        to_alone(self.sent(), subject_part, to)
    }

    /// `case show REF --json`, by the binary on this desk's database.
    pub fn case(&self, reference: &str) -> serde_json::Value {
        self.install.case(reference)
    }

    /// `case list --json`, by the binary on this desk's database.
    pub fn cases(&self) -> Vec<serde_json::Value> {
        self.install.cases()
    }

    /// The binary on this desk's database, run to completion; it must succeed.
    pub fn run(&self, args: &[&str]) -> Output {
        self.install.run(args)
    }

    /// The binary on this desk's database, not yet run: a `case` command (or `check-config`).
    pub fn command(&self, args: &[&str]) -> Command {
        // The binary's passes would read the empty Maildir and write to the outbox folder,
        // not this desk's memory: a test that asks for one means `once_at` or `passes`.
        assert!(
            !args.iter().any(|a| *a == "once" || *a == "run"),
            "passes run in process here: use once_at or passes, not {args:?}"
        );
        self.install.command(args)
    }

    /// A path inside the installation's temporary folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.install.path(rel)
    }

    /// Whether the database (or its write-ahead log) holds these bytes anywhere.
    pub fn database_contains(&self, needle: &[u8]) -> bool {
        self.install.database_contains(needle)
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        // Closed inside the runtime its connections were opened on, before the temp folder goes.
        self.runtime.block_on(self.desk.pool.close());
    }
}
