//! The agency's platforms a case can be opened for, and those that have their own procedure.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A shared platform an information system connects to through this mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Authentication (SAML).
    MPass,
    /// Electronic signature.
    MSign,
    /// Notifications.
    MNotify,
    /// Documents.
    MDocs,
    /// Logging.
    MLog,
    /// Authorizations.
    MPower,
    /// Delivery.
    MDelivery,
}

impl Service {
    /// Every service, in the order the procedure lists them.
    pub const ALL: [Service; 7] = [
        Service::MPass,
        Service::MSign,
        Service::MNotify,
        Service::MDocs,
        Service::MLog,
        Service::MPower,
        Service::MDelivery,
    ];

    /// The lower-case key used in configuration and the database.
    pub fn key(self) -> &'static str {
        match self {
            Service::MPass => "mpass",
            Service::MSign => "msign",
            Service::MNotify => "mnotify",
            Service::MDocs => "mdocs",
            Service::MLog => "mlog",
            Service::MPower => "mpower",
            Service::MDelivery => "mdelivery",
        }
    }

    /// The name as the agency writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Service::MPass => "MPass",
            Service::MSign => "MSign",
            Service::MNotify => "MNotify",
            Service::MDocs => "MDocs",
            Service::MLog => "MLog",
            Service::MPower => "MPower",
            Service::MDelivery => "MDelivery",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.display_name())
    }
}

impl FromStr for Service {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match ServiceMention::from_name(s) {
            Some(ServiceMention::Service(service)) => Ok(service),
            Some(ServiceMention::Redirect(r)) => anyhow::bail!(
                "{} has its own procedure ({}); no case is opened here",
                r.display_name(),
                r.contact()
            ),
            None => anyhow::bail!(
                "unknown service '{s}' (expected one of mpass, msign, mnotify, mdocs, mlog, mpower, mdelivery)"
            ),
        }
    }
}

/// A platform whose requests are redirected to another procedure instead of opening a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Redirect {
    /// Payments: separate mailbox and procedure.
    MPay,
    /// Data exchange: separate procedure.
    MConnect,
}

impl Redirect {
    /// The name as the agency writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Redirect::MPay => "MPay",
            Redirect::MConnect => "MConnect",
        }
    }

    /// Where requests for this platform belong.
    pub fn contact(self) -> &'static str {
        match self {
            Redirect::MPay => "suport.mpay@gov.md",
            Redirect::MConnect => "the MConnect connection procedure",
        }
    }

    /// The lower-case key, also the template variable that selects the wording.
    pub fn key(self) -> &'static str {
        match self {
            Redirect::MPay => "mpay",
            Redirect::MConnect => "mconnect",
        }
    }
}

/// A platform named in a mail: one we open cases for, or one we redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceMention {
    /// A platform handled through this mailbox.
    Service(Service),
    /// A platform with its own procedure.
    Redirect(Redirect),
}

impl ServiceMention {
    /// Reads a platform name, case-insensitively (`MPass`, `mpass`, `M-Pass`).
    pub fn from_name(name: &str) -> Option<Self> {
        let key: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let found = match key.as_str() {
            "mpass" => Self::Service(Service::MPass),
            "msign" => Self::Service(Service::MSign),
            "mnotify" => Self::Service(Service::MNotify),
            "mdocs" => Self::Service(Service::MDocs),
            "mlog" => Self::Service(Service::MLog),
            "mpower" => Self::Service(Service::MPower),
            "mdelivery" => Self::Service(Service::MDelivery),
            "mpay" => Self::Redirect(Redirect::MPay),
            "mconnect" => Self::Redirect(Redirect::MConnect),
            _ => return None,
        };
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_any_case_and_redirects_are_refused() {
        assert_eq!("MDocs".parse::<Service>().unwrap(), Service::MDocs);
        assert_eq!("m-pass".parse::<Service>().unwrap(), Service::MPass);
        let err = "mpay".parse::<Service>().unwrap_err().to_string();
        assert!(err.contains("suport.mpay@gov.md"), "{err}");
        assert!("mfoo".parse::<Service>().is_err());
    }

    #[test]
    fn every_key_reads_back() {
        for s in Service::ALL {
            assert_eq!(s.key().parse::<Service>().unwrap(), s);
        }
    }
}
