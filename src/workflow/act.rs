//! Operator commands applied to a case, the same way whether they came by mail or from the
//! command line: items confirmed, rejected or corrected, steps marked done, the beneficiary
//! told, every change audited.

use anyhow::Result;
use serde_json::json;
use sqlx::SqliteConnection;

use super::audit::{self, Actor, EventKind};
use super::cases::{self, Case, Item, ItemStatus};
use super::commands::Command;
use super::filing::{missing_of, mode_of};
use super::step::{self, Event, Step};
use super::{mail, Workflow};
use crate::domain::ItemKind;
use crate::domain::{CertSerial, Service};

/// Why a command does not fit the case; told to the operator as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unfit(pub String);

/// Applies `command` to `case` on behalf of `actor`; `cause` is the ledger message that
/// carried it. Returns the case as it now stands, or why the command does not fit.
pub async fn apply(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    command: &Command,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<std::result::Result<Case, Unfit>> {
    if !case.step.is_open() {
        return Ok(Err(Unfit(format!(
            "{} is {}; nothing more can change on it",
            case.reference, case.step
        ))));
    }
    let done = match command {
        Command::Confirm => confirm(conn, wf, case, actor, cause).await?,
        Command::Reject(reason) => reject(conn, wf, case, reason, actor, cause).await?,
        Command::Set(kind, value) => set(conn, wf, case, *kind, value, actor, cause).await?,
        Command::Done(step) => done(conn, wf, case, *step, actor, cause).await?,
    };
    match done {
        Ok(()) => Ok(Ok(cases::by_id(conn, case.id).await?)),
        Err(unfit) => Ok(Err(unfit)),
    }
}

type Applied = std::result::Result<(), Unfit>;

/// The items read from mail that no operator has confirmed or rejected yet.
async fn awaiting_confirmation(conn: &mut SqliteConnection, case: &Case) -> Result<Vec<Item>> {
    Ok(cases::items(conn, case.id)
        .await?
        .into_iter()
        .filter(|i| i.status == ItemStatus::Parsed)
        .collect())
}

async fn confirm(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<Applied> {
    let parsed = awaiting_confirmation(conn, case).await?;
    if parsed.is_empty() && case.step != Step::MaterialsReview {
        return Ok(Err(Unfit(format!(
            "nothing on {} waits for confirmation",
            case.reference
        ))));
    }
    for item in &parsed {
        cases::set_item_status(conn, item.id, ItemStatus::Confirmed).await?;
        audit::record(
            conn,
            case.id,
            actor,
            cause,
            EventKind::ItemConfirmed,
            json!({ "item": item.kind.as_str(), "value": item.value }),
        )
        .await?;
    }
    let items = cases::items(conn, case.id).await?;
    if case.step == Step::MaterialsReview && missing_of(wf, case, &items).is_empty() {
        move_case(conn, wf, case, Event::MaterialsConfirmed, actor, cause).await?;
    }
    Ok(Ok(()))
}

async fn reject(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    reason: &str,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<Applied> {
    let parsed = awaiting_confirmation(conn, case).await?;
    if parsed.is_empty() {
        return Ok(Err(Unfit(format!(
            "nothing on {} waits for confirmation; use SET to correct a confirmed item",
            case.reference
        ))));
    }
    for item in &parsed {
        cases::set_item_status(conn, item.id, ItemStatus::Rejected).await?;
    }
    audit::record(
        conn,
        case.id,
        actor,
        cause,
        EventKind::MaterialsRejected,
        json!({ "reason": reason, "items": parsed.iter().map(|i| json!({ "item": i.kind.as_str(), "value": i.value })).collect::<Vec<_>>() }),
    )
    .await?;
    if case.step == Step::MaterialsReview {
        move_case(conn, wf, case, Event::MaterialsRejected, actor, cause).await?;
    }
    let case = cases::by_id(conn, case.id).await?;
    let items = cases::items(conn, case.id).await?;
    let missing = missing_of(wf, &case, &items);
    wf.composer
        .enqueue(
            conn,
            mail::beneficiary::rejection(wf, &case, reason, &missing),
        )
        .await?;
    Ok(Ok(()))
}

async fn set(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    kind: ItemKind,
    value: &str,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<Applied> {
    let value = match normalise(kind, value, case.service) {
        Ok(v) => v,
        Err(unfit) => return Ok(Err(unfit)),
    };
    let items = cases::items(conn, case.id).await?;
    // A correction replaces what was parsed of that kind (and, for single values, the
    // confirmed one too).
    for old in items.iter().filter(|i| {
        i.kind == kind
            && i.value != value
            && (i.status == ItemStatus::Parsed
                || (kind.is_single() && i.status == ItemStatus::Confirmed))
    }) {
        cases::set_item_status(conn, old.id, ItemStatus::Rejected).await?;
    }
    match items.iter().find(|i| i.kind == kind && i.value == value) {
        Some(existing) => cases::set_item_status(conn, existing.id, ItemStatus::Confirmed).await?,
        None => {
            cases::file_item(
                conn,
                case.id,
                kind,
                &value,
                &json!({ "set_by": actor.as_string() }),
                ItemStatus::Confirmed,
                cause,
            )
            .await?;
        }
    }
    if kind == ItemKind::SystemName {
        cases::set_system_name(conn, case.id, &value).await?;
    }
    audit::record(
        conn,
        case.id,
        actor,
        cause,
        EventKind::ItemSet,
        json!({ "item": kind.as_str(), "value": value }),
    )
    .await?;
    // A correction can complete the materials.
    let items = cases::items(conn, case.id).await?;
    if case.step == Step::AwaitingMaterials && missing_of(wf, case, &items).is_empty() {
        move_case(
            conn,
            wf,
            case,
            Event::MaterialsFiled { complete: true },
            actor,
            cause,
        )
        .await?;
    }
    Ok(Ok(()))
}

async fn done(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    step: Step,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<Applied> {
    let items = cases::items(conn, case.id).await?;
    let steps = wf.requirements.of(case.service).steps_for(mode_of(&items));
    if !steps.contains(&step) {
        return Ok(Err(Unfit(format!(
            "{} has no step '{step}' (its steps: {})",
            case.service,
            steps
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    if step::next(case.step, Event::Done(step), steps).is_err() {
        return Ok(Err(Unfit(format!(
            "{} is at step '{}', not '{step}'",
            case.reference, case.step
        ))));
    }
    move_case(conn, wf, case, Event::Done(step), actor, cause).await?;
    Ok(Ok(()))
}

/// Moves the case by `event`, records it, and tells the beneficiary where it now stands
/// (the completion notice when it reaches the end).
async fn move_case(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: &Case,
    event: Event,
    actor: &Actor,
    cause: Option<i64>,
) -> Result<()> {
    let items = cases::items(conn, case.id).await?;
    let steps = wf.requirements.of(case.service).steps_for(mode_of(&items));
    let to = step::next(case.step, event, steps)?;
    cases::set_step(conn, case.id, to).await?;
    audit::record(
        conn,
        case.id,
        actor,
        cause,
        EventKind::Step,
        json!({ "from": case.step.as_str(), "to": to.as_str() }),
    )
    .await?;
    tracing::info!(case = %case.reference, from = %case.step, to = %to, actor = %actor.as_string(), "case moved");
    let moved = cases::by_id(conn, case.id).await?;
    let draft = match to {
        Step::Completed => mail::beneficiary::completion(wf, &moved, &items),
        // Back to waiting for materials: the rejection notice says why.
        Step::AwaitingMaterials => return Ok(()),
        _ => {
            let contract = active_contract(conn, &moved).await?;
            mail::beneficiary::progress(wf, &moved, contract.as_ref())
        }
    };
    wf.composer.enqueue(conn, draft).await?;
    Ok(())
}

/// Another case of the same institution past its contract step: then only the annex is
/// signed for this one (docs/procedure.md, "The contract").
pub(crate) async fn active_contract(
    conn: &mut SqliteConnection,
    case: &Case,
) -> Result<Option<Case>> {
    let past_contract = [
        Step::Staging,
        Step::Testing,
        Step::Validation,
        Step::Activation,
        Step::Completed,
    ];
    let same = |c: &Case| {
        c.id != case.id
            && (crate::extract::fold(&c.institution) == crate::extract::fold(&case.institution)
                || c.contact.domain() == case.contact.domain())
    };
    Ok(cases::all(conn)
        .await?
        .into_iter()
        .find(|c| same(c) && past_contract.contains(&c.step)))
}

/// Checks and normalises the value of a `SET` for its kind.
fn normalise(kind: ItemKind, value: &str, service: Service) -> std::result::Result<String, Unfit> {
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
mod tests {
    use super::*;

    #[test]
    fn set_values_are_checked_by_kind() {
        let ok = |k, v| normalise(k, v, Service::MDocs).unwrap();
        assert_eq!(ok(ItemKind::PublicIp, " 194.0.2.10 "), "194.0.2.10");
        assert_eq!(ok(ItemKind::SerialNumber, "4f:3a:01"), "4F3A01");
        assert!(normalise(ItemKind::PublicIp, "not-an-ip", Service::MDocs).is_err());
        assert!(normalise(ItemKind::Url, "http://x.md", Service::MDocs).is_err());
        assert!(normalise(ItemKind::Mode, "api", Service::MDocs).is_err());
        assert_eq!(
            normalise(ItemKind::Mode, "agency", Service::MPower).unwrap(),
            "agency"
        );
    }
}
