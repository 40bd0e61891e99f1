//! Decide, then apply: what handling a message, an operator's reply or a due reminder does
//! to a case is first decided in pure code, as a list of [`Change`]s computed from a
//! [`Snapshot`] of the case; [`super::apply`] then carries the list out. The decisions can
//! therefore be tested without a database, and every write of one decision goes through
//! one place.

use serde_json::{json, Value};

use super::audit::{Actor, EventKind};
use super::cases::{Case, Item, ItemStatus};
use super::requirements::{Missing, Requirements};
use super::step::Step;
use crate::domain::{ItemKind, Language};

/// One change to a case, decided before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The beneficiary wrote on the case at this time: their reminder clock restarts.
    MailReceived {
        /// When the mail was received (a database stamp).
        at: String,
    },
    /// An item the case does not hold yet (items are unique by kind and value).
    File {
        /// What it is.
        kind: ItemKind,
        /// Its value.
        value: String,
        /// Its details.
        detail: Value,
        /// How far it is checked.
        status: ItemStatus,
    },
    /// An item the case holds (or a [`Change::File`] before this one filed) changes status.
    Status {
        /// Its kind.
        kind: ItemKind,
        /// Its value.
        value: String,
        /// Its new status.
        status: ItemStatus,
    },
    /// The case moves to another step.
    Step {
        /// Where it was.
        from: Step,
        /// Where it goes.
        to: Step,
    },
    /// The information system's name.
    SystemName {
        /// The name.
        name: String,
        /// Whether a name already recorded stays (a name read from mail never overwrites).
        only_if_missing: bool,
    },
    /// The language the beneficiary writes in.
    Language(Language),
    /// An entry in the case's timeline. One that `counts` is a change of the case's data and
    /// bumps its version, so tokens issued before name stale data; the others (a reminder
    /// sent, a language noticed) leave tokens good.
    Event {
        /// What happened.
        kind: EventKind,
        /// Details.
        detail: Value,
        /// Whether it bumps the case's version.
        counts: bool,
    },
}

impl Change {
    /// A timeline entry that changes the case's data (bumps its version).
    pub fn record(kind: EventKind, detail: Value) -> Self {
        Change::Event {
            kind,
            detail,
            counts: true,
        }
    }

    /// A timeline entry that leaves the case's data as it was.
    pub fn note(kind: EventKind, detail: Value) -> Self {
        Change::Event {
            kind,
            detail,
            counts: false,
        }
    }
}

/// Everything one decision changes on one case, and on whose behalf.
#[derive(Debug, Clone)]
pub struct CasePlan {
    /// The case.
    pub case_id: i64,
    /// Who causes the changes.
    pub actor: Actor,
    /// The ledger message that carried them, if any.
    pub cause: Option<i64>,
    /// The changes, in order.
    pub changes: Vec<Change>,
}

/// A case and its items as read at the start of a decision; decisions that come in
/// sequence (the commands of one reply) see the changes of the ones before through
/// [`Snapshot::with`].
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The case.
    pub case: Case,
    /// Its items, in filing order.
    pub items: Vec<Item>,
}

impl Snapshot {
    /// The item of this kind and value, if the case holds it.
    pub fn item(&self, kind: ItemKind, value: &str) -> Option<&Item> {
        self.items
            .iter()
            .find(|i| i.kind == kind && i.value == value)
    }

    /// The items not rejected.
    pub fn usable(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| i.status != ItemStatus::Rejected)
    }

    /// What the case still needs, counting every item not rejected.
    pub fn missing(&self, requirements: &Requirements) -> Vec<Missing> {
        let usable: Vec<(ItemKind, &str)> =
            self.usable().map(|i| (i.kind, i.value.as_str())).collect();
        requirements.missing(self.case.service, &usable)
    }

    /// The case's mode (MPower), which picks its steps: the latest one not rejected.
    pub fn mode(&self) -> Option<&str> {
        self.usable()
            .filter(|i| i.kind == ItemKind::Mode)
            .last()
            .map(|i| i.value.as_str())
    }

    /// The snapshot as it stands after `changes`: what the database will hold once they
    /// are applied (item ids and stamps aside).
    pub fn with(mut self, changes: &[Change]) -> Self {
        for change in changes {
            self.take(change);
        }
        self
    }

    /// Takes one change into the snapshot, as [`Snapshot::with`] does for a list.
    pub fn take(&mut self, change: &Change) {
        match change {
            Change::MailReceived { .. } => {}
            Change::File {
                kind,
                value,
                detail,
                status,
            } => {
                if self.item(*kind, value).is_none() {
                    self.items.push(Item {
                        id: 0,
                        kind: *kind,
                        value: value.clone(),
                        status: *status,
                        detail: detail.clone(),
                        created_at: String::new(),
                    });
                }
            }
            Change::Status {
                kind,
                value,
                status,
            } => {
                if let Some(item) = self
                    .items
                    .iter_mut()
                    .find(|i| i.kind == *kind && i.value == *value)
                {
                    item.status = *status;
                }
            }
            Change::Step { to, .. } => self.case.step = *to,
            Change::SystemName {
                name,
                only_if_missing,
            } => {
                if !only_if_missing || self.case.system_name.is_none() {
                    self.case.system_name = Some(name.clone());
                }
            }
            Change::Language(language) => self.case.language = Some(*language),
            Change::Event { counts, .. } => {
                if *counts {
                    self.case.version += 1;
                }
            }
        }
    }
}

#[cfg(test)]
impl Snapshot {
    /// A case of `service` at `step`, at version 3, holding no items.
    pub(crate) fn sample(service: crate::domain::Service, step: Step) -> Self {
        Snapshot {
            case: Case {
                id: 1,
                reference: "EGOV-2026-0001".parse().unwrap(),
                service,
                institution: "ASP".into(),
                contact: "ion@asp.gov.md"
                    .parse::<crate::domain::EmailAddress>()
                    .unwrap(),
                system_name: None,
                language: None,
                step,
                opened_at: String::new(),
                updated_at: String::new(),
                version: 3,
                step_since: String::new(),
                materials_complete_at: None,
                renews_serial: None,
            },
            items: Vec::new(),
        }
    }
}

/// The changes that record a new language for the case, with the event that notes it.
pub fn language_change(from: Option<Language>, to: Language) -> Vec<Change> {
    if from == Some(to) {
        return Vec::new();
    }
    vec![
        Change::Language(to),
        Change::note(
            EventKind::Language,
            json!({ "from": from.map(Language::code), "to": to.code() }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Service;

    fn file(kind: ItemKind, value: &str, status: ItemStatus) -> Change {
        Change::File {
            kind,
            value: value.into(),
            detail: json!({}),
            status,
        }
    }

    #[test]
    fn changes_are_seen_in_order() {
        let after = Snapshot::sample(Service::MPower, Step::AwaitingMaterials).with(&[
            file(ItemKind::Mode, "api", ItemStatus::Parsed),
            file(ItemKind::Mode, "agency", ItemStatus::Parsed),
            Change::Status {
                kind: ItemKind::Mode,
                value: "agency".into(),
                status: ItemStatus::Rejected,
            },
            Change::SystemName {
                name: "Registru".into(),
                only_if_missing: true,
            },
            Change::SystemName {
                name: "Altul".into(),
                only_if_missing: true,
            },
            Change::Step {
                from: Step::AwaitingMaterials,
                to: Step::MaterialsReview,
            },
            Change::record(EventKind::Step, json!({})),
            Change::note(EventKind::Language, json!({})),
        ]);
        assert_eq!(
            after.mode(),
            Some("api"),
            "the rejected mode does not count"
        );
        assert_eq!(after.case.system_name.as_deref(), Some("Registru"));
        assert_eq!(after.case.step, Step::MaterialsReview);
        assert_eq!(
            after.case.version, 4,
            "only recorded events bump the version"
        );
    }

    #[test]
    fn an_item_is_filed_once() {
        let once = file(ItemKind::PublicIp, "194.0.2.10", ItemStatus::Parsed);
        let after =
            Snapshot::sample(Service::MPower, Step::AwaitingMaterials).with(&[once.clone(), once]);
        assert_eq!(after.items.len(), 1);
    }
}
