//! Configuration: `config/default.toml` (or its embedded copy), then `--config FILE`, then
//! `EGOV_DESK__SECTION__KEY` environment variables. Every value is checked here, once, and a
//! bad one stops start-up with a message that names its key.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::{EmailAddress, Language};

/// The default configuration, compiled in so the binary runs even without the repository.
pub const EMBEDDED_DEFAULT: &str = include_str!("../config/default.toml");

/// Where the on-disk default lives, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/default.toml";

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where incoming mail is read.
    pub mailbox: MailboxSettings,
    /// How outgoing mail leaves.
    pub outbound: OutboundSettings,
    /// Who the agency is and who its operators are.
    pub agency: AgencySettings,
    /// What a message may not exceed.
    pub limits: crate::parse::Limits,
    /// How certificates are judged.
    pub certificates: CertificateSettings,
    /// Where state is kept.
    pub database: DatabaseSettings,
    /// Procedure data and templates.
    pub workflow: WorkflowSettings,
    /// Working days and reminders.
    pub time: TimeSettings,
    /// Logging.
    pub log: LogSettings,
}

/// Which kind of mailbox to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxKind {
    /// A local Maildir.
    Maildir,
    /// An IMAP server.
    Imap,
}

/// Which way outgoing mail leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundKind {
    /// `.eml` files written into a directory.
    Directory,
    /// An SMTP server.
    Smtp,
}

/// Transport security for IMAP and SMTP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text; only for loopback tests.
    None,
    /// Plain connection upgraded with STARTTLS.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

/// Where incoming mail is read.
#[derive(Debug, Clone)]
pub struct MailboxSettings {
    /// Maildir or IMAP.
    pub kind: MailboxKind,
    /// Maildir root.
    pub path: PathBuf,
    /// IMAP host.
    pub host: String,
    /// IMAP port.
    pub port: u16,
    /// IMAP transport security.
    pub tls: TlsMode,
    /// IMAP login.
    pub username: String,
    /// IMAP password (never logged).
    pub password: SecretString,
    /// IMAP authentication command.
    pub auth: ImapAuth,
    /// An extra CA certificate to trust.
    pub ca_file: Option<PathBuf>,
    /// Folder new mail arrives in.
    pub folder: String,
    /// Folder handled mail is moved to.
    pub processed_folder: String,
    /// Folder mail that could not be handled is moved to.
    pub quarantine_folder: String,
    /// Whether UID MOVE may be used.
    pub move_mode: MoveMode,
    /// How often to look for mail where the source cannot push.
    pub poll_interval_secs: u64,
    /// Larger messages are quarantined unread.
    pub max_message_bytes: u64,
    /// Longest IDLE before it is re-issued.
    pub idle_secs: u64,
    /// Longest any one IMAP or SMTP exchange may take.
    pub timeout_secs: u64,
}

/// How handled mail is moved out of the IMAP inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveMode {
    /// UID MOVE when the server advertises it, else the fallback.
    Auto,
    /// Always COPY + `\Deleted` + UID EXPUNGE.
    Copy,
}

/// How to authenticate to IMAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapAuth {
    /// AUTHENTICATE PLAIN (RFC 4616).
    Plain,
    /// The LOGIN command.
    Login,
}

/// How outgoing mail leaves.
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    /// Directory or SMTP.
    pub kind: OutboundKind,
    /// Directory for `.eml` files.
    pub path: PathBuf,
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// SMTP transport security.
    pub tls: TlsMode,
    /// SMTP login; empty means no authentication.
    pub username: String,
    /// SMTP password (never logged).
    pub password: SecretString,
    /// An extra CA certificate to trust.
    pub ca_file: Option<PathBuf>,
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

/// Who the agency is.
#[derive(Debug, Clone)]
pub struct AgencySettings {
    /// The mailbox's own address.
    pub address: EmailAddress,
    /// Display name on outgoing mail.
    pub name: String,
    /// Operator addresses.
    pub operators: Vec<EmailAddress>,
    /// Language of mail to operators.
    pub operator_language: Language,
    /// Language when a beneficiary's cannot be told.
    pub default_language: Language,
    /// The authserv-id of the agency's own mail server: when set, an operator command counts
    /// only if the topmost Authentication-Results header is this server's and shows DKIM or
    /// DMARC passing.
    pub authserv_id: Option<String>,
}

/// How certificates are judged.
#[derive(Debug, Clone)]
pub struct CertificateSettings {
    /// Flag certificates ending within this many days.
    pub expiry_warning_days: i64,
    /// Smallest acceptable RSA key in bits.
    pub min_rsa_bits: u32,
    /// Smallest acceptable EC key in bits.
    pub min_ec_bits: u32,
    /// Holders of confirmed certificates are told this many days before expiry, largest first.
    pub expiry_notice_days: Vec<i64>,
}

/// Where state is kept.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// An sqlx SQLite URL, e.g. `sqlite://data/egov-desk.db`.
    pub url: String,
}

/// Procedure data and templates.
#[derive(Debug, Clone)]
pub struct WorkflowSettings {
    /// Per-service requirements table.
    pub services: PathBuf,
    /// Template root.
    pub templates: PathBuf,
    /// Key for operator tokens; `None`: one made and kept in the database.
    pub command_key: SecretString,
    /// How long an operator token works.
    pub token_valid_hours: i64,
    /// At most this many automatic replies to one address per day.
    pub max_replies_per_day: i64,
}

/// Working days, the SLA clock and reminders.
#[derive(Debug, Clone)]
pub struct TimeSettings {
    /// The agency's time zone: where its days begin and end.
    pub timezone: chrono_tz::Tz,
    /// The holiday table.
    pub holidays: PathBuf,
    /// Working days the agency has for its steps once materials are complete.
    pub sla_working_days: u32,
    /// Operators are reminded this many working days before the SLA runs out.
    pub sla_warning_days: u32,
    /// A beneficiary is reminded after this many working days of silence...
    pub reminder_after_days: u32,
    /// ...this many times, and then the operators are told.
    pub reminders: u32,
    /// Local hour (0-23) after which the daily digest goes to the operators on working days.
    pub digest_hour: u32,
    /// How often `run` looks for due reminders.
    pub scheduler_interval_secs: u64,
}

/// Logging.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// A tracing filter such as `info` or `egov_desk=debug`.
    pub level: String,
}

#[derive(Deserialize)]
struct Raw {
    mailbox: RawMailbox,
    outbound: RawOutbound,
    agency: RawAgency,
    limits: RawLimits,
    certificates: RawCertificates,
    database: RawDatabase,
    workflow: RawWorkflow,
    time: RawTime,
    log: RawLog,
}

#[derive(Deserialize)]
struct RawTime {
    timezone: String,
    holidays: String,
    sla_working_days: i64,
    sla_warning_days: i64,
    reminder_after_days: i64,
    reminders: i64,
    digest_hour: i64,
    scheduler_interval_secs: i64,
}

#[derive(Deserialize)]
struct RawMailbox {
    kind: String,
    path: String,
    host: String,
    port: i64,
    tls: String,
    username: String,
    password: SecretString,
    auth: String,
    ca_file: String,
    folder: String,
    processed_folder: String,
    quarantine_folder: String,
    #[serde(rename = "move")]
    move_mode: String,
    poll_interval_secs: i64,
    max_message_bytes: i64,
    idle_secs: i64,
    timeout_secs: i64,
}

#[derive(Deserialize)]
struct RawOutbound {
    kind: String,
    path: String,
    host: String,
    port: i64,
    tls: String,
    username: String,
    password: SecretString,
    ca_file: String,
    max_attempts: i64,
    retry_base_secs: i64,
    hold: bool,
    verp_delimiter: String,
}

#[derive(Deserialize)]
struct RawAgency {
    address: String,
    name: String,
    operators: Vec<String>,
    operator_language: String,
    default_language: String,
    authserv_id: String,
}

#[derive(Deserialize)]
struct RawLimits {
    max_parts: i64,
    max_depth: i64,
    max_header_bytes: i64,
    max_certificate_bytes: i64,
    max_certificates: i64,
}

#[derive(Deserialize)]
struct RawCertificates {
    expiry_warning_days: i64,
    min_rsa_bits: i64,
    min_ec_bits: i64,
    expiry_notice_days: Vec<i64>,
}

#[derive(Deserialize)]
struct RawDatabase {
    url: String,
}

#[derive(Deserialize)]
struct RawWorkflow {
    services: String,
    templates: String,
    command_key: SecretString,
    token_valid_hours: i64,
    max_replies_per_day: i64,
}

#[derive(Deserialize)]
struct RawLog {
    level: String,
}

impl Settings {
    /// Loads and validates the configuration; `overlay` is the `--config` file, if any.
    pub fn load(overlay: Option<&Path>) -> Result<Self> {
        let mut builder = Config::builder();
        builder = if Path::new(DEFAULT_PATH).is_file() {
            builder.add_source(File::new(DEFAULT_PATH, FileFormat::Toml))
        } else {
            builder.add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml))
        };
        if let Some(path) = overlay {
            if !path.is_file() {
                bail!("configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        builder = builder.add_source(
            Environment::with_prefix("EGOV_DESK")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("agency.operators")
                .with_list_parse_key("certificates.expiry_notice_days"),
        );
        let raw: Raw = builder
            .build()
            .context("reading the configuration")?
            .try_deserialize()
            .context("reading the configuration")?;
        Self::validate(raw)
    }

    fn validate(raw: Raw) -> Result<Self> {
        let m = raw.mailbox;
        let mailbox = MailboxSettings {
            kind: pick(
                "mailbox.kind",
                &m.kind,
                &[
                    ("maildir", MailboxKind::Maildir),
                    ("imap", MailboxKind::Imap),
                ],
            )?,
            path: non_empty_path("mailbox.path", &m.path)?,
            host: m.host.trim().to_string(),
            port: port("mailbox.port", m.port)?,
            tls: tls("mailbox.tls", &m.tls)?,
            username: m.username,
            password: m.password,
            auth: pick(
                "mailbox.auth",
                &m.auth,
                &[("plain", ImapAuth::Plain), ("login", ImapAuth::Login)],
            )?,
            ca_file: optional_file("mailbox.ca_file", &m.ca_file)?,
            folder: non_empty("mailbox.folder", &m.folder)?,
            processed_folder: non_empty("mailbox.processed_folder", &m.processed_folder)?,
            quarantine_folder: non_empty("mailbox.quarantine_folder", &m.quarantine_folder)?,
            move_mode: pick(
                "mailbox.move",
                &m.move_mode,
                &[("auto", MoveMode::Auto), ("copy", MoveMode::Copy)],
            )?,
            poll_interval_secs: positive("mailbox.poll_interval_secs", m.poll_interval_secs)?,
            max_message_bytes: positive("mailbox.max_message_bytes", m.max_message_bytes)?,
            idle_secs: positive("mailbox.idle_secs", m.idle_secs)?,
            timeout_secs: positive("mailbox.timeout_secs", m.timeout_secs)?,
        };
        if mailbox.idle_secs > 300 {
            bail!("mailbox.idle_secs: {} is over 300; IDLE must be re-issued at least every 5 minutes", mailbox.idle_secs);
        }
        if mailbox.kind == MailboxKind::Imap {
            non_empty("mailbox.host", &mailbox.host)?;
            non_empty("mailbox.username", &mailbox.username)?;
        }
        let o = raw.outbound;
        let outbound = OutboundSettings {
            kind: pick(
                "outbound.kind",
                &o.kind,
                &[
                    ("directory", OutboundKind::Directory),
                    ("smtp", OutboundKind::Smtp),
                ],
            )?,
            path: non_empty_path("outbound.path", &o.path)?,
            host: o.host.trim().to_string(),
            port: port("outbound.port", o.port)?,
            tls: tls("outbound.tls", &o.tls)?,
            username: o.username,
            password: o.password,
            ca_file: optional_file("outbound.ca_file", &o.ca_file)?,
            max_attempts: u32::try_from(positive("outbound.max_attempts", o.max_attempts)?)
                .context("outbound.max_attempts: too large")?,
            retry_base_secs: positive("outbound.retry_base_secs", o.retry_base_secs)?,
            hold: o.hold,
            verp_delimiter: verp_delimiter(&o.verp_delimiter)?,
        };
        if outbound.kind == OutboundKind::Smtp {
            non_empty("outbound.host", &outbound.host)?;
            if !outbound.username.is_empty() && outbound.password.expose_secret().is_empty() {
                bail!("outbound.password: a username is set but the password is empty");
            }
        }
        let a = raw.agency;
        let operators = a
            .operators
            .iter()
            .filter(|s| !s.trim().is_empty())
            .enumerate()
            .map(|(i, s)| parse(&format!("agency.operators[{i}]"), s))
            .collect::<Result<Vec<EmailAddress>>>()?;
        if operators.is_empty() {
            bail!("agency.operators: at least one operator address is needed");
        }
        let agency = AgencySettings {
            address: parse("agency.address", &a.address)?,
            name: non_empty("agency.name", &a.name)?,
            operators,
            operator_language: parse("agency.operator_language", &a.operator_language)?,
            default_language: parse("agency.default_language", &a.default_language)?,
            authserv_id: Some(a.authserv_id.trim().to_string()).filter(|s| !s.is_empty()),
        };
        let l = raw.limits;
        let size = |key: &str, v: i64| -> Result<usize> {
            usize::try_from(positive(key, v)?).with_context(|| format!("{key}: too large"))
        };
        let limits = crate::parse::Limits {
            max_parts: size("limits.max_parts", l.max_parts)?,
            max_depth: size("limits.max_depth", l.max_depth)?,
            max_header_bytes: size("limits.max_header_bytes", l.max_header_bytes)?,
            max_certificate_bytes: size("limits.max_certificate_bytes", l.max_certificate_bytes)?,
            max_certificates: size("limits.max_certificates", l.max_certificates)?,
        };
        let c = raw.certificates;
        let bits = |key: &str, v: i64| -> Result<u32> {
            u32::try_from(positive(key, v)?).with_context(|| format!("{key}: too large"))
        };
        let certificates = CertificateSettings {
            expiry_warning_days: i64::try_from(positive(
                "certificates.expiry_warning_days",
                c.expiry_warning_days,
            )?)
            .context("certificates.expiry_warning_days: too large")?,
            min_rsa_bits: bits("certificates.min_rsa_bits", c.min_rsa_bits)?,
            min_ec_bits: bits("certificates.min_ec_bits", c.min_ec_bits)?,
            expiry_notice_days: {
                let mut days = c.expiry_notice_days.clone();
                for d in &days {
                    positive("certificates.expiry_notice_days", *d)?;
                }
                days.sort_unstable_by(|a, b| b.cmp(a));
                days.dedup();
                days
            },
        };
        let t = raw.time;
        let small = |key: &str, v: i64, max: u64| -> Result<u32> {
            let v = positive(key, v)?;
            if v > max {
                bail!("{key}: {v} is over {max}");
            }
            Ok(u32::try_from(v).unwrap_or(u32::MAX))
        };
        let time = TimeSettings {
            timezone: t.timezone.trim().parse().map_err(|_| {
                anyhow::anyhow!("time.timezone: '{}' is not an IANA time zone", t.timezone)
            })?,
            holidays: non_empty_path("time.holidays", &t.holidays)?,
            sla_working_days: small("time.sla_working_days", t.sla_working_days, 365)?,
            sla_warning_days: u32::try_from(t.sla_warning_days)
                .ok()
                .filter(|d| i64::from(*d) < t.sla_working_days)
                .context(
                    "time.sla_warning_days: must be 0 or more and less than time.sla_working_days",
                )?,
            reminder_after_days: small("time.reminder_after_days", t.reminder_after_days, 365)?,
            reminders: small("time.reminders", t.reminders, 20)?,
            digest_hour: u32::try_from(t.digest_hour)
                .ok()
                .filter(|h| *h < 24)
                .context("time.digest_hour: must be an hour from 0 to 23")?,
            scheduler_interval_secs: positive(
                "time.scheduler_interval_secs",
                t.scheduler_interval_secs,
            )?,
        };
        let url = non_empty("database.url", &raw.database.url)?;
        if !url.starts_with("sqlite:") {
            bail!("database.url: '{url}' is not a SQLite URL (expected sqlite://PATH)");
        }
        Ok(Settings {
            mailbox,
            outbound,
            agency,
            limits,
            certificates,
            database: DatabaseSettings { url },
            workflow: WorkflowSettings {
                services: non_empty_path("workflow.services", &raw.workflow.services)?,
                templates: non_empty_path("workflow.templates", &raw.workflow.templates)?,
                command_key: raw.workflow.command_key,
                token_valid_hours: i64::try_from(positive(
                    "workflow.token_valid_hours",
                    raw.workflow.token_valid_hours,
                )?)
                .context("workflow.token_valid_hours: too large")?,
                max_replies_per_day: i64::try_from(positive(
                    "workflow.max_replies_per_day",
                    raw.workflow.max_replies_per_day,
                )?)
                .context("workflow.max_replies_per_day: too large")?,
            },
            time,
            log: LogSettings {
                level: non_empty("log.level", &raw.log.level)?,
            },
        })
    }
}

fn pick<T: Copy>(key: &str, value: &str, choices: &[(&str, T)]) -> Result<T> {
    let wanted = value.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, v)| *v)
        .with_context(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!("{key}: '{value}' is not one of {}", names.join(", "))
        })
}

fn tls(key: &str, value: &str) -> Result<TlsMode> {
    pick(
        key,
        value,
        &[
            ("none", TlsMode::None),
            ("starttls", TlsMode::StartTls),
            ("tls", TlsMode::Tls),
        ],
    )
}

fn parse<T: FromStr<Err = anyhow::Error>>(key: &str, value: &str) -> Result<T> {
    value.parse().with_context(|| format!("{key}: bad value"))
}

fn non_empty(key: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        bail!("{key}: must not be empty");
    }
    Ok(v.to_string())
}

fn non_empty_path(key: &str, value: &str) -> Result<PathBuf> {
    non_empty(key, value).map(PathBuf::from)
}

fn optional_file(key: &str, value: &str) -> Result<Option<PathBuf>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let path = PathBuf::from(v);
    if !path.is_file() {
        bail!("{key}: {} is not a file", path.display());
    }
    Ok(Some(path))
}

fn port(key: &str, value: i64) -> Result<u16> {
    match u16::try_from(value) {
        Ok(p) if p > 0 => Ok(p),
        _ => bail!("{key}: {value} is not a port number (1-65535)"),
    }
}

/// Delimiters a mail server's `recipient_delimiter` commonly uses that are also safe, unquoted,
/// in the local part of an address.
const VERP_DELIMITERS: &str = "+-_=.~";

fn verp_delimiter(value: &str) -> Result<Option<char>> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) if VERP_DELIMITERS.contains(c) => Ok(Some(c)),
        _ => bail!(
            "outbound.verp_delimiter: '{value}' must be empty (no per-mail return path) or one of {}",
            VERP_DELIMITERS.chars().map(String::from).collect::<Vec<_>>().join(" ")
        ),
    }
}

fn positive(key: &str, value: i64) -> Result<u64> {
    match u64::try_from(value) {
        Ok(v) if v > 0 => Ok(v),
        _ => bail!("{key}: {value} must be a positive number"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_default() -> Raw {
        Config::builder()
            .add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap()
    }

    #[test]
    fn the_embedded_default_is_valid_and_local() {
        let s = Settings::validate(raw_default()).unwrap();
        assert_eq!(s.mailbox.kind, MailboxKind::Maildir);
        assert_eq!(s.outbound.kind, OutboundKind::Directory);
        assert_eq!(s.agency.address.as_str(), "servicii@egov.md");
        assert!(s.database.url.starts_with("sqlite:"));
    }

    #[test]
    fn the_production_example_is_valid_once_passwords_come_from_the_environment() {
        let mut raw: Raw = Config::builder()
            .add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml))
            .add_source(File::from_str(
                include_str!("../config/production.example.toml"),
                FileFormat::Toml,
            ))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        raw.mailbox.password = SecretString::from("from-env");
        raw.outbound.password = SecretString::from("from-env");
        let s = Settings::validate(raw).unwrap();
        assert_eq!(s.mailbox.kind, MailboxKind::Imap);
        assert_eq!(s.mailbox.tls, TlsMode::Tls);
        assert_eq!(s.outbound.kind, OutboundKind::Smtp);
        assert!(s.mailbox.idle_secs <= 300);
        assert_eq!(s.agency.authserv_id.as_deref(), Some("mx.egov.md"));
    }

    #[test]
    fn idle_longer_than_five_minutes_is_refused() {
        let mut raw = raw_default();
        raw.mailbox.idle_secs = 600;
        let err = format!("{:#}", Settings::validate(raw).unwrap_err());
        assert!(err.contains("mailbox.idle_secs"), "{err}");
    }

    #[test]
    fn the_verp_delimiter_is_one_safe_character_or_nothing() {
        assert_eq!(
            Settings::validate(raw_default())
                .unwrap()
                .outbound
                .verp_delimiter,
            Some('+')
        );
        let mut raw = raw_default();
        raw.outbound.verp_delimiter = String::new();
        assert_eq!(
            Settings::validate(raw).unwrap().outbound.verp_delimiter,
            None
        );
        for bad in ["@", "++", " ", "a"] {
            let mut raw = raw_default();
            raw.outbound.verp_delimiter = bad.into();
            let err = format!("{:#}", Settings::validate(raw).unwrap_err());
            assert!(err.contains("outbound.verp_delimiter"), "{err}");
        }
    }

    #[test]
    fn a_bad_kind_names_its_key() {
        let mut raw = raw_default();
        raw.mailbox.kind = "pop3".into();
        let err = format!("{:#}", Settings::validate(raw).unwrap_err());
        assert!(err.contains("mailbox.kind"), "{err}");
    }

    #[test]
    fn a_bad_operator_address_names_its_key() {
        let mut raw = raw_default();
        raw.agency.operators = vec!["ops@egov.md".into(), "not-an-address".into()];
        let err = format!("{:#}", Settings::validate(raw).unwrap_err());
        assert!(err.contains("agency.operators[1]"), "{err}");
    }

    #[test]
    fn imap_without_a_host_is_refused() {
        let mut raw = raw_default();
        raw.mailbox.kind = "imap".into();
        let err = format!("{:#}", Settings::validate(raw).unwrap_err());
        assert!(err.contains("mailbox.host"), "{err}");
    }

    #[test]
    fn passwords_do_not_show_in_debug_output() {
        let mut raw = raw_default();
        raw.mailbox.password = SecretString::from("hunter2-secret");
        let s = Settings::validate(raw).unwrap();
        assert!(!format!("{s:?}").contains("hunter2-secret"));
    }
}
