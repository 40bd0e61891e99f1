//! The sections every installation has, whatever its mailbox and transport: who the agency
//! is, message limits, certificates, the database, the procedure data, time and logging.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::values::{self, Positive};
use crate::domain::{EmailAddress, Language};

/// Who the agency is.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencySettings {
    /// The mailbox's own address.
    #[serde(deserialize_with = "values::parsed")]
    pub address: EmailAddress,
    /// Display name on outgoing mail.
    #[serde(deserialize_with = "values::text")]
    pub name: String,
    /// Operator addresses.
    #[serde(deserialize_with = "values::addresses")]
    pub operators: Vec<EmailAddress>,
    /// Language of mail to operators.
    #[serde(deserialize_with = "values::parsed")]
    pub operator_language: Language,
    /// Language when a beneficiary's cannot be told.
    #[serde(deserialize_with = "values::parsed")]
    pub default_language: Language,
    /// The authserv-id of the agency's own mail server: when set, an operator command counts
    /// only if the topmost Authentication-Results header is this server's and shows DKIM or
    /// DMARC passing.
    #[serde(deserialize_with = "values::optional_text")]
    pub authserv_id: Option<String>,
}

/// How `[limits]` is read into the parser's own [`crate::parse::Limits`], which stays free of
/// configuration concerns.
#[derive(Deserialize)]
#[serde(remote = "crate::parse::Limits")]
pub(super) struct LimitsKeys {
    #[serde(deserialize_with = "values::positive")]
    max_parts: usize,
    #[serde(deserialize_with = "values::positive")]
    max_depth: usize,
    #[serde(deserialize_with = "values::positive")]
    max_header_bytes: usize,
    #[serde(deserialize_with = "values::positive")]
    max_certificate_bytes: usize,
    #[serde(deserialize_with = "values::positive")]
    max_certificates: usize,
}

/// How certificates are judged.
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateSettings {
    /// Flag certificates ending within this many days.
    #[serde(deserialize_with = "values::positive")]
    pub expiry_warning_days: i64,
    /// Smallest acceptable RSA key in bits.
    #[serde(deserialize_with = "values::positive")]
    pub min_rsa_bits: u32,
    /// Smallest acceptable EC key in bits.
    #[serde(deserialize_with = "values::positive")]
    pub min_ec_bits: u32,
    /// Holders of confirmed certificates are told this many days before expiry, largest first.
    #[serde(deserialize_with = "notice_days")]
    pub expiry_notice_days: Vec<i64>,
}

/// Reads positive day counts, largest first, each once: the order notices go out in.
fn notice_days<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    let days: Vec<Positive> = Vec::deserialize(d)?;
    let mut days: Vec<i64> = days
        .into_iter()
        .map(|d| i64::try_from(d.get()).unwrap_or(i64::MAX))
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    Ok(days)
}

/// Where state is kept.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// An sqlx SQLite URL, e.g. `sqlite://data/egov-desk.db`.
    #[serde(deserialize_with = "sqlite_url")]
    pub url: String,
}

/// Reads a SQLite URL: the only database the daemon speaks.
fn sqlite_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = values::text(d)?;
    if !url.starts_with("sqlite:") {
        return Err(serde::de::Error::custom(format!(
            "'{url}' is not a SQLite URL (expected sqlite://PATH)"
        )));
    }
    Ok(url)
}

/// Procedure data and templates.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowSettings {
    /// Per-service requirements table.
    #[serde(deserialize_with = "values::path")]
    pub services: PathBuf,
    /// Template root.
    #[serde(deserialize_with = "values::path")]
    pub templates: PathBuf,
    /// Key for operator tokens; empty: one made and kept in the database.
    pub command_key: SecretString,
    /// How long an operator token works.
    #[serde(deserialize_with = "values::positive")]
    pub token_valid_hours: i64,
    /// At most this many automatic replies to one address per day.
    #[serde(deserialize_with = "values::positive")]
    pub max_replies_per_day: i64,
}

/// Working days, the SLA clock and reminders.
#[derive(Debug, Clone, Deserialize)]
pub struct TimeSettings {
    /// The agency's time zone: where its days begin and end.
    #[serde(deserialize_with = "values::parsed")]
    pub timezone: chrono_tz::Tz,
    /// The holiday table.
    #[serde(deserialize_with = "values::path")]
    pub holidays: PathBuf,
    /// Working days the agency has for its steps once materials are complete.
    #[serde(deserialize_with = "values::bounded::<_, _, 365>")]
    pub sla_working_days: u32,
    /// Operators are reminded this many working days before the SLA runs out.
    pub sla_warning_days: u32,
    /// A beneficiary is reminded after this many working days of silence...
    #[serde(deserialize_with = "values::bounded::<_, _, 365>")]
    pub reminder_after_days: u32,
    /// ...this many times, and then the operators are told.
    #[serde(deserialize_with = "values::bounded::<_, _, 20>")]
    pub reminders: u32,
    /// Local hour (0-23) after which the daily digest goes to the operators on working days.
    #[serde(deserialize_with = "hour")]
    pub digest_hour: u32,
    /// How often `run` looks for due reminders.
    #[serde(deserialize_with = "values::positive")]
    pub scheduler_interval_secs: u64,
}

/// Reads an hour of the day, 0 to 23.
fn hour<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let h = i64::deserialize(d)?;
    u32::try_from(h)
        .ok()
        .filter(|h| *h < 24)
        .ok_or_else(|| serde::de::Error::custom(format!("{h} is not an hour from 0 to 23")))
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// A tracing filter such as `info` or `egov_desk=debug`.
    #[serde(deserialize_with = "values::text")]
    pub level: String,
}
