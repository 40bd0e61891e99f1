//! What an operator's commands do to a case, decided in pure code: the commands of one reply
//! (or one command line) are taken in order over a [`Snapshot`] of the case, each seeing the
//! changes of the ones before, and give either every change and notice together or the
//! reason the first that does not fit was refused. Nothing is written here; the applier in
//! `apply` carries a decision out.

use serde_json::json;

use super::commands::Command;
use crate::domain::{CertSerial, ItemKind, Service};
use crate::workflow::audit::{Actor, EventKind};
use crate::workflow::cases::{Case, Item, ItemStatus};
use crate::workflow::plan::{Change, Snapshot};
use crate::workflow::requirements::{Missing, Requirements};
use crate::workflow::step::{self, Event, Step};

/// Why a command does not fit the case; told to the operator as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unfit(pub String);

/// Mail the beneficiary is sent because a command moved their case or refused its materials.
#[derive(Debug, Clone)]
pub enum Notice {
    /// The case moved on: what happens now (the case as the move left it).
    Progress(Case),
    /// The case reached its end: the completion notice, with the case's items.
    Completion(Case, Vec<Item>),
    /// The materials were rejected: the operator's reason and what is missing now.
    Rejection {
        /// The case as the rejection left it.
        case: Case,
        /// The operator's words.
        reason: String,
        /// What the case needs again.
        missing: Vec<Missing>,
    },
}

/// What a list of commands does to a case, decided before anything is written.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The beneficiary's notices, in the order the commands gave them.
    pub notices: Vec<Notice>,
    /// Each command as written, for the acknowledgement and the log.
    pub done: Vec<String>,
}

/// Decides what `commands`, given by `actor`, do to the case in `before`: all of them, in
/// order, or (the first that does not fit names itself) none.
pub fn decide(
    rules: &Requirements,
    before: Snapshot,
    commands: &[Command],
    actor: &Actor,
) -> Result<Decided, Unfit> {
    let mut plan = Working {
        rules,
        now: before,
        changes: Vec::new(),
        notices: Vec::new(),
    };
    for command in commands {
        plan.command(command, actor)
            .map_err(|unfit| Unfit(format!("{}: {unfit}", command.describe())))?;
    }
    Ok(Decided {
        changes: plan.changes,
        notices: plan.notices,
        done: commands.iter().map(Command::describe).collect(),
    })
}

/// The changes decided so far, and the case as they leave it.
struct Working<'a> {
    rules: &'a Requirements,
    now: Snapshot,
    changes: Vec<Change>,
    notices: Vec<Notice>,
}

impl Working<'_> {
    fn push(&mut self, change: Change) {
        self.now.take(&change);
        self.changes.push(change);
    }

    fn case(&self) -> &Case {
        &self.now.case
    }

    /// The steps the case goes through, by its service and (MPower) its mode.
    fn steps(&self) -> &[Step] {
        self.rules
            .of(self.case().service)
            .steps_for(self.now.mode())
    }

    /// The items read from mail that no operator has confirmed or rejected yet.
    fn awaiting_confirmation(&self) -> Vec<(ItemKind, String)> {
        self.now
            .items
            .iter()
            .filter(|i| i.status == ItemStatus::Parsed)
            .map(|i| (i.kind, i.value.clone()))
            .collect()
    }

    fn command(&mut self, command: &Command, actor: &Actor) -> Result<(), Unfit> {
        let case = self.case();
        if !case.step.is_open() {
            return Err(Unfit(format!(
                "{} is {}; nothing more can change on it",
                case.reference, case.step
            )));
        }
        match command {
            Command::Confirm => self.confirm(),
            Command::Reject(reason) => self.reject(reason),
            Command::Set(kind, value) => self.set(*kind, value, actor),
            Command::Done(step) => self.done(*step),
        }
    }

    fn confirm(&mut self) -> Result<(), Unfit> {
        let parsed = self.awaiting_confirmation();
        if parsed.is_empty() && self.case().step != Step::MaterialsReview {
            return Err(Unfit(format!(
                "nothing on {} waits for confirmation",
                self.case().reference
            )));
        }
        for (kind, value) in parsed {
            let detail = json!({ "item": kind.as_str(), "value": value });
            self.push(status(kind, value, ItemStatus::Confirmed));
            self.push(Change::record(EventKind::ItemConfirmed, detail));
        }
        if self.case().step == Step::MaterialsReview && self.now.missing(self.rules).is_empty() {
            self.move_case(Event::MaterialsConfirmed)?;
        }
        Ok(())
    }

    fn reject(&mut self, reason: &str) -> Result<(), Unfit> {
        let parsed = self.awaiting_confirmation();
        if parsed.is_empty() {
            return Err(Unfit(format!(
                "nothing on {} waits for confirmation; use SET to correct a confirmed item",
                self.case().reference
            )));
        }
        let rejected: Vec<_> = parsed
            .iter()
            .map(|(kind, value)| json!({ "item": kind.as_str(), "value": value }))
            .collect();
        for (kind, value) in parsed {
            self.push(status(kind, value, ItemStatus::Rejected));
        }
        let detail = json!({ "reason": reason, "items": rejected });
        self.push(Change::record(EventKind::MaterialsRejected, detail));
        if self.case().step == Step::MaterialsReview {
            self.move_case(Event::MaterialsRejected)?;
        }
        self.notices.push(Notice::Rejection {
            case: self.case().clone(),
            reason: reason.to_string(),
            missing: self.now.missing(self.rules),
        });
        Ok(())
    }

    fn set(&mut self, kind: ItemKind, value: &str, actor: &Actor) -> Result<(), Unfit> {
        let value = normalise(kind, value, self.case().service)?;
        // A correction replaces what was parsed of that kind (and, for single values, the
        // confirmed one too).
        let replaced: Vec<String> = self
            .now
            .items
            .iter()
            .filter(|i| {
                i.kind == kind
                    && i.value != value
                    && (i.status == ItemStatus::Parsed
                        || (kind.is_single() && i.status == ItemStatus::Confirmed))
            })
            .map(|i| i.value.clone())
            .collect();
        for old in replaced {
            self.push(status(kind, old, ItemStatus::Rejected));
        }
        if self.now.item(kind, &value).is_some() {
            self.push(status(kind, value.clone(), ItemStatus::Confirmed));
        } else {
            self.push(Change::File {
                kind,
                value: value.clone(),
                detail: json!({ "set_by": actor.as_string() }),
                status: ItemStatus::Confirmed,
            });
        }
        if kind == ItemKind::SystemName {
            self.push(Change::SystemName {
                name: value.clone(),
                only_if_missing: false,
            });
        }
        let detail = json!({ "item": kind.as_str(), "value": value });
        self.push(Change::record(EventKind::ItemSet, detail));
        // A correction can complete the materials.
        if self.case().step == Step::AwaitingMaterials && self.now.missing(self.rules).is_empty() {
            self.move_case(Event::MaterialsFiled { complete: true })?;
        }
        Ok(())
    }

    fn done(&mut self, step: Step) -> Result<(), Unfit> {
        let case = self.case();
        let steps = self.steps();
        if !steps.contains(&step) {
            let names: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
            return Err(Unfit(format!(
                "{} has no step '{step}' (its steps: {})",
                case.service,
                names.join(", ")
            )));
        }
        if step::next(case.step, Event::Done(step), steps).is_err() {
            return Err(Unfit(format!(
                "{} is at step '{}', not '{step}'",
                case.reference, case.step
            )));
        }
        self.move_case(Event::Done(step))
    }

    /// Moves the case by `event` and tells the beneficiary where it now stands (the
    /// completion notice at the end; nothing when it goes back to waiting for materials, as
    /// the rejection notice says why).
    fn move_case(&mut self, event: Event) -> Result<(), Unfit> {
        let from = self.case().step;
        let to = step::next(from, event, self.steps()).map_err(|e| Unfit(e.to_string()))?;
        self.push(Change::Step { from, to });
        let detail = json!({ "from": from.as_str(), "to": to.as_str() });
        self.push(Change::record(EventKind::Step, detail));
        let case = self.case().clone();
        match to {
            Step::Completed => {
                let items = self.now.items.clone();
                self.notices.push(Notice::Completion(case, items));
            }
            Step::AwaitingMaterials => {}
            _ => self.notices.push(Notice::Progress(case)),
        }
        Ok(())
    }
}

fn status(kind: ItemKind, value: String, status: ItemStatus) -> Change {
    Change::Status {
        kind,
        value,
        status,
    }
}

/// Checks and normalises the value of a `SET` for its kind.
fn normalise(kind: ItemKind, value: &str, service: Service) -> Result<String, Unfit> {
    let value = value.trim();
    let bad = |why: &str| Err(Unfit(format!("'{value}' is not {why}")));
    if value.is_empty() || value.chars().count() > 200 {
        return bad("a usable value (1-200 characters)");
    }
    match kind {
        ItemKind::Certificate | ItemKind::SerialNumber => {
            let digits: String = value
                .trim_start_matches("0x")
                .chars()
                .filter(|c| c.is_ascii_hexdigit())
                .collect();
            match CertSerial::from_hex(&digits) {
                Some(serial) => Ok(serial.to_string()),
                None => bad("a certificate serial number in hex"),
            }
        }
        ItemKind::PublicIp => {
            let addr = value.split('/').next().unwrap_or_default();
            match addr.parse::<std::net::IpAddr>() {
                Ok(_) => Ok(value.to_string()),
                Err(_) => bad("an IP address"),
            }
        }
        ItemKind::Url if !value.starts_with("https://") => bad("an https URL"),
        ItemKind::Mode if service != Service::MPower => {
            Err(Unfit("only MPower cases have a mode".into()))
        }
        ItemKind::Mode if value != "api" && value != "agency" => bad("a mode (api or agency)"),
        _ => Ok(value.to_string()),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
