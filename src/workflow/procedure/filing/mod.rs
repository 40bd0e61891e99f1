//! Filing a message's materials on its case, decided before anything is written: which
//! items are new, whether the case moves, what the beneficiary is told is wrong (issuers,
//! serial numbers, TEST and PROD keys). [`decide`] is pure: it reads a [`Snapshot`] of the
//! case and what the message [`Brought`], and returns the [`CasePlan`] to apply with the
//! [`Filing`] the replies are written from. [`store`] reads the snapshot and applies the plan.

use anyhow::Result;
use serde_json::json;

use super::super::audit::{Actor, EventKind};
use super::super::cases::{Case, Item, ItemStatus};
use super::super::materials::{self, Material};
use super::super::plan::{language_change, CasePlan, Change, Snapshot};
use super::super::requirements::{Missing, Requirements, ServiceRules};
use super::super::step::{self, TransitionError};
use crate::domain::{ItemKind, Service};
use crate::extract::{Extraction, Problem};

mod serials;
pub(crate) mod store;
#[cfg(test)]
mod tests;

use serials::{Doubt, SerialLookup};
pub(crate) use store::file;

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

/// What a message brings to a case: who sent it and when, what it carries, and what the
/// agency's records say of each serial number it gives instead of a file (looked up before
/// deciding, as the records are other cases').
pub(crate) struct Brought<'a> {
    /// Its ledger row.
    pub ledger_id: i64,
    /// Its sender, who files.
    pub sender: &'a str,
    /// When it reached the mailbox (a database stamp).
    pub received_at: String,
    /// What it carries.
    pub ex: &'a Extraction,
    /// Each serial number given, with what the records say of it.
    pub lookups: Vec<(String, SerialLookup)>,
}

impl Brought<'_> {
    /// The lookup of `serial`; one not looked up is unknown.
    fn lookup(&self, serial: &str) -> SerialLookup {
        let unknown = SerialLookup::Questioned {
            reason: Doubt::Unknown,
            found: None,
        };
        self.lookups
            .iter()
            .find(|(s, _)| s == serial)
            .map_or(unknown, |(_, l)| l.clone())
    }
}

/// A filing decided: the changes to write, and the case as they leave it.
pub(crate) struct Decided {
    /// The changes, in the order they are written.
    pub plan: CasePlan,
    /// The case after them, for the replies.
    pub filing: Filing,
}

/// Decides what `brought` does to the case in `before`: its new items (each with an
/// `item_filed` event), the system name if the case had none, the step the materials lead
/// to, the language the beneficiary now writes in; and the problems to tell them.
pub(crate) fn decide(
    requirements: &Requirements,
    before: Snapshot,
    brought: &Brought,
    new_case: bool,
) -> Result<Decided> {
    let case = &before.case;
    let rules = requirements.of(case.service);
    let mut changes = Vec::new();
    if new_case {
        changes.push(opened(case));
    }
    // The beneficiary wrote on the case: their reminder clock restarts from this mail.
    changes.push(Change::MailReceived {
        at: brought.received_at.clone(),
    });
    let NewItems {
        changes: filed,
        fresh,
        mut problems,
    } = new_items(&before, brought)?;
    changes.extend(filed);
    if let Some(name) = &brought.ex.system_name {
        let only_if_missing = true;
        let name = name.clone();
        changes.push(Change::SystemName {
            name,
            only_if_missing,
        });
    }
    let filed = before.clone().with(&changes);
    let missing = filed.missing(requirements);
    changes.extend(step_change(rules, &filed, missing.is_empty())?);
    // The case speaks the language its beneficiary last wrote in: reminders, notices and the
    // completion mail follow them, not the language the case was opened with.
    if let Some(language) = brought.ex.language {
        changes.extend(language_change(case.language, language));
    }
    let after = before.clone().with(&changes);
    problems.extend(case_problems(rules, brought.ex, &after.items));
    let plan = CasePlan {
        case_id: case.id,
        actor: Actor::Mail(brought.sender.to_string()),
        cause: Some(brought.ledger_id),
        changes,
    };
    let new_items = after
        .items
        .iter()
        .filter(|i| fresh.iter().any(|(k, v)| *k == i.kind && *v == i.value))
        .cloned()
        .collect();
    let filing = Filing {
        case: after.case,
        problems,
        new_case,
        new_items,
        items: after.items,
        missing,
    };
    Ok(Decided { plan, filing })
}

/// The event that opens a case's timeline.
pub(crate) fn opened(case: &Case) -> Change {
    Change::record(
        EventKind::Opened,
        json!({ "service": case.service.key(), "institution": case.institution }),
    )
}

/// The materials the case does not hold yet, each filed with its event; the kinds and
/// values filed; and the message's problems with the questioned serial numbers after them.
fn new_items(before: &Snapshot, brought: &Brought) -> Result<NewItems> {
    let mut changes = Vec::new();
    let mut fresh: Vec<(ItemKind, String)> = Vec::new();
    let mut problems = brought.ex.problems.clone();
    for Material {
        kind,
        value,
        mut detail,
    } in materials::materials(brought.ex)
    {
        // Only MPower is used in modes; elsewhere the words mean nothing for the case.
        if kind == ItemKind::Mode && before.case.service != Service::MPower {
            continue;
        }
        if kind == ItemKind::SerialNumber {
            let lookup = brought.lookup(&value);
            if let SerialLookup::Questioned { reason, .. } = &lookup {
                problems.push(Problem::QuestionedSerial {
                    serial: value.clone(),
                    reason: reason.as_str().to_string(),
                });
            }
            detail["lookup"] = serde_json::to_value(&lookup)?;
        }
        // Items are unique by kind and value: one held, or given twice, is filed once.
        let held = before.item(kind, &value).is_some();
        if held || fresh.iter().any(|(k, v)| *k == kind && *v == value) {
            continue;
        }
        let event = json!({ "item": kind.as_str(), "value": value });
        changes.push(Change::File {
            kind,
            value: value.clone(),
            detail,
            status: ItemStatus::Parsed,
        });
        changes.push(Change::record(EventKind::ItemFiled, event));
        fresh.push((kind, value));
    }
    Ok(NewItems {
        changes,
        fresh,
        problems,
    })
}

/// What [`new_items`] found.
struct NewItems {
    /// Each new item filed, with its event.
    changes: Vec<Change>,
    /// The kinds and values filed.
    fresh: Vec<(ItemKind, String)>,
    /// The message's problems, the questioned serial numbers after them.
    problems: Vec<Problem>,
}

/// The step the filed materials lead to, with its event; nothing when the case stays.
fn step_change(
    rules: &ServiceRules,
    filed: &Snapshot,
    complete: bool,
) -> Result<Vec<Change>, TransitionError> {
    let from = filed.case.step;
    let event = step::Event::MaterialsFiled { complete };
    let to = step::next(from, event, rules.steps_for(filed.mode()))?;
    if to == from {
        return Ok(Vec::new());
    }
    let detail = json!({ "from": from.as_str(), "to": to.as_str() });
    Ok(vec![
        Change::Step { from, to },
        Change::record(EventKind::Step, detail),
    ])
}

/// What is wrong given the case: certificates from issuers the service does not accept,
/// and TEST and PROD certificates that share one key.
fn case_problems(rules: &ServiceRules, ex: &Extraction, items: &[Item]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = ex
        .certificates
        .iter()
        .filter(|c| !rules.accepts_issuer(&c.issuer, c.self_signed))
        .map(|c| Problem::UntrustedIssuer {
            file: c.file_name.clone(),
            serial: c.serial.to_string(),
            issuer: c.issuer.clone(),
        })
        .collect();
    if rules.distinct_test_and_prod {
        if let Some(serials) = shared_key(items) {
            problems.push(Problem::SameKeyTestAndProd { serials });
        }
    }
    problems
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
