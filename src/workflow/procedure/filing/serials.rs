//! Serial numbers given instead of a certificate file: what the agency's records say of
//! each (other cases' confirmed certificates), looked up before the filing is decided and
//! kept in the item's detail as `lookup`.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use sqlx::SqliteConnection;

use crate::workflow::cases::{self, Case};

/// What a serial number given instead of a file was found to be; kept in the item's
/// detail as `lookup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum SerialLookup {
    /// The agency confirmed that certificate for this system and environment; still valid.
    Accepted {
        /// Where it was confirmed.
        found: Confirmed,
    },
    /// Not good as it is: the operators and the beneficiary are told why.
    Questioned {
        /// Why.
        reason: Doubt,
        /// Where it was confirmed, when it was.
        #[serde(skip_serializing_if = "Option::is_none")]
        found: Option<Confirmed>,
    },
}

/// The confirmed certificate a serial number names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Confirmed {
    /// The case holding it.
    pub case: String,
    /// When it ends, as its item records it.
    pub not_after: Value,
}

/// Why a serial number is questioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doubt {
    /// No confirmed certificate has it.
    Unknown,
    /// The confirmed certificate has expired.
    Expired,
    /// It was confirmed for another information system.
    OtherSystem,
    /// It was confirmed for the other environment (TEST / PROD).
    OtherEnvironment,
}

crate::db::stored_names!(Doubt {
    Unknown => "unknown",
    Expired => "expired",
    OtherSystem => "other_system",
    OtherEnvironment => "other_environment",
});

/// A serial number given instead of a file is good when the agency has already confirmed
/// that certificate, still valid, for the same information system and environment
/// (docs/procedure.md, "Certificates"); otherwise it is questioned with the reason.
pub(super) async fn look_up_serial(
    conn: &mut SqliteConnection,
    case: &Case,
    serial: &str,
    detail: &Value,
) -> Result<SerialLookup> {
    let known = cases::confirmed_certificates(conn, serial).await?;
    let Some((holder, cert)) = known.first() else {
        return Ok(SerialLookup::Questioned {
            reason: Doubt::Unknown,
            found: None,
        });
    };
    let found = Confirmed {
        case: holder.reference.to_string(),
        not_after: cert.detail["not_after"].clone(),
    };
    let expired = cert.detail["not_after"]
        .as_str()
        .and_then(crate::db::parse_stamp)
        .is_none_or(|at| at <= crate::clock::now());
    let norm = |s: &str| {
        crate::extract::fold(s)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let other_system = matches!(
        (&holder.system_name, &case.system_name),
        (Some(a), Some(b)) if norm(a) != norm(b)
    );
    let (theirs, ours) = (&cert.detail["environment"], &detail["environment"]);
    let other_environment = theirs.is_string() && ours.is_string() && theirs != ours;
    let reason = if expired {
        Doubt::Expired
    } else if other_system {
        Doubt::OtherSystem
    } else if other_environment {
        Doubt::OtherEnvironment
    } else {
        return Ok(SerialLookup::Accepted { found });
    };
    Ok(SerialLookup::Questioned {
        reason,
        found: Some(found),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_serial_lookup_is_stored_as_before() {
        let found = Confirmed {
            case: "EGOV-2026-0001-K7QX".into(),
            not_after: json!("2030-01-01T00:00:00Z"),
        };
        let accepted = SerialLookup::Accepted {
            found: found.clone(),
        };
        assert_eq!(
            serde_json::to_value(&accepted).unwrap(),
            json!({ "status": "accepted", "found": { "case": "EGOV-2026-0001-K7QX", "not_after": "2030-01-01T00:00:00Z" } })
        );
        let unknown = SerialLookup::Questioned {
            reason: Doubt::Unknown,
            found: None,
        };
        assert_eq!(
            serde_json::to_value(&unknown).unwrap(),
            json!({ "status": "questioned", "reason": "unknown" })
        );
        let other = SerialLookup::Questioned {
            reason: Doubt::OtherSystem,
            found: Some(found),
        };
        assert_eq!(
            serde_json::to_value(&other).unwrap(),
            json!({ "status": "questioned", "reason": "other_system", "found": { "case": "EGOV-2026-0001-K7QX", "not_after": "2030-01-01T00:00:00Z" } })
        );
    }
}
