//! Configuration: `config/default.toml` (or its embedded copy), then `--config FILE`, then
//! `EGOV_DESK__SECTION__KEY` environment variables. Every value is read into a type that
//! only holds valid values, once, and a bad one stops start-up with a message that names its
//! key (`mailbox.port: 99999 is not a port number (1-65535)`).
//!
//! `[mailbox]` and `[outbound]` are tagged by their `kind`: it picks which keys the rest of the
//! section must hold ([`Mailbox`], [`Outbound`]); IMAP and SMTP share an [`Endpoint`].

mod endpoints;
mod sections;
mod values;

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use config::{Config, ConfigError, Environment, File, FileFormat, Value};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;

pub use endpoints::{
    Endpoint, ImapAuth, ImapOptions, ImapSettings, Mailbox, MailboxKind, MailboxSettings, MoveMode,
    Outbound, OutboundKind, OutboundSettings,
};
pub use sections::{
    AgencySettings, CertificateSettings, DatabaseSettings, LogSettings, TimeSettings,
    WorkflowSettings,
};
pub use values::{Bounded, NonEmpty, OptionalFile, Port, Positive, TlsMode};

/// The default configuration, compiled in so the binary runs even without the repository.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../config/default.toml");

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
        let config = builder
            .build()
            .map_err(|e| anyhow!("reading the configuration: {e}"))?;
        Self::from_config(&config)
    }

    /// Reads every section, then checks the rules that span several keys.
    fn from_config(config: &Config) -> Result<Self> {
        let settings = Settings {
            mailbox: MailboxSettings::read(&Section::of(config, "mailbox")?)?,
            outbound: OutboundSettings::read(&Section::of(config, "outbound")?)?,
            agency: Section::of(config, "agency")?.read()?,
            limits: Section::of(config, "limits")?.read_with(sections::LimitsKeys::deserialize)?,
            certificates: Section::of(config, "certificates")?.read()?,
            database: Section::of(config, "database")?.read()?,
            workflow: Section::of(config, "workflow")?.read()?,
            time: Section::of(config, "time")?.read()?,
            log: Section::of(config, "log")?.read()?,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// The rules no single key can check alone.
    fn validate(&self) -> Result<()> {
        if let Mailbox::Imap(imap) = &self.mailbox.source {
            if imap.endpoint.username.trim().is_empty() {
                bail!("mailbox.username: must not be empty when mailbox.kind is imap");
            }
        }
        if let Outbound::Smtp(smtp) = &self.outbound.transport {
            if !smtp.username.is_empty() && smtp.password.expose_secret().is_empty() {
                bail!("outbound.password: a username is set but the password is empty");
            }
        }
        if self.time.sla_warning_days >= self.time.sla_working_days {
            bail!("time.sla_warning_days: must be 0 or more and less than time.sla_working_days");
        }
        Ok(())
    }
}

/// One table of the layered configuration, read into typed parts.
///
/// Sections are read by hand rather than through serde's `#[serde(tag = "kind")]` or
/// `#[serde(flatten)]`: those buffer the table first and so lose the key of a bad value
/// (`mailbox` where `mailbox.port` is meant). Reading the `kind` first and then the table into
/// the struct that kind needs keeps every error keyed.
pub(crate) struct Section {
    name: &'static str,
    value: Value,
}

impl Section {
    /// The table `name`.
    fn of(config: &Config, name: &'static str) -> Result<Self> {
        let value = config
            .get::<Value>(name)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        Ok(Self { name, value })
    }

    /// The whole table as `T`; keys `T` does not know are left to others.
    fn read<T: DeserializeOwned>(&self) -> Result<T> {
        self.read_with(T::deserialize)
    }

    /// The whole table, read with `read` (a `deserialize_with` or remote function).
    fn read_with<T>(&self, read: impl FnOnce(Value) -> Result<T, ConfigError>) -> Result<T> {
        read(self.value.clone()).map_err(|e| named(self.name, e))
    }

    /// One key of the table as `T`.
    fn key<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        self.key_with(key, T::deserialize)
    }

    /// One key of the table, read with `read` (a `deserialize_with` function).
    fn key_with<T>(
        &self,
        key: &str,
        read: impl FnOnce(Value) -> Result<T, ConfigError>,
    ) -> Result<T> {
        let path = format!("{}.{key}", self.name);
        let value = self
            .value
            .clone()
            .into_table()
            .map_err(|e| named(self.name, e))?
            .remove(key)
            .ok_or_else(|| anyhow!("{path}: missing"))?;
        read(value).map_err(|e| named(&path, e))
    }
}

/// The error as `key: what is wrong`, the key in full (`agency.operators[1]`).
fn named(path: &str, e: ConfigError) -> anyhow::Error {
    let (key, message) = match e {
        ConfigError::At { error, key, .. } => (key, error.to_string()),
        ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => (
            key,
            format!("invalid type: {unexpected}, expected {expected}"),
        ),
        ConfigError::NotFound(key) => (Some(key), "missing".to_string()),
        other => (None, other.to_string()),
    };
    let full = match key {
        Some(k) if k.starts_with('[') => format!("{path}{k}"),
        Some(k) => format!("{path}.{k}"),
        None => path.to_string(),
    };
    anyhow!("{full}: {message}")
}

#[cfg(test)]
mod tests;
