//! Filing a message's materials on its case: items recorded (and audited), serial numbers
//! checked against the certificates the agency has confirmed, TEST and PROD keys compared,
//! and the case moved when its materials become complete.

use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::SqliteConnection;

use super::audit::{self, Actor, EventKind};
use super::cases::{self, Case, Item, ItemStatus};
use super::materials::{materials, Material};
use super::requirements::Missing;
use super::{step, Workflow};
use crate::domain::ItemKind;
use crate::domain::Language;
use crate::extract::{Extraction, Problem};

/// What one message did to its case, for the replies.
pub(crate) struct Filing {
    pub case: Case,
    /// Problems that depend on the case (issuers, serials, keys), after the message's own.
    pub problems: Vec<Problem>,
    pub new_case: bool,
    pub new_items: Vec<Item>,
    pub items: Vec<Item>,
    pub missing: Vec<Missing>,
}

/// What a case still needs, counting every item not rejected.
pub(crate) fn missing_of(wf: &Workflow, case: &Case, items: &[Item]) -> Vec<Missing> {
    let usable: Vec<(ItemKind, &str)> = items
        .iter()
        .filter(|i| i.status != ItemStatus::Rejected)
        .map(|i| (i.kind, i.value.as_str()))
        .collect();
    wf.requirements.missing(case.service, &usable)
}

/// The mode item of a case (MPower), which picks its steps.
pub(crate) fn mode_of(items: &[Item]) -> Option<&str> {
    items
        .iter()
        .rev()
        .find(|i| i.kind == ItemKind::Mode && i.status != ItemStatus::Rejected)
        .map(|i| i.value.as_str())
}

/// Files the message's materials on `case` and moves it to the step they lead to.
pub(crate) async fn file(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: Case,
    new_case: bool,
    ledger_id: i64,
    sender: &str,
    ex: &Extraction,
) -> Result<Filing> {
    let actor = Actor::Mail(sender.to_string());
    if new_case {
        audit::record(
            conn,
            case.id,
            &actor,
            Some(ledger_id),
            EventKind::Opened,
            json!({ "service": case.service.key(), "institution": case.institution }),
        )
        .await?;
    }
    // The beneficiary wrote on the case: their reminder clock restarts from this mail.
    let received_at = crate::ledger::received_at(conn, ledger_id).await?;
    cases::record_mail(conn, case.id, &received_at).await?;
    let mut fresh = Vec::new();
    let mut problems = ex.problems.clone();
    for Material {
        kind,
        value,
        mut detail,
    } in materials(ex)
    {
        // Only MPower is used in modes; elsewhere the words mean nothing for the case.
        if kind == ItemKind::Mode && case.service != crate::domain::Service::MPower {
            continue;
        }
        if kind == ItemKind::SerialNumber {
            let lookup = look_up_serial(conn, &case, &value, &detail).await?;
            if let SerialLookup::Questioned { reason, .. } = &lookup {
                problems.push(Problem::QuestionedSerial {
                    serial: value.clone(),
                    reason: reason.as_str().to_string(),
                });
            }
            detail["lookup"] = serde_json::to_value(&lookup)?;
        }
        let filed = cases::file_item(
            conn,
            case.id,
            kind,
            &value,
            &detail,
            ItemStatus::Parsed,
            Some(ledger_id),
        )
        .await?;
        if filed {
            audit::record(
                conn,
                case.id,
                &actor,
                Some(ledger_id),
                EventKind::ItemFiled,
                json!({ "item": kind.as_str(), "value": value }),
            )
            .await?;
            fresh.push((kind, value));
        }
    }
    if let Some(name) = &ex.system_name {
        cases::set_system_name_if_missing(conn, case.id, name).await?;
    }
    let items = cases::items(conn, case.id).await?;
    let missing = missing_of(wf, &case, &items);
    let rules = wf.requirements.of(case.service);
    let next = step::next(
        case.step,
        step::Event::MaterialsFiled {
            complete: missing.is_empty(),
        },
        rules.steps_for(mode_of(&items)),
    )?;
    if next != case.step {
        cases::set_step(conn, case.id, next).await?;
        audit::record(
            conn,
            case.id,
            &actor,
            Some(ledger_id),
            EventKind::Step,
            json!({ "from": case.step.as_str(), "to": next.as_str() }),
        )
        .await?;
        tracing::info!(case = %case.reference, from = %case.step, to = %next, "case moved");
    }
    // The case speaks the language its beneficiary last wrote in: reminders, notices and the
    // completion mail follow them, not the language the case was opened with.
    if let Some(language) = ex.language.filter(|l| Some(*l) != case.language) {
        cases::set_language(conn, case.id, language).await?;
        audit::note(
            conn,
            case.id,
            &actor,
            Some(ledger_id),
            EventKind::Language,
            json!({ "from": case.language.map(Language::code), "to": language.code() }),
        )
        .await?;
    }
    // Read back: the step, version, system name and language may have changed above.
    let case = cases::by_id(conn, case.id).await?;
    problems.extend(
        ex.certificates
            .iter()
            .filter(|c| !rules.accepts_issuer(&c.issuer, c.self_signed))
            .map(|c| Problem::UntrustedIssuer {
                file: c.file_name.clone(),
                serial: c.serial.to_string(),
                issuer: c.issuer.clone(),
            }),
    );
    if rules.distinct_test_and_prod {
        if let Some(serials) = shared_key(&items) {
            problems.push(Problem::SameKeyTestAndProd { serials });
        }
    }
    let new_items = items
        .iter()
        .filter(|i| fresh.iter().any(|(k, v)| *k == i.kind && *v == i.value))
        .cloned()
        .collect();
    Ok(Filing {
        case,
        problems,
        new_case,
        new_items,
        items,
        missing,
    })
}

/// What a serial number given instead of a file was found to be; kept in the item's
/// detail as `lookup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum SerialLookup {
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
struct Confirmed {
    /// The case holding it.
    case: String,
    /// When it ends, as its item records it.
    not_after: Value,
}

/// Why a serial number is questioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doubt {
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
async fn look_up_serial(
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

/// Two certificates of the case (not rejected) with one public key: TEST and PROD must
/// differ in key, not only in serial.
fn shared_key(items: &[Item]) -> Option<Vec<String>> {
    let certs: Vec<(&str, &str)> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Certificate && i.status != ItemStatus::Rejected)
        .filter_map(|i| Some((i.value.as_str(), i.detail["public_key_sha256"].as_str()?)))
        .collect();
    certs.iter().enumerate().find_map(|(n, (serial, key))| {
        certs[n + 1..]
            .iter()
            .find(|(_, other)| other == key)
            .map(|(other, _)| vec![serial.to_string(), other.to_string()])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
