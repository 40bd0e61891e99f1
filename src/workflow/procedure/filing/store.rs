//! The database side of filing: the snapshot and the serial lookups a decision reads, and
//! the decided plan written through the one applier.

use anyhow::Result;
use sqlx::SqliteConnection;

use super::serials::{look_up_serial, SerialLookup};
use super::{decide, Brought, Filing};
use crate::domain::ItemKind;
use crate::extract::Extraction;
use crate::workflow::apply::apply;
use crate::workflow::cases::{self, Case};
use crate::workflow::materials::materials;
use crate::workflow::plan::Snapshot;
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
) -> Result<Vec<(String, SerialLookup)>> {
    let mut lookups = Vec::new();
    for m in materials(ex) {
        if m.kind == ItemKind::SerialNumber {
            let lookup = look_up_serial(conn, case, &m.value, &m.detail).await?;
            lookups.push((m.value, lookup));
        }
    }
    Ok(lookups)
}
