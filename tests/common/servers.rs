//! Real Dovecot and Postfix for the integration tests, started by `scripts/mail-servers.sh`
//! in a temporary folder on loopback ports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::repo;

/// Set to skip these tests knowingly on a machine without the servers.
const SKIP_VAR: &str = "EGOV_DESK_SKIP_MAIL_SERVERS";

/// A running pair of servers; stopped when dropped.
pub struct MailServers {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

/// Writes to the process's standard error itself: the test harness captures `eprintln!` of
/// passing tests, and a banner that nobody sees says nothing.
fn loudly(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Installs Dovecot and Postfix (Debian packages) the first time a test of this process
/// needs them and finds them missing, so `cargo test` as root on a fresh machine needs no
/// set-up of its own; says so loudly. Without root the script only reports what is missing,
/// and starting the servers then fails with instructions.
fn ensure_installed() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo().join("scripts/mail-servers.sh"))
            .arg("install")
            .output()
            .expect("running scripts/mail-servers.sh install");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if said.contains("installed ") && !said.contains("are installed") {
            loudly(&format!(
                "\n=====================================================================\n\
                 The integration tests installed their mail servers (apt-get):\n{said}\
                 =====================================================================\n"
            ));
        } else if !out.status.success() {
            eprintln!("scripts/mail-servers.sh install: {said}");
        }
    });
}

impl MailServers {
    /// Starts both servers, or — only when `EGOV_DESK_SKIP_MAIL_SERVERS=1` — says loudly that
    /// the test is skipped. Without that variable a missing server fails the test.
    pub fn start() -> Option<Self> {
        ensure_installed();
        let dir = tempfile::Builder::new()
            .prefix("egov-desk-mail-")
            .tempdir()
            .unwrap();
        let out = Command::new("bash")
            .arg(repo().join("scripts/mail-servers.sh"))
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("running scripts/mail-servers.sh");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            if std::env::var(SKIP_VAR).as_deref() == Ok("1") {
                loudly(&format!(
                    "\n=====================================================================\n\
                     SKIPPED: real mail servers unavailable ({SKIP_VAR}=1):\n{why}\
                     =====================================================================\n"
                ));
                return None;
            }
            panic!(
                "the integration tests need Dovecot and Postfix and could not start them:\n{why}\n\
                 Install them with `sudo scripts/mail-servers.sh install` and run the tests as root,\n\
                 or set {SKIP_VAR}=1 to skip these tests knowingly."
            );
        }
        let env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Self { dir, env })
    }

    fn var(&self, key: &str) -> &str {
        self.env
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing"))
    }

    /// Plain IMAP port.
    pub fn imap_port(&self) -> u16 {
        self.var("IMAP_PORT").parse().unwrap()
    }

    /// IMAP over TLS port.
    pub fn imaps_port(&self) -> u16 {
        self.var("IMAPS_PORT").parse().unwrap()
    }

    /// SMTP port (STARTTLS offered).
    pub fn smtp_port(&self) -> u16 {
        self.var("SMTP_PORT").parse().unwrap()
    }

    /// The CA that signed the servers' certificate.
    pub fn ca_file(&self) -> PathBuf {
        PathBuf::from(self.var("CA_FILE"))
    }

    /// `[mailbox]` lines for the daemon: the agency's mailbox over plain IMAP.
    pub fn imap_section(&self) -> String {
        format!(
            "kind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
             username = \"servicii@egov.md\"\npassword = \"test\"\ntimeout_secs = 10\n",
            self.imap_port()
        )
    }

    /// `[outbound]` lines for the daemon: plain SMTP to the test Postfix.
    pub fn smtp_section(&self) -> String {
        format!(
            "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 10\n",
            self.smtp_port()
        )
    }

    /// Sends a message through Postfix, as a beneficiary's mail server would.
    pub fn send(&self, from: &str, to: &[&str], raw: &[u8]) {
        use lettre::address::Envelope;
        use lettre::Transport;
        let smtp = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(self.smtp_port())
            .build();
        let envelope = Envelope::new(
            Some(from.parse().unwrap()),
            to.iter().map(|t| t.parse().unwrap()).collect(),
        )
        .unwrap();
        // A sending server retries; Postfix's smtpd can drop a connection while its SASL
        // socket (Dovecot's) is away, which some tests cause on purpose.
        let mut tries = 0;
        while let Err(e) = smtp.send_raw(&envelope, raw) {
            tries += 1;
            assert!(tries < 20, "Postfix refused the message 20 times: {e}");
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    }

    /// Sends a message through Postfix's listener on `port` as `user` logged in with SASL
    /// (password "test"), the way an operator's mail client submits mail.
    pub fn send_authenticated(&self, port: u16, user: &str, to: &[&str], raw: &[u8]) {
        use lettre::address::Envelope;
        use lettre::transport::smtp::authentication::{Credentials, Mechanism};
        use lettre::Transport;
        let smtp = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port)
            .credentials(Credentials::new(user.into(), "test".into()))
            .authentication(vec![Mechanism::Plain])
            .build();
        let envelope = Envelope::new(
            Some(user.parse().unwrap()),
            to.iter().map(|t| t.parse().unwrap()).collect(),
        )
        .unwrap();
        smtp.send_raw(&envelope, raw).unwrap();
    }

    /// Sends a plain-text beneficiary mail to the agency's mailbox through Postfix.
    pub fn mail_agency(&self, from: &str, subject: &str, message_id: &str, body: &str) {
        let raw = super::message(from, subject, message_id, "", body);
        self.send(from, &["servicii@egov.md"], &raw);
    }

    /// Waits up to `secs` for `user`'s `folder` to hold exactly `count` messages.
    pub fn wait_for(&self, user: &str, folder: &str, count: usize, secs: u64) -> bool {
        super::wait_until(std::time::Duration::from_secs(secs), || {
            self.mailbox(user, folder).len() == count
        })
    }

    /// Sends many messages over one SMTP connection.
    pub fn send_many(&self, messages: &[(String, Vec<u8>)]) {
        use lettre::address::Envelope;
        use lettre::Transport;
        let smtp = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(self.smtp_port())
            .build();
        for (from, raw) in messages {
            let envelope = Envelope::new(
                Some(from.parse().unwrap()),
                vec!["servicii@egov.md".parse().unwrap()],
            )
            .unwrap();
            smtp.send_raw(&envelope, raw).unwrap();
        }
    }

    /// The messages in `user`'s folder (`""` for the inbox, `"Processed"`...).
    pub fn mailbox(&self, user: &str, folder: &str) -> Vec<Vec<u8>> {
        const DIGEST: &[u8] = b"Subject: Rezumat zilnic";
        let mut root = PathBuf::from(self.var("MAIL_ROOT")).join(user);
        if !folder.is_empty() {
            root = root.join(format!(".{folder}"));
        }
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(root.join(sub)).into_iter().flatten())
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            // The operators' daily digest goes out on the real clock after 08:00 on working
            // days; no test here is about it (tests/procedure.rs counts digests on its own
            // clock), so counts of the operators' mail must not depend on the hour.
            .filter(|raw| !raw.windows(DIGEST.len()).any(|w| w == DIGEST))
            .collect()
    }

    /// Makes Postfix answer mail to recipients matching `pattern` (a PCRE) with `reply`,
    /// e.g. `450 4.7.1 try later`; an empty list lets everything through again.
    pub fn set_recipient_rules(&self, rules: &[(&str, &str)]) {
        let text: String = rules.iter().map(|(p, r)| format!("/{p}/ {r}\n")).collect();
        std::fs::write(self.var("RECIPIENT_ACCESS"), text).unwrap();
        self.script("reload-postfix", &[]);
    }

    /// Changes one Postfix setting (`"name = value"`) and reloads it.
    pub fn postconf(&self, setting: &str) {
        self.script("postconf", &[setting]);
    }

    /// Adds one Dovecot setting (`"name = value"`) and restarts Dovecot.
    pub fn doveconf(&self, setting: &str) {
        self.script("doveconf", &[setting]);
    }

    /// Where `user`'s inbox lives on disk (a Maildir).
    pub fn maildir(&self, user: &str) -> PathBuf {
        PathBuf::from(self.var("MAIL_ROOT")).join(user)
    }

    /// Postfix's log.
    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix/maillog")).unwrap_or_default()
    }

    /// Stops Dovecot (Postfix keeps queueing).
    pub fn stop_dovecot(&self) {
        self.script("stop-dovecot", &[]);
    }

    /// Starts Dovecot again.
    pub fn start_dovecot(&self) {
        self.script("start-dovecot", &[]);
    }

    /// Runs `scripts/mail-servers.sh COMMAND DIR ARGS...` and insists it succeeded.
    fn script(&self, command: &str, args: &[&str]) {
        let status = Command::new("bash")
            .arg(repo().join("scripts/mail-servers.sh"))
            .arg(command)
            .arg(self.dir.path())
            .args(args)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mail-servers.sh {command} {args:?} failed"
        );
    }

    /// The servers' folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for MailServers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/mail-servers.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
