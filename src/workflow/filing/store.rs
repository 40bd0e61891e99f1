//! The database side of filing: the snapshot and the serial lookups a decision reads, and
//! the decided plan written through the one applier.

use anyhow::Result;
use serde_json::{json, Value};
use sqlx::SqliteConnection;

use super::{decide, Brought, Filing};
use crate::extract::Extraction;
use crate::workflow::apply::apply;
use crate::workflow::cases::{self, Case};
use crate::workflow::materials::materials;
use crate::workflow::plan::Snapshot;
use crate::workflow::requirements::ItemKind;
use crate::workflow::Workflow;

/// Files `ex`, sent by `sender` as ledger message `ledger_id`, on `case` and moves it to the
/// step its materials lead to; returns the case as it then stands, for the replies.
pub(crate) async fn file(
    conn: &mut SqliteConnection,
    wf: &Workflow,
    case: Case,
    new_case: bool,
    ledger_id: i64,
    sender: &str,
    ex: &Extraction,
) -> Result<Filing> {
    let items = cases::items(conn, case.id).await?;
    let before = Snapshot { case, items };
    let brought = Brought {
        ledger_id,
        sender,
        received_at: crate::ledger::received_at(conn, ledger_id).await?,
        ex,
        lookups: look_up_serials(conn, &before.case, ex).await?,
    };
    let decided = decide(&wf.requirements, before, &brought, new_case)?;
    apply(conn, &decided.plan).await?;
    Ok(decided.filing)
}

/// The lookup of every serial number `ex` gives instead of a file.
async fn look_up_serials(
    conn: &mut SqliteConnection,
    case: &Case,
    ex: &Extraction,
) -> Result<Vec<(String, Value)>> {
    let mut lookups = Vec::new();
    for m in materials(ex) {
        if m.kind == ItemKind::SerialNumber {
            let lookup = look_up_serial(conn, case, &m.value, &m.detail).await?;
            lookups.push((m.value, lookup));
        }
    }
    Ok(lookups)
}

/// A serial number given instead of a file is good when the agency has already confirmed
/// that certificate, still valid, for the same information system and environment
/// (docs/procedure.md, "Certificates"); otherwise it is questioned with the reason.
async fn look_up_serial(
    conn: &mut SqliteConnection,
    case: &Case,
    serial: &str,
    detail: &Value,
) -> Result<Value> {
    let known = cases::confirmed_certificates(conn, serial).await?;
    let Some((holder, cert)) = known.first() else {
        return Ok(json!({ "status": "questioned", "reason": "unknown" }));
    };
    let found =
        json!({ "case": holder.reference.to_string(), "not_after": cert.detail["not_after"] });
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
        "expired"
    } else if other_system {
        "other_system"
    } else if other_environment {
        "other_environment"
    } else {
        return Ok(json!({ "status": "accepted", "found": found }));
    };
    Ok(json!({ "status": "questioned", "reason": reason, "found": found }))
}
