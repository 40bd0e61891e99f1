//! The three languages the procedure is published in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language a beneficiary writes in and is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Romanian, the agency's default.
    Ro,
    /// Russian.
    Ru,
    /// English.
    En,
}

impl Language {
    /// The two-letter code, also the name of the template folder.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ro => "ro",
            Language::Ru => "ru",
            Language::En => "en",
        }
    }

    /// All languages, in the order the templates are checked.
    pub const ALL: [Language; 3] = [Language::Ro, Language::Ru, Language::En];
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Language {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ro" => Ok(Language::Ro),
            "ru" => Ok(Language::Ru),
            "en" => Ok(Language::En),
            other => anyhow::bail!("unknown language '{other}' (expected ro, ru or en)"),
        }
    }
}
