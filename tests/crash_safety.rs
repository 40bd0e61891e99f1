//! Nothing lost, nothing twice: the daemon is killed with SIGKILL again and again while it
//! works a backlog, then finishes with one clean pass.
//!
//! A kill at a fixed delay may land before the daemon started or after it finished, and then
//! proves nothing. Here each kill waits for the database to show work half-done — messages
//! recorded but not yet processed, or replies queued but not yet sent — and the state the kill
//! froze is read back, so the test counts the kills that really interrupted work.

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, Instant};

use common::{message, Desk};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

const BACKLOG: usize = 150;
const ROUNDS: usize = 8;
/// Kills that must be seen to interrupt work for the run to count.
const MIN_MID_WORK: usize = ROUNDS / 2;

/// Where the pipeline stands, read from the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Progress {
    /// Messages recorded in the ledger, not yet processed.
    recorded: i64,
    /// Messages processed (or quarantined).
    processed: i64,
    /// Replies queued, not yet sent (pending, or claimed for a send).
    queued: i64,
    /// Replies sent.
    sent: i64,
}

impl Progress {
    /// Work begun and not finished: something waits between two stages.
    fn half_done(&self) -> bool {
        self.recorded > 0 || self.queued > 0
    }

    /// Whether this state is further along than `before`.
    fn moved_since(&self, before: &Progress) -> bool {
        self.processed > before.processed || self.sent > before.sent
    }
}

/// Which half-done state a round waits for before killing.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Intake ahead of the workflow.
    RecordedNotProcessed,
    /// The workflow ahead of delivery.
    QueuedNotSent,
}

impl Target {
    /// The stage this round interrupts has moved since the last kill and still has work.
    fn reached(self, now: &Progress, before: &Progress) -> bool {
        match self {
            Target::RecordedNotProcessed => now.processed > before.processed && now.recorded > 0,
            Target::QueuedNotSent => now.sent > before.sent && now.queued > 0,
        }
    }
}

struct Ledger {
    runtime: tokio::runtime::Runtime,
    path: std::path::PathBuf,
    connection: Option<SqliteConnection>,
}

impl Ledger {
    fn new(desk: &Desk) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            runtime,
            path: desk.path("desk.db"),
            connection: None,
        }
    }

    /// The state now; `None` while the daemon has not created and migrated the database.
    fn progress(&mut self) -> Option<Progress> {
        let path = self.path.clone();
        let connection = &mut self.connection;
        self.runtime.block_on(async {
            if connection.is_none() {
                if !path.is_file() {
                    return None;
                }
                let options =
                    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
                        .ok()?
                        .read_only(true);
                *connection = Some(options.connect().await.ok()?);
            }
            let row: (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM messages WHERE state = 'received'), \
                        (SELECT count(*) FROM messages WHERE state != 'received'), \
                        (SELECT count(*) FROM outbox WHERE state IN ('pending', 'attempting')), \
                        (SELECT count(*) FROM outbox WHERE state = 'sent')",
            )
            .fetch_one(connection.as_mut()?)
            .await
            .ok()?;
            Some(Progress {
                recorded: row.0,
                processed: row.1,
                queued: row.2,
                sent: row.3,
            })
        })
    }
}

#[test]
fn sigkill_during_a_backlog_loses_no_message_and_answers_none_twice() {
    let desk = Desk::new();
    for i in 0..BACKLOG {
        let raw = message(
            &format!("beneficiar{i}@inst{i}.gov.md"),
            "Conectare MDocs",
            &format!("backlog-{i}@inst{i}.gov.md"),
            "",
            &format!(
                "Buna ziua,\r\nDenumirea sistemului: SIA {i}\r\nIP public: 85.120.{}.{}\r\n",
                i / 200,
                i % 200 + 1
            ),
        );
        desk.deliver(&format!("{i:04}.eml"), &raw);
    }

    let mut ledger = Ledger::new(&desk);
    let mut before = Progress::default();
    let mut mid_work = 0;
    for round in 0..ROUNDS {
        let target = if round % 2 == 0 {
            Target::RecordedNotProcessed
        } else {
            Target::QueuedNotSent
        };
        let mut child = desk
            .command(&["run"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match ledger.progress() {
                Some(now) if target.reached(&now, &before) => break,
                _ => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // What the kill froze: the daemon is gone, so this is what it left mid-way.
        let frozen = ledger.progress().unwrap_or_default();
        let interrupted = frozen.moved_since(&before) && frozen.half_done();
        mid_work += usize::from(interrupted);
        eprintln!(
            "round {round}: waited for {target:?}; killed at {frozen:?}: {}",
            if interrupted {
                "mid-work"
            } else {
                "not proven mid-work"
            }
        );
        before = frozen;
    }
    eprintln!("{mid_work} of {ROUNDS} kills landed mid-work");
    assert!(
        mid_work >= MIN_MID_WORK,
        "only {mid_work} of {ROUNDS} kills interrupted work in progress"
    );
    desk.run(&["once"]);

    let cases = desk.cases();
    assert_eq!(cases.len(), BACKLOG, "every message opens exactly one case");
    let sent = desk.sent();
    let mut replies_per_message: HashMap<String, usize> = HashMap::new();
    for m in sent
        .iter()
        .filter(|m| !m.to.contains(&"operator@egov.md".to_string()))
    {
        *replies_per_message
            .entry(m.in_reply_to.join(","))
            .or_default() += 1;
    }
    assert_eq!(replies_per_message.len(), BACKLOG, "every message answered");
    let twice: Vec<_> = replies_per_message
        .iter()
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "answered twice: {twice:?}");
    let to_operators = sent.iter().filter(|m| m.to == ["operator@egov.md"]).count();
    assert_eq!(to_operators, BACKLOG, "one operator update per message");
    let processed = ledger.progress().unwrap_or_default();
    assert_eq!(
        processed.processed, BACKLOG as i64,
        "every message processed exactly once: {processed:?}"
    );
    assert_eq!(
        processed.recorded, 0,
        "none left unprocessed: {processed:?}"
    );
    assert!(desk.maildir_files("new").is_empty());
    assert!(desk.maildir_files("cur").is_empty());
    assert_eq!(desk.maildir_files(".Processed/cur").len(), BACKLOG);
}
