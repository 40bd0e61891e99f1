//! Test helpers: a temporary installation of the binary on the embedded default (Maildir in,
//! files out, SQLite), driven exactly as a user drives it.

#![allow(dead_code)]

pub mod inproc;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The repository root, where `templates/`, `config/` and the fixtures live.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One installation in a temporary folder.
pub struct Desk {
    pub dir: tempfile::TempDir,
}

impl Desk {
    /// A fresh installation whose config overlay points every path into the temp folder.
    pub fn new() -> Self {
        Self::with_sections("", "")
    }

    /// Like [`Desk::new`], with extra lines for the `[mailbox]` and `[outbound]` sections
    /// (IMAP and SMTP settings, retry limits).
    pub fn with_sections(mailbox: &str, outbound: &str) -> Self {
        Self::with_config(mailbox, outbound, "", "")
    }

    /// Like [`Desk::with_sections`], plus lines for `[agency]`, and `tail`: lines for
    /// `[workflow]` and then any further sections.
    pub fn with_config(mailbox: &str, outbound: &str, agency: &str, tail: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = format!(
            "[mailbox]\npath = \"{inbox}\"\npoll_interval_secs = 1\n{mailbox}\n\
             [outbound]\npath = \"{outbox}\"\n{outbound}\n\
             [agency]\noperators = [\"operator@egov.md\"]\n{agency}\n\
             [database]\nurl = \"sqlite://{db}\"\n\
             [time]\nholidays = \"{holidays}\"\n\
             [workflow]\nservices = \"{services}\"\ntemplates = \"{templates}\"\n{tail}\n",
            inbox = root.join("inbox").display(),
            outbox = root.join("outbox").display(),
            db = root.join("desk.db").display(),
            services = repo().join("config/services.toml").display(),
            templates = repo().join("templates").display(),
            holidays = repo().join("config/holidays.toml").display(),
        );
        std::fs::write(root.join("config.toml"), config).unwrap();
        Self { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The binary, run in the temp folder with this installation's config.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_egov-desk"));
        cmd.current_dir(self.dir.path())
            .arg("--config")
            .arg(self.path("config.toml"))
            .args(args)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1");
        cmd
    }

    /// `egov-desk run` in the background, its log in `run.log` of the installation.
    pub fn spawn_run(&self) -> std::process::Child {
        let log = std::fs::File::create(self.path("run.log")).unwrap();
        self.command(&["run"])
            .stderr(std::process::Stdio::from(log))
            .spawn()
            .unwrap()
    }

    /// Stops a daemon from [`Desk::spawn_run`] with SIGTERM and insists it stopped cleanly.
    pub fn stop_run(&self, mut child: std::process::Child) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "unclean stop:\n{}",
            std::fs::read_to_string(self.path("run.log")).unwrap_or_default()
        );
    }

    /// Runs the binary to completion and insists it succeeded.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "egov-desk {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs one `once` pass with the clock at `at`; returns what it logged.
    pub fn once_at(&self, at: &str) -> String {
        String::from_utf8_lossy(&self.run(&["--clock", at, "once"]).stderr).into_owned()
    }

    /// The mails sent to `to` alone whose subject contains `subject_part`.
    pub fn mails(&self, subject_part: &str, to: &str) -> Vec<Sent> {
        to_alone(self.sent(), subject_part, to)
    }

    /// Runs `once` `n` times (a pass, then one more to move and send what the first left);
    /// returns what they logged.
    pub fn passes(&self, n: usize) -> String {
        (0..n)
            .map(|_| String::from_utf8_lossy(&self.run(&["once"]).stderr).into_owned())
            .collect()
    }

    /// Delivers a message into the Maildir the way an MDA does: tmp/ then rename into new/.
    pub fn deliver(&self, name: &str, raw: &[u8]) {
        let tmp = self.path("inbox/tmp");
        let new = self.path("inbox/new");
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(tmp.join(name), raw).unwrap();
        std::fs::rename(tmp.join(name), new.join(name)).unwrap();
    }

    /// Whether the database (or its write-ahead log) holds these bytes anywhere.
    pub fn database_contains(&self, needle: &[u8]) -> bool {
        ["desk.db", "desk.db-wal"].iter().any(|file| {
            let bytes = std::fs::read(self.path(file)).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle)
        })
    }

    /// `case show REF --json`.
    pub fn case(&self, reference: &str) -> serde_json::Value {
        let out = self.run(&["case", "show", reference, "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// `case list --json`.
    pub fn cases(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["case", "list", "--json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every mail written to the outbox folder, parsed, in file-name order — except the
    /// operators' daily digest, which any pass after 08:00 on a working day sends on the
    /// real clock and which the tests that count mail are not about.
    pub fn sent(&self) -> Vec<Sent> {
        without_digests(self.sent_with_digests())
    }

    /// Every mail written to the outbox folder, digests included.
    pub fn sent_with_digests(&self) -> Vec<Sent> {
        let dir = self.path("outbox");
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names.iter().map(|p| Sent::read(p)).collect()
    }

    /// Files under a Maildir subfolder (`.Processed/cur`, `new`...).
    pub fn maildir_files(&self, sub: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("inbox").join(sub))
            .map(|rd| {
                rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// What the suites' helpers ask of a desk, whether it runs the binary ([`Desk`]) or in
/// process ([`inproc::Desk`]), so one helper serves tests on either; each desk's own
/// methods say the same and are what a test calls directly.
pub trait Words {
    /// Puts a message in the mailbox.
    fn deliver(&self, name: &str, raw: &[u8]);
    /// Runs one pass with the clock at `at`.
    fn once_at(&self, at: &str);
    /// Every mail sent, but the daily digest.
    fn sent(&self) -> Vec<Sent>;
    /// `case list --json`.
    fn cases(&self) -> Vec<serde_json::Value>;
    /// `case show REF --json`.
    fn case(&self, reference: &str) -> serde_json::Value;
}

/// Implements [`Words`] by the desk's own methods of the same names.
macro_rules! words_by_own_methods {
    ($desk:ty) => {
        impl Words for $desk {
            fn deliver(&self, name: &str, raw: &[u8]) {
                <$desk>::deliver(self, name, raw)
            }
            fn once_at(&self, at: &str) {
                <$desk>::once_at(self, at);
            }
            fn sent(&self) -> Vec<Sent> {
                <$desk>::sent(self)
            }
            fn cases(&self) -> Vec<serde_json::Value> {
                <$desk>::cases(self)
            }
            fn case(&self, reference: &str) -> serde_json::Value {
                <$desk>::case(self, reference)
            }
        }
    };
}

words_by_own_methods!(Desk);
words_by_own_methods!(inproc::Desk);

/// `mails` without the operators' daily digest (see [`Desk::sent`]).
fn without_digests(mails: Vec<Sent>) -> Vec<Sent> {
    mails.into_iter().filter(|m| !m.is_digest()).collect()
}

/// The `mails` sent to `to` alone whose subject contains `subject_part`.
fn to_alone(mails: Vec<Sent>, subject_part: &str, to: &str) -> Vec<Sent> {
    mails
        .into_iter()
        .filter(|m| m.to == [to] && m.subject.contains(subject_part))
        .collect()
}

/// A mail the daemon wrote.
#[derive(Debug, Clone)]
pub struct Sent {
    pub file: PathBuf,
    pub raw: Vec<u8>,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub text: String,
    pub headers: String,
}

impl Sent {
    /// Whether this is the operators' daily digest (the outbox file names the purpose).
    pub fn is_digest(&self) -> bool {
        self.file
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("-operator_digest-"))
    }

    fn read(path: &Path) -> Self {
        Self::parse(path.to_path_buf(), std::fs::read(path).unwrap())
    }

    /// A mail from its file name (which names its purpose) and its bytes.
    fn parse(file: PathBuf, raw: Vec<u8>) -> Self {
        let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let ids = |v: &mail_parser::HeaderValue| -> Vec<String> {
            match v {
                mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
                mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
                _ => vec![],
            }
        };
        let head_end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        Self {
            file,
            to: msg
                .to()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.address().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            subject: msg.subject().unwrap_or_default().to_string(),
            message_id: msg.message_id().unwrap_or_default().to_string(),
            in_reply_to: ids(msg.in_reply_to()),
            references: ids(msg.references()),
            text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            headers: String::from_utf8_lossy(&raw[..head_end]).into_owned(),
            raw,
        }
    }
}

/// The first line of the encoded body of the attachment named `file_name` in `raw`: what
/// the file looked like as it travelled.
pub fn first_encoded_line(raw: &[u8], file_name: &str) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    let after_name = &text[text
        .find(&format!("filename=\"{file_name}\""))
        .expect("attachment named")..];
    let body = &after_name[after_name
        .find("\n\n")
        .or_else(|| after_name.find("\r\n\r\n"))
        .expect("body")..];
    let line = body
        .trim_start()
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(line.len() >= 60, "fixture changed: {line}");
    line
}

/// The operator token in a mail's text.
pub fn token_in(text: &str) -> String {
    let at = text.find("egov-token:").expect("a token in the mail");
    text[at..].split_whitespace().next().unwrap().to_string()
}

/// Polls `check` until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check()
}

/// A minimal RFC 5322 message.
pub fn message(
    from: &str,
    subject: &str,
    message_id: &str,
    extra_headers: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: servicii@egov.md\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n{extra_headers}\r\n{body}\r\n"
    )
    .into_bytes()
}
