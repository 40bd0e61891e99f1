//! The `[mailbox]` and `[outbound]` sections: a `kind` that picks what the rest of the section
//! means, and the server [`Endpoint`] that IMAP and SMTP share.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::values::{self, choices, Bounded, NonEmpty, OptionalFile, Port, Positive, TlsMode};
use super::Section;

choices! {
    /// Which kind of mailbox to read (`mailbox.kind`).
    pub enum MailboxKind {
        /// A local Maildir.
        Maildir = "maildir",
        /// An IMAP server.
        Imap = "imap",
    }
}

choices! {
    /// Which way outgoing mail leaves (`outbound.kind`).
    pub enum OutboundKind {
        /// `.eml` files written into a directory.
        Directory = "directory",
        /// An SMTP server.
        Smtp = "smtp",
    }
}

choices! {
    /// How to authenticate to IMAP.
    pub enum ImapAuth {
        /// AUTHENTICATE PLAIN (RFC 4616).
        Plain = "plain",
        /// The LOGIN command.
        Login = "login",
    }
}

choices! {
    /// How handled mail is moved out of the IMAP inbox.
    pub enum MoveMode {
        /// UID MOVE when the server advertises it, else the fallback.
        Auto = "auto",
        /// Always COPY + `\Deleted` + UID EXPUNGE.
        Copy = "copy",
    }
}

/// A mail server and how to reach it: the part IMAP and SMTP settings share.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    /// Host name (also the name its TLS certificate must carry).
    pub host: NonEmpty,
    /// TCP port.
    pub port: Port,
    /// Transport security.
    pub tls: TlsMode,
    /// Login; for SMTP, empty means no authentication.
    pub username: String,
    /// Password (never logged).
    pub password: SecretString,
    /// An extra CA certificate to trust besides the public roots.
    pub ca_file: OptionalFile,
    /// Longest any one exchange with the server may take, in seconds.
    pub timeout_secs: Positive,
}

impl Endpoint {
    /// `host:port`, for log lines and errors.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port.get())
    }

    /// `host:port Tls (password set)`: what `check-config` shows, never the password.
    fn summary(&self) -> String {
        let password = if self.password.expose_secret().is_empty() {
            "(none)"
        } else {
            "(set)"
        };
        format!("{} {:?} (password {password})", self.address(), self.tls)
    }
}

/// Where incoming mail is read.
#[derive(Debug, Clone)]
pub struct MailboxSettings {
    /// The source `mailbox.kind` names, with what only it needs.
    pub source: Mailbox,
    /// How often to look for mail where the source cannot push.
    pub poll_interval_secs: u64,
    /// Longest wait for mail before a pass looks again (IMAP: IDLE is re-issued), at most 300.
    pub idle_secs: u64,
    /// Larger messages are quarantined unread.
    pub max_message_bytes: u64,
}

/// The mailbox source and the settings only it reads.
#[derive(Debug, Clone)]
pub enum Mailbox {
    /// A local Maildir at this root.
    Maildir {
        /// Maildir root.
        path: PathBuf,
    },
    /// An IMAP server.
    Imap(ImapSettings),
}

impl Mailbox {
    /// One line for `check-config`: the kind and where it reads.
    pub fn summary(&self) -> String {
        match self {
            Self::Maildir { path } => format!("Maildir {}", path.display()),
            Self::Imap(imap) => format!("Imap {} {}", imap.endpoint.summary(), imap.options.folder),
        }
    }
}

/// What IMAP needs besides the shared timings.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    /// The server.
    pub endpoint: Endpoint,
    /// How to log in and which folders to use.
    pub options: ImapOptions,
}

/// The IMAP keys beyond the server's address and credentials.
#[derive(Debug, Clone, Deserialize)]
pub struct ImapOptions {
    /// IMAP authentication command.
    pub auth: ImapAuth,
    /// Folder new mail arrives in.
    pub folder: NonEmpty,
    /// Folder handled mail is moved to.
    pub processed_folder: NonEmpty,
    /// Folder mail that could not be handled is moved to.
    pub quarantine_folder: NonEmpty,
    /// Whether UID MOVE may be used.
    #[serde(rename = "move")]
    pub move_mode: MoveMode,
}

/// The timings every mailbox reads.
#[derive(Deserialize)]
struct Timings {
    poll_interval_secs: Positive,
    idle_secs: Bounded<300>,
    max_message_bytes: Positive,
}

impl MailboxSettings {
    /// Reads `[mailbox]`: its kind first, then the keys that kind uses.
    pub(super) fn read(section: &Section) -> anyhow::Result<Self> {
        let source = match section.key::<MailboxKind>("kind")? {
            MailboxKind::Maildir => Mailbox::Maildir {
                path: section.key_with("path", values::path)?,
            },
            MailboxKind::Imap => Mailbox::Imap(ImapSettings {
                endpoint: section.read()?,
                options: section.read()?,
            }),
        };
        let timings: Timings = section.read()?;
        Ok(Self {
            source,
            poll_interval_secs: timings.poll_interval_secs.get(),
            idle_secs: timings.idle_secs.get(),
            max_message_bytes: timings.max_message_bytes.get(),
        })
    }
}

/// How outgoing mail leaves.
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    /// The transport `outbound.kind` names, with what only it needs.
    pub transport: Outbound,
    /// Attempts before a temporarily failing message is given up and reported.
    pub max_attempts: u32,
    /// First retry delay in seconds.
    pub retry_base_secs: u64,
    /// Queue replies but send nothing (a first import of an old backlog, reviewed before
    /// anything leaves).
    pub hold: bool,
    /// The recipient delimiter of per-mail return paths (`servicii+b-ID-MAC@…`); `None`
    /// sends every mail with the plain agency address as its envelope sender.
    pub verp_delimiter: Option<char>,
}

/// The transport and the settings only it reads.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// `.eml` files written into this directory.
    Directory {
        /// Directory for `.eml` files.
        path: PathBuf,
    },
    /// An SMTP server.
    Smtp(Endpoint),
}

impl Outbound {
    /// One line for `check-config`: the kind and where it writes.
    pub fn summary(&self) -> String {
        match self {
            Self::Directory { path } => format!("Directory {}", path.display()),
            Self::Smtp(endpoint) => format!("Smtp {}", endpoint.summary()),
        }
    }
}

/// The sending policy every transport reads.
#[derive(Deserialize)]
struct Policy {
    #[serde(deserialize_with = "values::positive")]
    max_attempts: u32,
    retry_base_secs: Positive,
    hold: bool,
    #[serde(deserialize_with = "values::verp_delimiter")]
    verp_delimiter: Option<char>,
}

impl OutboundSettings {
    /// Reads `[outbound]`: its kind first, then the keys that kind uses.
    pub(super) fn read(section: &Section) -> anyhow::Result<Self> {
        let transport = match section.key::<OutboundKind>("kind")? {
            OutboundKind::Directory => Outbound::Directory {
                path: section.key_with("path", values::path)?,
            },
            OutboundKind::Smtp => Outbound::Smtp(section.read()?),
        };
        let policy: Policy = section.read()?;
        Ok(Self {
            transport,
            max_attempts: policy.max_attempts,
            retry_base_secs: policy.retry_base_secs.get(),
            hold: policy.hold,
            verp_delimiter: policy.verp_delimiter,
        })
    }
}
