//! The values a configuration key may hold, each a type that can only be read valid: a bad
//! value is refused where it is read, and the reader puts its key in front of the message.
//!
//! Fields that other stages read as plain numbers, paths or addresses keep those types; they
//! are read through the newtypes here with `#[serde(deserialize_with = "…")]`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// Declares a closed choice read from its lower-case name, trimmed and case-insensitively.
macro_rules! choices {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
        #[serde(try_from = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, String> {
                $crate::settings::values::pick(&[$(($text, Self::$variant)),+], &value)
            }
        }
    };
}
pub(crate) use choices;

/// The choice named `value`, or a message listing the names there are.
pub(crate) fn pick<T: Copy>(choices: &[(&str, T)], value: &str) -> Result<T, String> {
    let wanted = value.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!("'{value}' is not one of {}", names.join(", "))
        })
}

choices! {
    /// Transport security for IMAP and SMTP connections.
    pub enum TlsMode {
        /// Plain text; only for loopback tests.
        None = "none",
        /// Plain connection upgraded with STARTTLS.
        StartTls = "starttls",
        /// TLS from the first byte.
        Tls = "tls",
    }
}

/// A TCP port, 1-65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Port(u16);

impl Port {
    /// The port number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for Port {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, String> {
        match u16::try_from(value) {
            Ok(p) if p > 0 => Ok(Self(p)),
            _ => Err(format!("{value} is not a port number (1-65535)")),
        }
    }
}

/// Text that is not empty once trimmed (a host name, a folder, a log filter).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NonEmpty(String);

impl NonEmpty {
    /// The trimmed text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NonEmpty {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        let v = value.trim();
        if v.is_empty() {
            return Err("must not be empty".into());
        }
        Ok(Self(v.to_string()))
    }
}

impl std::fmt::Display for NonEmpty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An optional file that must exist when named; `""` names none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct OptionalFile(Option<PathBuf>);

impl OptionalFile {
    /// The file, if one is named.
    pub fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }
}

impl TryFrom<String> for OptionalFile {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(Self(None));
        }
        let path = PathBuf::from(v);
        if !path.is_file() {
            return Err(format!("{} is not a file", path.display()));
        }
        Ok(Self(Some(path)))
    }
}

/// A whole number from 1 to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Bounded<const MAX: u64>(u64);

/// A whole number above zero.
pub type Positive = Bounded<{ u64::MAX }>;

impl<const MAX: u64> Bounded<MAX> {
    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<const MAX: u64> TryFrom<i64> for Bounded<MAX> {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, String> {
        match u64::try_from(value) {
            Ok(v) if v > MAX => Err(format!("{v} is over {MAX}")),
            Ok(v) if v > 0 => Ok(Self(v)),
            _ => Err(format!("{value} must be a positive number")),
        }
    }
}

/// Reads a [`Bounded`] number into the plain integer type its readers use.
pub fn bounded<'de, D, T, const MAX: u64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let v = Bounded::<MAX>::deserialize(d)?.get();
    T::try_from(v).map_err(|_| serde::de::Error::custom(format!("{v} is too large")))
}

/// Reads a [`Positive`] number into the plain integer type its readers use.
pub fn positive<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    bounded::<D, T, { u64::MAX }>(d)
}

/// Reads a [`NonEmpty`] text as a path.
pub fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    NonEmpty::deserialize(d).map(|v| PathBuf::from(v.0))
}

/// Reads a [`NonEmpty`] text as a plain string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    NonEmpty::deserialize(d).map(|v| v.0)
}

/// Reads text; trimmed empty means none.
pub fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = String::deserialize(d)?;
    Ok(Some(v.trim().to_string()).filter(|s| !s.is_empty()))
}

/// Reads a value through its `FromStr` (addresses, languages, time zones).
pub fn parsed<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let v = String::deserialize(d)?;
    v.trim()
        .parse()
        .map_err(|e| serde::de::Error::custom(format!("bad value: {e:#}")))
}

/// An address in a list where empty entries (a trailing comma in a variable) are skipped.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct ListedAddress(Option<crate::domain::EmailAddress>);

impl TryFrom<String> for ListedAddress {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        if value.trim().is_empty() {
            return Ok(Self(None));
        }
        value
            .parse()
            .map(|a| Self(Some(a)))
            .map_err(|e| format!("bad value: {e:#}"))
    }
}

/// Reads a list of at least one address; each bad entry is named by its index.
pub fn addresses<'de, D>(d: D) -> Result<Vec<crate::domain::EmailAddress>, D::Error>
where
    D: Deserializer<'de>,
{
    let listed: Vec<ListedAddress> = Vec::deserialize(d)?;
    let all: Vec<_> = listed.into_iter().filter_map(|a| a.0).collect();
    if all.is_empty() {
        return Err(serde::de::Error::custom(
            "at least one operator address is needed",
        ));
    }
    Ok(all)
}

/// Delimiters a mail server's `recipient_delimiter` commonly uses that are also safe, unquoted,
/// in the local part of an address.
const VERP_DELIMITERS: &str = "+-_=.~";

/// Reads the per-mail return path delimiter: one safe character, or `""` for none.
pub fn verp_delimiter<'de, D: Deserializer<'de>>(d: D) -> Result<Option<char>, D::Error> {
    let value = String::deserialize(d)?;
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) if VERP_DELIMITERS.contains(c) => Ok(Some(c)),
        _ => Err(serde::de::Error::custom(format!(
            "'{value}' must be empty (no per-mail return path) or one of {}",
            VERP_DELIMITERS
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        ))),
    }
}
